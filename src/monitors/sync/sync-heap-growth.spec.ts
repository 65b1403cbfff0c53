import { SYNC_HEAP_GROWING_PERCENT, SyncHeapGrowth, V8_CHOOSES } from './sync-heap-growth';

/** A sync that ends when told to. */
function pendingSync() {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return { work: () => ended, end };
}

describe(SyncHeapGrowth.name, () => {
  it('holds the factor from the first sync to the end of the last one running, setting it once each way', async () => {
    const set: number[] = [];
    const growth = new SyncHeapGrowth((percent) => set.push(percent), false);
    const [first, second] = [pendingSync(), pendingSync()];

    const running = [growth.during(first.work), growth.during(second.work)];
    expect(set).toEqual([SYNC_HEAP_GROWING_PERCENT]);
    first.end();
    await running[0];
    expect(set).toEqual([SYNC_HEAP_GROWING_PERCENT]);
    second.end();
    await running[1];
    expect(set).toEqual([SYNC_HEAP_GROWING_PERCENT, V8_CHOOSES]);
  });

  it('gives V8 its choice back when a sync fails, and passes the failure on', async () => {
    const set: number[] = [];
    const growth = new SyncHeapGrowth((percent) => set.push(percent), false);
    await expect(growth.during(() => Promise.reject(new Error('Zabbix went away')))).rejects.toThrow(
      'Zabbix went away',
    );
    expect(set).toEqual([SYNC_HEAP_GROWING_PERCENT, V8_CHOOSES]);
    expect(await growth.during(async () => 'next')).toBe('next');
    expect(set).toEqual([SYNC_HEAP_GROWING_PERCENT, V8_CHOOSES, SYNC_HEAP_GROWING_PERCENT, V8_CHOOSES]);
  });

  it('holds the factor once for good in a process that runs tasks, and leaves it there after a sync', async () => {
    const set: number[] = [];
    const growth = new SyncHeapGrowth((percent) => set.push(percent), false);
    growth.holdAlways();
    growth.holdAlways();
    expect(await growth.during(async () => 'done')).toBe('done');
    expect(set).toEqual([SYNC_HEAP_GROWING_PERCENT]);
  });

  it('leaves a factor set on the node command line alone', async () => {
    const set: number[] = [];
    const growth = new SyncHeapGrowth((percent) => set.push(percent), true);
    growth.holdAlways();
    expect(await growth.during(async () => 42)).toBe(42);
    expect(set).toEqual([]);
  });
});
