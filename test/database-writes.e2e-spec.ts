import { setTimeout as sleep } from 'node:timers/promises';
import { Transactions } from '../src/database/transactions';
import { type Api, apiAs, createHost, createItem, createMonitor, unique } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Every write goes through Transactions. On SQLite all queries of the process share one connection, so a write
 * issued bare while another transaction is open becomes part of it, and is rolled back with it.
 */
describe('database writes (e2e)', () => {
  let t: TestApp;
  let api: Api;

  beforeAll(async () => {
    t = await startTestApp();
    api = apiAs(t, await t.login());
  });
  afterAll(() => t.close());

  /** A transaction of the service (as a sync's batch) that stays open until released, then fails. */
  async function openTransactionThatFails(): Promise<{ release: () => void; done: Promise<unknown> }> {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const done = t.app.get(Transactions).run(async (manager) => {
      await manager.query('SELECT 1');
      opened();
      await gate;
      throw new Error('rolled back on purpose');
    });
    done.catch(() => undefined);
    await isOpen;
    return { release, done };
  }

  /** Each table family's writer, through the API: the resource to change, and a change to check afterwards. */
  const cases: [string, () => Promise<string>, Record<string, unknown>][] = [
    ['a host', async () => `/hosts/${(await createHost(api)).id}`, { name: `renamed-${unique()}` }],
    [
      'an item',
      async () => `/items/${(await createItem(api, (await createHost(api)).id)).id}`,
      { name: `r-${unique()}` },
    ],
    ['a monitor', async () => `/monitors/${(await createMonitor(api)).id}`, { name: `renamed-${unique()}` }],
    ['an alert', async () => `/alerts/${await createAlert()}`, { comment: `seen ${unique()}` }],
    ['a user', async () => `/users/${await createUser()}`, { privileges: 2 }],
  ];

  async function createAlert(): Promise<number> {
    const host = await createHost(api);
    const res = await api.post('/alerts', { message: 'disk full', severity: 3, host_id: host.id });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  async function createUser(): Promise<number> {
    const res = await api.post('/users', { username: `u-${unique()}`, password: 'a-long-password', privileges: 1 });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  it.each(cases)(
    'keeps a change to %s made while another transaction was open, when that one rolls back',
    async (_kind, make, change) => {
      const path = await make();
      const open = await openTransactionThatFails();
      const pending = api.patch(path, change);
      // Time for a bare write to run inside the open transaction, as it did before every write took its turn.
      await sleep(200);
      open.release();
      await expect(open.done).rejects.toThrow('rolled back on purpose');
      expect((await pending).status).toBe(200);
      expect((await api.get(path)).body).toMatchObject(change);
    },
  );
});
