import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, Not } from 'typeorm';
import { InvalidInputError, NotFoundError } from '../../common/http/domain-error';
import type { Page } from '../../common/http/pagination.dto';
import type { ReadRepository } from '../../database/read-repository';
import type { CreateHostDto, HostQuery, HostWithGroups, UpdateHostDto } from '../dto/host.dto';
import { HostGroupLink } from '../entities/host-group-link.entity';
import { HostGroup } from '../entities/host-group.entity';
import { Host } from '../entities/host.entity';
import { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import { HOST_VANISHED, InventoryWriter } from '../sync/inventory-writer';
import { containsAny, containsPattern } from './like-pattern';

@Injectable()
export class HostsService {
  constructor(
    @InjectRepository(Host) private readonly hosts: ReadRepository<Host>,
    @InjectRepository(Monitor) private readonly monitors: ReadRepository<Monitor>,
    @InjectRepository(HostGroup) private readonly groups: ReadRepository<HostGroup>,
    private readonly writer: InventoryWriter,
  ) {}

  async list(query: HostQuery): Promise<Page<HostWithGroups>> {
    const qb = this.hosts.createQueryBuilder('host').orderBy('host.id', 'ASC');
    if (query.monitor_id !== undefined) qb.andWhere('host.monitor_id = :monitorId', { monitorId: query.monitor_id });
    if (query.group_id !== undefined) {
      const inGroup = qb
        .subQuery()
        .select('1')
        .from(HostGroupLink, 'link')
        .where('link.host_id = host.id AND link.group_id = :groupId')
        .getQuery();
      qb.andWhere(`EXISTS ${inGroup}`, { groupId: query.group_id });
    }
    if (query.status !== undefined) qb.andWhere('host.status = :status', { status: query.status });
    if (query.q) {
      const columns = ['host.name', 'host.technical_name', 'host.ip_addr'];
      qb.andWhere(containsAny(columns, 'q'), { q: containsPattern(query.q) });
    }
    const [hosts, total] = await qb.take(query.limit).skip(query.offset).getManyAndCount();
    return { items: await this.withGroups(hosts), total, limit: query.limit, offset: query.offset };
  }

  async get(id: number): Promise<Host> {
    const host = await this.hosts.findOneBy({ id });
    if (!host) throw new NotFoundError(`Host ${id} not found`);
    return host;
  }

  async getWithGroups(id: number): Promise<HostWithGroups> {
    const [host] = await this.withGroups([await this.get(id)]);
    return host;
  }

  /** The hosts with the ids of all their groups. */
  async withGroups(hosts: Host[]): Promise<HostWithGroups[]> {
    const groups = await this.writer.groupIdsOf(hosts.map((host) => host.id));
    return hosts.map((host) => Object.assign(host, { groupIds: groups.get(host.id) ?? [] }));
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

  async create(input: CreateHostDto): Promise<HostWithGroups> {
    const groupIds = groupsOf(input) ?? [];
    await this.assertReferences(input.monitor_id, groupIds);
    const host = await this.writer.saveHost(
      this.hosts.create({
        name: input.name,
        technicalName: input.technical_name ?? null,
        monitorId: input.monitor_id ?? null,
        externalId: null,
        groupId: groupIds[0] ?? null,
        ipAddr: input.ip_addr ?? null,
        description: input.description ?? '',
        enabled: input.enabled ?? true,
        status: SyncStatus.Inactive,
        statusDescription: '',
        lastSyncAt: null,
      }),
      groupIds,
    );
    return Object.assign(host, { groupIds });
  }

  async update(id: number, changes: UpdateHostDto): Promise<HostWithGroups> {
    const host = await this.get(id);
    const groupIds = groupsOf(changes);
    await this.assertReferences(changes.monitor_id, groupIds ?? []);
    if (changes.monitor_id !== undefined && changes.monitor_id !== host.monitorId) {
      // Moving to another monitor, or to none: its id there is unknown until the next push.
      host.monitorId = changes.monitor_id;
      host.externalId = null;
    }
    if (changes.name !== undefined) host.name = changes.name;
    if (changes.technical_name !== undefined) host.technicalName = changes.technical_name;
    if (groupIds) host.groupId = groupIds[0] ?? null;
    if (changes.ip_addr !== undefined) host.ipAddr = changes.ip_addr;
    if (changes.description !== undefined) host.description = changes.description;
    if (changes.enabled !== undefined) host.enabled = changes.enabled;
    const [saved] = await this.withGroups([await this.writer.saveHost(host, groupIds)]);
    return saved;
  }

  async remove(id: number): Promise<void> {
    await this.get(id);
    await this.writer.deleteHost(id);
  }

  listGroups(monitorId?: number): Promise<HostGroup[]> {
    return this.groups.find({ where: monitorId === undefined ? {} : { monitorId }, order: { id: 'ASC' } });
  }

  findGroup(id: number): Promise<HostGroup | null> {
    return this.groups.findOneBy({ id });
  }

  /** The names of the host's groups, in order. */
  async groupNamesOf(hostId: number): Promise<string[]> {
    const ids = (await this.writer.groupIdsOf([hostId])).get(hostId) ?? [];
    if (ids.length === 0) return [];
    const names = new Map((await this.groups.findBy({ id: In(ids) })).map((group) => [group.id, group.name]));
    return ids.flatMap((id) => names.get(id) ?? []);
  }

  /** Another host on the monitor (pushed or pulled, not vanished) with this technical name, if any. */
  technicalNameHolder(monitorId: number, technicalName: string, exceptHostId: number): Promise<Host | null> {
    return this.hosts.findOneBy({
      monitorId,
      technicalName,
      id: Not(exceptHostId),
      externalId: Not(IsNull()),
      statusDescription: Not(HOST_VANISHED),
    });
  }

  findByExternalId(monitorId: number, externalId: string): Promise<Host | null> {
    return this.hosts.findOneBy({ monitorId, externalId });
  }

  /** A monitor or groups the body names must exist; null (none) and undefined (unchanged) name nothing. */
  private async assertReferences(monitorId: number | null | undefined, groupIds: number[]): Promise<void> {
    if (monitorId != null && !(await this.monitors.existsBy({ id: monitorId }))) {
      throw new NotFoundError(`Monitor ${monitorId} not found`);
    }
    if (groupIds.length === 0) return;
    const found = new Set(
      (await this.groups.find({ where: { id: In(groupIds) }, select: { id: true } })).map((g) => g.id),
    );
    const missing = groupIds.filter((groupId) => !found.has(groupId));
    if (missing.length > 0) throw new NotFoundError(`Group ${missing.join(', ')} not found`);
  }
}

/**
 * The groups a body puts the host in: `group_ids`, or the one `group_id` (null: none); undefined when it names none.
 * Sent together, `group_id` must be the first of `group_ids`.
 */
function groupsOf(body: { group_id?: number | null; group_ids?: number[] }): number[] | undefined {
  if (body.group_ids !== undefined) {
    if (body.group_id !== undefined && body.group_id !== (body.group_ids[0] ?? null)) {
      throw new InvalidInputError('group_id must be the first of group_ids when both are given');
    }
    return body.group_ids;
  }
  if (body.group_id === undefined) return undefined;
  return body.group_id === null ? [] : [body.group_id];
}
