import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { ConflictError, NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import { Transactions } from '../../database/transactions';
import { CredentialsCipher } from '../credentials-cipher';
import type { CreateMonitorDto, MonitorQuery, UpdateMonitorDto } from '../dto/monitor.dto';
import { HostGroup } from '../entities/host-group.entity';
import { Host } from '../entities/host.entity';
import { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import type { MonitorTarget } from '../providers/monitor-provider';
import { MonitorProviders } from '../providers/monitor-providers';
import { containsAny, containsPattern } from './like-pattern';

@Injectable()
export class MonitorsService {
  private readonly logger = new Logger(MonitorsService.name);

  constructor(
    @InjectRepository(Monitor) private readonly monitors: Repository<Monitor>,
    private readonly cipher: CredentialsCipher,
    private readonly providers: MonitorProviders,
    private readonly transactions: Transactions,
  ) {
    providers.onToken((monitorId, token) => this.storeAuthToken(monitorId, token));
  }

  async list(query: MonitorQuery): Promise<Page<Monitor>> {
    const qb = this.monitors.createQueryBuilder('monitor').orderBy('monitor.id', 'ASC');
    if (query.q) {
      qb.andWhere(containsAny(['monitor.name', 'monitor.url'], 'q'), { q: containsPattern(query.q) });
    }
    if (query.type) qb.andWhere('monitor.type = :type', { type: query.type });
    if (query.status !== undefined) qb.andWhere('monitor.status = :status', { status: query.status });
    if (query.enabled !== undefined) qb.andWhere('monitor.enabled = :enabled', { enabled: query.enabled });
    const [items, total] = await qb.take(query.limit).skip(query.offset).getManyAndCount();
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async get(id: number): Promise<Monitor> {
    const monitor = await this.monitors.findOneBy({ id });
    if (!monitor) throw new NotFoundError(`Monitor ${id} not found`);
    return monitor;
  }

  async create(input: CreateMonitorDto): Promise<Monitor> {
    const monitor = this.monitors.create({
      name: input.name,
      url: input.url,
      type: input.type,
      username: input.username,
      passwordEncrypted: this.cipher.encrypt(input.password),
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
    const credentialsChanged =
      (changes.url !== undefined && changes.url !== monitor.url) ||
      (changes.username !== undefined && changes.username !== monitor.username) ||
      changes.password !== undefined;
    if (changes.name !== undefined) monitor.name = changes.name;
    if (changes.url !== undefined) monitor.url = changes.url;
    if (changes.type !== undefined) monitor.type = changes.type;
    if (changes.username !== undefined) monitor.username = changes.username;
    if (changes.password !== undefined) monitor.passwordEncrypted = this.cipher.encrypt(changes.password);
    if (changes.description !== undefined) monitor.description = changes.description;
    if (changes.enabled !== undefined) monitor.enabled = changes.enabled;
    // A session from other credentials, or another server, must not be reused.
    if (credentialsChanged) monitor.authTokenEncrypted = null;
    return this.saveUnique(monitor);
  }

  /**
   * Deletes the monitor; its hosts and groups stay as local ones (detached, with no external id) and lose
   * nothing else.
   */
  async remove(id: number): Promise<void> {
    await this.get(id);
    await this.transactions.run(async (manager) => {
      await manager.update(Host, { monitorId: id }, { monitorId: null, externalId: null });
      await manager.update(HostGroup, { monitorId: id }, { monitorId: null, externalId: null });
      await manager.delete(Monitor, { id });
    });
  }

  /** Logs in to the monitor and records the outcome in its status. */
  async check(id: number): Promise<Monitor> {
    const monitor = await this.get(id);
    try {
      const { version } = await this.providers.for(monitor.type).check(this.target(monitor));
      await this.setStatus(id, SyncStatus.Active, `Connected to ${monitor.type} ${version}`);
    } catch (error) {
      await this.setStatus(id, SyncStatus.Error, (error as Error).message);
    }
    return this.get(id);
  }

  /** What a provider needs to call the monitor, with the credentials decrypted. */
  target(monitor: Monitor): MonitorTarget {
    return {
      monitorId: monitor.id,
      url: monitor.url,
      username: monitor.username,
      password: this.cipher.decrypt(monitor.passwordEncrypted),
      authToken: monitor.authTokenEncrypted ? this.cipher.decrypt(monitor.authTokenEncrypted) : null,
    };
  }

  /** Keeps the session token a provider (re-)acquired, encrypted, for the next call from any process. */
  async storeAuthToken(monitorId: number, token: string | null): Promise<void> {
    await this.monitors.update({ id: monitorId }, { authTokenEncrypted: token ? this.cipher.encrypt(token) : null });
  }

  async setStatus(id: number, status: SyncStatus, description: string, syncedAt?: Date): Promise<void> {
    const changes: Partial<Monitor> = { status, statusDescription: description.slice(0, 1024) };
    if (syncedAt) changes.lastSyncAt = syncedAt;
    await this.monitors.update({ id }, changes);
    if (status === SyncStatus.Error) this.logger.warn({ msg: 'monitor in error', monitor_id: id, reason: description });
  }

  private async saveUnique(monitor: Monitor): Promise<Monitor> {
    const clash = await this.monitors.findOneBy({ name: monitor.name });
    if (clash && clash.id !== monitor.id) throw new ConflictError(`A monitor named ${monitor.name} already exists`);
    try {
      return await this.monitors.save(monitor);
    } catch (error) {
      if (error instanceof QueryFailedError && /unique/i.test(error.message)) {
        throw new ConflictError(`A monitor named ${monitor.name} already exists`);
      }
      throw error;
    }
  }
}
