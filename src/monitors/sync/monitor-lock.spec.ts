import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { testRedisUrl } from '../../../test/support/redis-server';
import type { AppConfig } from '../../config/app-config';
import { MonitorLock, SyncInProgressError } from './monitor-lock';

type Connections = ConstructorParameters<typeof MonitorLock>[0];

/** The lock on the real Redis the suites run against (NAGARE_TEST_REDIS_URL, set by Jest's global setup). */
describe(MonitorLock.name, () => {
  let redis: Redis;
  let prefix: string;
  let closing: (() => Promise<unknown>)[];

  const newLock = () => {
    const connections = { commandClient: redis, onClosing: (hook: () => Promise<unknown>) => void closing.push(hook) };
    return new MonitorLock(connections as unknown as Connections, { queue: { prefix } } as AppConfig);
  };
  const keyOf = (monitorId: number) => `${prefix}:lock:monitor:${monitorId}`;

  /** Starts `run` on the lock with work that holds it until the returned release() is called. */
  function hold(lock: MonitorLock, monitorId: number) {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const done = lock.run(monitorId, 0, async () => {
      started();
      await held;
      return 'done';
    });
    return { running, release, done };
  }

  beforeAll(async () => {
    redis = new Redis(testRedisUrl());
    // The lock answers 503 at once while its connection is not ready yet.
    await redis.ping();
  });
  afterAll(() => redis.quit());
  beforeEach(() => {
    prefix = `nagare-test:${randomBytes(4).toString('hex')}`;
    closing = [];
  });

  it('lets one sync of a monitor run at a time, across lock instances (processes), and others run beside it', async () => {
    const first = newLock();
    const other = newLock();
    const holder = hold(first, 1);
    await holder.running;
    await expect(other.run(1, 0, async () => 'second')).rejects.toBeInstanceOf(SyncInProgressError);
    await expect(other.run(2, 0, async () => 'other monitor')).resolves.toBe('other monitor');
    holder.release();
    await expect(holder.done).resolves.toBe('done');
    await expect(other.run(1, 0, async () => 'after')).resolves.toBe('after');
  });

  it('waits up to waitMs for the holder to let go', async () => {
    const lock = newLock();
    const holder = hold(lock, 1);
    await holder.running;
    setTimeout(holder.release, 300);
    const started = Date.now();
    await expect(lock.run(1, 5_000, async () => 'waited')).resolves.toBe('waited');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('holds the key with a TTL, so a crashed holder cannot keep it forever', async () => {
    const lock = newLock();
    const holder = hold(lock, 1);
    await holder.running;
    const ttl = await redis.pttl(keyOf(1));
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    holder.release();
    await holder.done;
  });

  it('releases the lock when the work fails', async () => {
    const lock = newLock();
    await expect(lock.run(1, 0, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await redis.exists(keyOf(1))).toBe(0);
  });

  it('never releases a lock another owner holds now (its own lapsed and was taken over)', async () => {
    const lock = newLock();
    await lock.run(1, 0, async () => {
      await redis.set(keyOf(1), 'another-owner', 'PX', 30_000);
    });
    expect(await redis.get(keyOf(1))).toBe('another-owner');
  });

  it('releases the locks it holds when the connections close (shutdown), so the next worker need not wait', async () => {
    const lock = newLock();
    const holder = hold(lock, 1);
    await holder.running;
    expect(await redis.exists(keyOf(1))).toBe(1);
    await Promise.all(closing.map((hook) => hook()));
    expect(await redis.exists(keyOf(1))).toBe(0);
    holder.release();
    await holder.done;
  });
});
