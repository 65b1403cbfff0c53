import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { CredentialsReseal } from '../src/monitors/services/credentials-reseal';
import { type Api, apiAs, createMonitor } from './support/inventory-factory';
import { startTestApp, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { FakeZabbix } from './support/zabbix';

const secret = () => randomBytes(32).toString('hex');

/**
 * Monitor credentials across key changes: the same database and Zabbix, the service restarted with other keys.
 * One scenario, in order: each step starts from what the previous one left in the database.
 */
describe('monitor credentials across a change of jwt.secret or credentials.key (e2e)', () => {
  const jwtA = secret();
  const credentialsKey = secret();
  let dir: string;
  let database: TestDatabase;
  let zabbix: FakeZabbix;
  let monitorId: number;
  let running: TestApp | undefined;

  async function start(env: Record<string, string>): Promise<{ t: TestApp; api: Api }> {
    await running?.close();
    running = await startTestApp({ DATABASE_URL: database.url, ...env });
    return { t: running, api: apiAs(running, await running.login()) };
  }

  const check = async (api: Api) => {
    const { status, status_description } = (await api.post(`/monitors/${monitorId}/check`)).body;
    return { status, status_description };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nagare-credentials-'));
    database = await createTestDatabase(dir);
    zabbix = (await FakeZabbix.start({ password: 'the-zabbix-password' })).on('host.get', () => []);
  });
  afterAll(async () => {
    await running?.close();
    await zabbix.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works under jwt.secret alone, as before', async () => {
    const { api } = await start({ JWT_SECRET: jwtA });
    monitorId = (await createMonitor(api, { url: zabbix.url, password: 'the-zabbix-password' })).id;
    expect(await check(api)).toEqual({ status: SyncStatus.Active, status_description: 'Connected to zabbix 6.0.14' });
  });

  it('after jwt.secret changed with no credentials.key: auth_failed naming the cause, 409 on a pull, never 500', async () => {
    const { api } = await start({ JWT_SECRET: secret() });
    const checked = await check(api);
    expect(checked.status).toBe(SyncStatus.AuthFailed);
    expect(checked.status_description).toMatch(/cannot be decrypted.*jwt\.secret/);

    const pulled = await api.post(`/monitors/${monitorId}/hosts/pull`);
    expect(pulled.status).toBe(409);
    expect(pulled.body.message).toMatch(/cannot be decrypted/);
  });

  it('opens them again once jwt.secret is back, and moves them to credentials.key at start when it is set', async () => {
    const { t, api } = await start({ JWT_SECRET: jwtA, CREDENTIALS_KEY: credentialsKey });
    // The session token kept by the first check, and the password: both sealed under the old key.
    expect(await t.app.get(CredentialsReseal).done).toBe(2);
    expect(await check(api)).toEqual({ status: SyncStatus.Active, status_description: 'Connected to zabbix 6.0.14' });
  });

  it('with credentials.key set, jwt.secret can change (to revoke every login) and the monitors keep working', async () => {
    const logins = zabbix.calls('user.login').length;
    const { t, api } = await start({ JWT_SECRET: secret(), CREDENTIALS_KEY: credentialsKey });
    expect(await t.app.get(CredentialsReseal).done).toBe(0);
    expect(await check(api)).toEqual({ status: SyncStatus.Active, status_description: 'Connected to zabbix 6.0.14' });
    // The kept session opened too: no new login.
    expect(zabbix.calls('user.login')).toHaveLength(logins);
  });

  it('rotates credentials.key through credentials.previous_key', async () => {
    const newKey = secret();
    const { t } = await start({
      JWT_SECRET: secret(),
      CREDENTIALS_KEY: newKey,
      CREDENTIALS_PREVIOUS_KEY: credentialsKey,
    });
    expect(await t.app.get(CredentialsReseal).done).toBe(2);
    const { api: after } = await start({ JWT_SECRET: secret(), CREDENTIALS_KEY: newKey });
    expect(await check(after)).toEqual({ status: SyncStatus.Active, status_description: 'Connected to zabbix 6.0.14' });
  });
});
