import { distinctHosts, ITEM_BATCH_HOSTS, ITEM_BATCH_ITEMS, itemBatches } from './item-batches';

const hosts = (counts: (number | undefined)[]) => counts.map((items, i) => ({ externalId: String(1_000 + i), items }));
const sizes = (batches: string[][]) => batches.map((batch) => batch.length);

describe('itemBatches', () => {
  it('fills a batch up to ITEM_BATCH_ITEMS items by the counts, never past it', () => {
    expect(ITEM_BATCH_ITEMS).toBe(5_000);
    expect(sizes(itemBatches(hosts(Array(25).fill(400))))).toEqual([12, 12, 1]);
    expect(sizes(itemBatches(hosts([2_500, 2_500, 1])))).toEqual([2, 1]);
  });

  it('gives a host of more items than a batch holds a batch of its own', () => {
    expect(sizes(itemBatches(hosts([10, 9_000, 10, 10])))).toEqual([1, 1, 2]);
  });

  it('never names more than ITEM_BATCH_HOSTS hosts, however few items they have', () => {
    expect(ITEM_BATCH_HOSTS).toBe(100);
    expect(sizes(itemBatches(hosts(Array(250).fill(0))))).toEqual([100, 100, 50]);
  });

  it('counts a host of unknown size as a full batch’s average, 50 items', () => {
    expect(sizes(itemBatches(hosts(Array(250).fill(undefined))))).toEqual([100, 100, 50]);
    expect(sizes(itemBatches(hosts([4_950, undefined, undefined])))).toEqual([2, 1]);
  });

  it('keeps the hosts in order, each once, and answers no batch for no hosts', () => {
    const list = hosts([3_000, 3_000, 3_000]);
    expect(itemBatches(list).flat()).toEqual(list.map((host) => host.externalId));
    expect(itemBatches([])).toEqual([]);
  });
});

describe('distinctHosts', () => {
  it('keeps the first entry of a host listed twice, in order', () => {
    const list = [
      { externalId: '1', items: 3 },
      { externalId: '2', items: 4 },
      { externalId: '1', items: 9 },
    ];
    expect(distinctHosts(list)).toEqual([list[0], list[1]]);
  });
});
