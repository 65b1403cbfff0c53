import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/redis-server';
import { ServiceProcess } from '../support/service-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { describeZabbix } from '../support/zabbix';

/**
 * The guide's "Test Scenario", step by step as written, against the built service (what `npm start` runs) on a
 * fresh database, with a real Zabbix as monitor 1.
 */
describeZabbix("the guide's test scenario", (zabbix) => {
  const ADMIN_PASSWORD = 'guide-admin-password';
  let dir: string;
  let database: TestDatabase;
  let service: ServiceProcess;
  let token: string;

  const call = async (method: string, path: string, body?: object) => {
    const res = await fetch(service.url(path), {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nagare-guide-'));
    database = await createTestDatabase(dir);
    // 1. Start application
    service = await ServiceProcess.start({
      cwd: dir,
      env: {
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        REDIS_URL: process.env.NAGARE_TEST_REDIS_URL as string,
        DATABASE_URL: database.url,
        QUEUE_PREFIX: `nagare-guide:${randomBytes(4).toString('hex')}`,
        NAGARE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      },
    });
    const login = await call('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    token = login.body.token as string;
    const monitor = await call('POST', '/api/v1/monitors', {
      name: 'Zabbix',
      url: zabbix.url,
      type: 'zabbix',
      username: zabbix.user,
      password: zabbix.password,
    });
    expect(monitor).toMatchObject({ status: 201, body: { id: 1 } });
  });

  afterAll(async () => {
    await service?.stop('SIGTERM');
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('2. queues a host pull and answers 202 at once with the task id', async () => {
    const res = await call('POST', '/api/v1/monitors/1/hosts/pull-async');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      message: 'Host pull task queued',
      task_id: expect.stringMatching(/^pull_hosts:\d+$/),
      monitor_id: 1,
    });

    // The worker (role all) runs it; its lines in system.log say `worker`, as the guide's operators grep for.
    const taskId = res.body.task_id as string;
    let task = await call('GET', `/api/v1/tasks/${taskId}`);
    for (let i = 0; i < 100 && !['completed', 'dead'].includes(task.body.state as string); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      task = await call('GET', `/api/v1/tasks/${taskId}`);
    }
    expect(task.body).toMatchObject({ state: 'completed', progress: 100, result: { total: expect.any(Number) } });
    expect((task.body.result as { total: number }).total).toBeGreaterThanOrEqual(1);
    const workerLines = service
      .systemLog()
      .split('\n')
      .filter((line) => line.includes('worker') && line.includes(taskId));
    expect(workerLines.length).toBeGreaterThanOrEqual(2);
  });

  it("3. shows the queue statistics with the guide's seven task types, and the alerts' two", async () => {
    const res = await call('GET', '/api/v1/queue/stats');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'generate_alerts',
        'pull_host',
        'pull_hosts',
        'pull_item',
        'pull_items',
        'push_host',
        'push_item',
        'pull_alerts',
        'acknowledge_alert',
      ].sort(),
    );
    for (const count of Object.values(res.body)) expect(Number.isInteger(count)).toBe(true);
  });

  it('4. generates ten test alerts', async () => {
    const res = await call('POST', '/api/v1/alerts/generate-test?count=10');
    expect(res).toEqual({ status: 201, body: { message: 'Test alerts generated', count: 10 } });
  });

  it('5. answers the alert score', async () => {
    const res = await call('GET', '/api/v1/alerts/score');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['score']);
    expect(Number.isInteger(res.body.score)).toBe(true);
    expect(res.body.score as number).toBeGreaterThanOrEqual(0);
    expect(res.body.score as number).toBeLessThan(100);
  });
});
