import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError } from 'typeorm';
import { ConflictError, NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import type { ReadRepository } from '../../database/read-repository';
import { CredentialsCipher, CredentialsUnreadableError } from '../credentials-cipher';
import { redactMonitorUrl } from '../monitor-url';
import type { CreateMonitorDto, MonitorQuery, UpdateMonitorDto } from '../dto/monitor.dto';
import { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import type { MonitorTarget } from '../providers/monitor-provider';
import { MonitorProviders } from '../providers/monitor-providers';
import { statusOfUpstreamFailure } from '../sync/failure-status';
import { InventoryWriter } from '../sync/inventory-writer';
import { containsAny, containsPattern } from './like-pattern';
import { MonitorAuthFailedError } from './auth-failed';
import { MonitorDisabledError } from './monitor-disabled';
import { requireCredentialsWhenTheyMove, requireOneKindOfCredentials } from './monitor-credentials';
import { MonitorsWriter } from './monitors-writer';

@Injectable()
export class MonitorsService {
  constructor(
    @InjectRepository(Monitor) private readonly monitors: ReadRepository<Monitor>,
    private readonly cipher: CredentialsCipher,
    private readonly providers: MonitorProviders,
    private readonly writer: MonitorsWriter,
    private readonly inventory: InventoryWriter,
  ) {}

  async list(query: MonitorQuery): Promise<Page<Monitor>> {
    const qb = this.monitors.createQueryBuilder('monitor').orderBy('monitor.id', 'ASC');
    if (query.q) {
      const urlMatches = await this.idsWhoseShownUrlContains(query.q);
      qb.andWhere(
        urlMatches.length > 0
          ? `(${containsAny(['monitor.name'], 'q')} OR monitor.id IN (:...urlMatches))`
          : containsAny(['monitor.name'], 'q'),
        { q: containsPattern(query.q), urlMatches },
      );
    }
    if (query.type) qb.andWhere('monitor.type = :type', { type: query.type });
    if (query.status !== undefined) qb.andWhere('monitor.status = :status', { status: query.status });
    if (query.enabled !== undefined) qb.andWhere('monitor.enabled = :enabled', { enabled: query.enabled });
    const [items, total] = await qb.take(query.limit).skip(query.offset).getManyAndCount();
    return { items, total, limit: query.limit, offset: query.offset };
  }

  /**
   * q searches the URL as the API shows it, redacted: a search of the stored URL would let a reader guess a
   * token in its query one character at a time. Monitors are few, so their URLs are matched here.
   */
  private async idsWhoseShownUrlContains(q: string): Promise<number[]> {
    const needle = q.toLowerCase();
    const rows = await this.monitors.find({ select: { id: true, url: true } });
    return rows.filter((row) => redactMonitorUrl(row.url).toLowerCase().includes(needle)).map((row) => row.id);
  }

  async get(id: number): Promise<Monitor> {
    const monitor = await this.monitors.findOneBy({ id });
    if (!monitor) throw new NotFoundError(`Monitor ${id} not found`);
    return monitor;
  }

  /** A monitor to sync with: 409 when it is disabled, for a sync run now and one queued alike (not retried). */
  async getEnabled(id: number): Promise<Monitor> {
    const monitor = await this.get(id);
    if (!monitor.enabled) throw new MonitorDisabledError(id);
    return monitor;
  }

  /** A monitor a task may be queued for or run on: enabled (else 409), and not auth_failed (409 naming it). */
  async getQueueable(id: number): Promise<Monitor> {
    const monitor = await this.getEnabled(id);
    if (monitor.status === SyncStatus.AuthFailed) throw new MonitorAuthFailedError(monitor);
    return monitor;
  }

  async create(input: CreateMonitorDto): Promise<Monitor> {
    requireOneKindOfCredentials(input);
    const monitor = this.monitors.create({
      name: input.name,
      url: input.url,
      type: input.type,
      ...this.sealedCredentials(input),
      authTokenEncrypted: null,
      description: input.description ?? '',
      enabled: input.enabled ?? true,
      status: SyncStatus.Inactive,
      statusDescription: '',
      lastSyncAt: null,
    });
    return this.saveUnique(monitor);
  }

  async update(id: number, changes: UpdateMonitorDto): Promise<Monitor> {
    const monitor = await this.get(id);
    requireCredentialsWhenTheyMove(monitor, changes);
    const credentialsChanged =
      (changes.url !== undefined && changes.url !== monitor.url) ||
      (changes.username !== undefined && changes.username !== monitor.username) ||
      changes.password !== undefined ||
      changes.api_token !== undefined;
    if (changes.name !== undefined) monitor.name = changes.name;
    if (changes.url !== undefined) monitor.url = changes.url;
    if (changes.type !== undefined) monitor.type = changes.type;
    if (changes.api_token !== undefined || changes.password !== undefined) {
      Object.assign(
        monitor,
        this.sealedCredentials({
          username: changes.username ?? monitor.username,
          password: changes.password,
          api_token: changes.api_token,
        }),
      );
    } else if (changes.username !== undefined) monitor.username = changes.username;
    if (changes.description !== undefined) monitor.description = changes.description;
    if (changes.enabled !== undefined) monitor.enabled = changes.enabled;
    if (credentialsChanged) {
      // A session from other credentials, or another server, must not be reused.
      monitor.authTokenEncrypted = null;
      if (monitor.status === SyncStatus.AuthFailed) {
        monitor.status = SyncStatus.Inactive;
        monitor.statusDescription = 'Credentials changed; not tried yet';
      }
    }
    return this.saveUnique(monitor);
  }

  /**
   * Deletes the monitor; its hosts and groups stay as local ones (detached, with no external id) and lose
   * nothing else.
   */
  async remove(id: number): Promise<void> {
    await this.get(id);
    await this.writer.delete(id);
  }

  /** Logs in to the monitor and records the outcome in its status. */
  async check(id: number): Promise<Monitor> {
    const monitor = await this.get(id);
    try {
      const { version } = await this.providers.for(monitor.type).check(this.target(monitor));
      await this.inventory.setMonitorStatus(id, SyncStatus.Active, `Connected to ${monitor.type} ${version}`);
    } catch (error) {
      await this.inventory.setMonitorStatus(id, statusOfUpstreamFailure(error), (error as Error).message);
    }
    return this.get(id);
  }

  /** What a provider needs to call the monitor, with the credentials decrypted. */
  target(monitor: Monitor): MonitorTarget {
    return {
      monitorId: monitor.id,
      url: monitor.url,
      username: monitor.username,
      password: monitor.passwordEncrypted ? this.cipher.decrypt(monitor.passwordEncrypted) : '',
      apiToken: monitor.apiTokenEncrypted ? this.cipher.decrypt(monitor.apiTokenEncrypted) : null,
      authToken: this.sessionToken(monitor),
    };
  }

  /** The kept session, or none when it cannot be opened any more (a key change): the provider logs in afresh. */
  private sessionToken(monitor: Monitor): string | null {
    if (!monitor.authTokenEncrypted) return null;
    try {
      return this.cipher.decrypt(monitor.authTokenEncrypted);
    } catch (error) {
      if (error instanceof CredentialsUnreadableError) return null;
      throw error;
    }
  }

  /** An API token, or a username and password pair, encrypted as stored: the other kind is emptied. */
  private sealedCredentials(input: { username?: string; password?: string; api_token?: string }) {
    if (input.api_token !== undefined) {
      return { username: '', passwordEncrypted: '', apiTokenEncrypted: this.cipher.encrypt(input.api_token) };
    }
    return {
      username: input.username ?? '',
      passwordEncrypted: this.cipher.encrypt(input.password ?? ''),
      apiTokenEncrypted: null,
    };
  }

  private async saveUnique(monitor: Monitor): Promise<Monitor> {
    const clash = await this.monitors.findOneBy({ name: monitor.name });
    if (clash && clash.id !== monitor.id) throw new ConflictError(`A monitor named ${monitor.name} already exists`);
    try {
      return await this.writer.save(monitor);
    } catch (error) {
      if (error instanceof QueryFailedError && /unique/i.test(error.message)) {
        throw new ConflictError(`A monitor named ${monitor.name} already exists`);
      }
      throw error;
    }
  }
}
