import type { HostSize } from '../providers/monitor-provider';

/** Hosts whose items one `item.get` asks for, at most: the ids a call names stay short. */
export const ITEM_BATCH_HOSTS = 100;
/**
 * Items one `item.get` should bring back, at most, where the monitor says how many each host has: a reply of 5,000
 * items is about 2.5 MB of JSON, parsed in one go on the event loop and held until written. Sizing batches by hosts
 * alone let a monitor of 500 items a host send 50,000 at once (and a pull of a million items peak at 380 MB).
 */
export const ITEM_BATCH_ITEMS = 5_000;

/**
 * Splits a page of hosts into `item.get` batches, in order: each batch at most ITEM_BATCH_HOSTS hosts and, by the
 * item counts the monitor gave, at most ITEM_BATCH_ITEMS items, unless a single host has more (a host's items are
 * never split: the writer compares a host's stored items with all of those reported). A host whose count is unknown
 * counts as the average a full batch allows, so without counts the batches are of ITEM_BATCH_HOSTS hosts.
 */
export function itemBatches(hosts: readonly HostSize[]): string[][] {
  const unknownCount = ITEM_BATCH_ITEMS / ITEM_BATCH_HOSTS;
  const batches: string[][] = [];
  let batch: string[] = [];
  let items = 0;
  for (const host of hosts) {
    const count = host.items ?? unknownCount;
    if (batch.length > 0 && (batch.length === ITEM_BATCH_HOSTS || items + count > ITEM_BATCH_ITEMS)) {
      batches.push(batch);
      batch = [];
      items = 0;
    }
    batch.push(host.externalId);
    items += count;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The hosts in the order given, each external id once (a host listed twice keeps its first entry). */
export function distinctHosts(hosts: readonly HostSize[]): HostSize[] {
  const seen = new Set<string>();
  const distinct: HostSize[] = [];
  for (const host of hosts) {
    if (seen.has(host.externalId)) continue;
    seen.add(host.externalId);
    distinct.push(host);
  }
  return distinct;
}
