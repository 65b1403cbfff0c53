import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import type { CreateHostDto, HostQuery, UpdateHostDto } from '../dto/host.dto';
import { HostGroup } from '../entities/host-group.entity';
import { Host } from '../entities/host.entity';
import { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import { containsAny, containsPattern } from './like-pattern';

@Injectable()
export class HostsService {
  constructor(
    @InjectRepository(Host) private readonly hosts: Repository<Host>,
    @InjectRepository(Monitor) private readonly monitors: Repository<Monitor>,
    @InjectRepository(HostGroup) private readonly groups: Repository<HostGroup>,
  ) {}

  async list(query: HostQuery): Promise<Page<Host>> {
    const qb = this.hosts.createQueryBuilder('host').orderBy('host.id', 'ASC');
    if (query.monitor_id !== undefined) qb.andWhere('host.monitor_id = :monitorId', { monitorId: query.monitor_id });
    if (query.group_id !== undefined) qb.andWhere('host.group_id = :groupId', { groupId: query.group_id });
    if (query.status !== undefined) qb.andWhere('host.status = :status', { status: query.status });
    if (query.q) qb.andWhere(containsAny(['host.name', 'host.ip_addr'], 'q'), { q: containsPattern(query.q) });
    const [items, total] = await qb.take(query.limit).skip(query.offset).getManyAndCount();
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async get(id: number): Promise<Host> {
    const host = await this.hosts.findOneBy({ id });
    if (!host) throw new NotFoundError(`Host ${id} not found`);
    return host;
  }

  /** The host, which must belong to the monitor named in the path. */
  async getOnMonitor(monitorId: number, hostId: number): Promise<Host> {
    if (!(await this.monitors.existsBy({ id: monitorId }))) throw new NotFoundError(`Monitor ${monitorId} not found`);
    const host = await this.hosts.findOneBy({ id: hostId });
    if (!host || host.monitorId !== monitorId)
      throw new NotFoundError(`Host ${hostId} not found on monitor ${monitorId}`);
    return host;
  }

  async assertMonitor(monitorId: number): Promise<void> {
    if (!(await this.monitors.existsBy({ id: monitorId }))) throw new NotFoundError(`Monitor ${monitorId} not found`);
  }

  /** A host that may be pushed to the monitor: one already on it, or a local host on no monitor yet. */
  async getPushable(monitorId: number, hostId: number): Promise<Host> {
    await this.assertMonitor(monitorId);
    const host = await this.hosts.findOneBy({ id: hostId });
    if (!host || (host.monitorId !== null && host.monitorId !== monitorId)) {
      throw new NotFoundError(`Host ${hostId} not found on monitor ${monitorId}`);
    }
    return host;
  }

  async create(input: CreateHostDto): Promise<Host> {
    await this.assertReferences(input.monitor_id, input.group_id);
    return this.hosts.save(
      this.hosts.create({
        name: input.name,
        monitorId: input.monitor_id ?? null,
        externalId: null,
        groupId: input.group_id ?? null,
        ipAddr: input.ip_addr ?? null,
        description: input.description ?? '',
        enabled: input.enabled ?? true,
        status: SyncStatus.Inactive,
        statusDescription: '',
        lastSyncAt: null,
      }),
    );
  }

  async update(id: number, changes: UpdateHostDto): Promise<Host> {
    const host = await this.get(id);
    await this.assertReferences(changes.monitor_id, changes.group_id);
    if (changes.monitor_id !== undefined && changes.monitor_id !== host.monitorId) {
      // Moving to another monitor, or to none: its id there is unknown until the next push.
      host.monitorId = changes.monitor_id;
      host.externalId = null;
    }
    if (changes.name !== undefined) host.name = changes.name;
    if (changes.group_id !== undefined) host.groupId = changes.group_id;
    if (changes.ip_addr !== undefined) host.ipAddr = changes.ip_addr;
    if (changes.description !== undefined) host.description = changes.description;
    if (changes.enabled !== undefined) host.enabled = changes.enabled;
    return this.hosts.save(host);
  }

  async remove(id: number): Promise<void> {
    await this.get(id);
    await this.hosts.delete({ id });
  }

  listGroups(monitorId?: number): Promise<HostGroup[]> {
    return this.groups.find({ where: monitorId === undefined ? {} : { monitorId }, order: { id: 'ASC' } });
  }

  /** A monitor or group the body names must exist; null (none) and undefined (unchanged) name nothing. */
  private async assertReferences(monitorId?: number | null, groupId?: number | null): Promise<void> {
    if (monitorId != null && !(await this.monitors.existsBy({ id: monitorId }))) {
      throw new NotFoundError(`Monitor ${monitorId} not found`);
    }
    if (groupId != null && !(await this.groups.existsBy({ id: groupId }))) {
      throw new NotFoundError(`Group ${groupId} not found`);
    }
  }
}
