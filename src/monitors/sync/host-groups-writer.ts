import type { EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { BULK_BATCH, bulkInsert, defineTable } from '../../database/bulk-write';
import { HostGroupLink } from '../entities/host-group-link.entity';
import { Host } from '../entities/host.entity';
import type { RemoteHost } from '../providers/monitor-provider';
import { chunks } from './chunks';

const LINKS = defineTable({ entity: HostGroupLink, columns: ['hostId', 'groupId', 'position'], conflict: [] });

/** Each host's group ids, in order (the first is its `group_id`); a host in no group is missing from the map. */
export async function groupIdsOf(manager: EntityManager, hostIds: number[]): Promise<Map<number, number[]>> {
  const groups = new Map<number, number[]>();
  for (const batch of chunks([...new Set(hostIds)], BULK_BATCH)) {
    const links = await manager.find(HostGroupLink, {
      where: { hostId: In(batch) },
      select: { hostId: true, groupId: true, position: true },
      order: { hostId: 'ASC', position: 'ASC' },
    });
    for (const link of links) groups.set(link.hostId, [...(groups.get(link.hostId) ?? []), link.groupId]);
  }
  return groups;
}

/**
 * Within the caller's transaction: each host's groups become exactly the ones given, in that order (duplicates
 * dropped). Hosts whose groups are already so are left alone; returns the ids of the hosts whose groups changed.
 * `fresh` hosts were inserted by the caller's transaction, so they have no groups yet: nothing is read or deleted
 * for them.
 */
export async function setHostGroups(
  manager: EntityManager,
  wanted: Map<number, number[]>,
  fresh: ReadonlySet<number> = new Set(),
): Promise<number[]> {
  const current = await groupIdsOf(
    manager,
    [...wanted.keys()].filter((hostId) => !fresh.has(hostId)),
  );
  const changed: number[] = [];
  for (const [hostId, groupIds] of wanted) {
    const distinct = [...new Set(groupIds)];
    wanted.set(hostId, distinct);
    if (!sameList(current.get(hostId) ?? [], distinct)) changed.push(hostId);
  }
  for (const batch of chunks(changed, BULK_BATCH)) {
    const grouped = batch.filter((hostId) => current.has(hostId));
    if (grouped.length > 0) await manager.delete(HostGroupLink, { hostId: In(grouped) });
    const rows = batch.flatMap((hostId) =>
      (wanted.get(hostId) ?? []).map((groupId, position) => ({ hostId, groupId, position })),
    );
    for (const rowBatch of chunks(rows, BULK_BATCH)) await bulkInsert(manager, LINKS, rowBatch);
  }
  return changed;
}

/**
 * Within a pull's transaction: every group of the reported hosts (`local` maps their external ids to ours), in the
 * monitor's order (`groupIds` maps the monitor's group ids to ours); a host regrouped gets the sync time, unless the
 * pull just wrote its row (`written`, which has it already). `fresh` hosts were inserted by this pull. Returns the
 * ids of the hosts whose groups changed.
 */
export async function linkPulledGroups(
  manager: EntityManager,
  local: ReadonlyMap<string, number>,
  remote: RemoteHost[],
  groupIds: Map<string, number>,
  pulled: { syncedAt: Date; written: ReadonlySet<number>; fresh: ReadonlySet<number> },
): Promise<number[]> {
  const wanted = new Map<number, number[]>();
  for (const host of remote) {
    const hostId = local.get(host.externalId);
    if (hostId !== undefined)
      wanted.set(
        hostId,
        host.groups.flatMap((group) => groupIds.get(group.externalId) ?? []),
      );
  }
  const changed = await setHostGroups(manager, wanted, pulled.fresh);
  const regroupedOnly = changed.filter((hostId) => !pulled.written.has(hostId));
  for (const batch of chunks(regroupedOnly, BULK_BATCH)) {
    await manager.update(Host, { id: In(batch) }, { lastSyncAt: pulled.syncedAt, updatedAt: pulled.syncedAt });
  }
  return changed;
}

function sameList(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
