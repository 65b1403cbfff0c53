import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Privilege, User } from '../src/auth/users/user.entity';
import { loadConfig } from '../src/config/config.loader';
import { dataSourceOptions } from '../src/database/data-source-options';
import { MIGRATIONS } from '../src/database/migrations';
import { runMigrations } from '../src/database/run-migrations';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { startTestApp, testEnv, type TestApp } from './support/test-app';

const onPostgres = process.env.DATABASE_URL?.startsWith('postgres') ?? false;
const itOnSqlite = onPostgres ? it.skip : it;
const itOnPostgres = onPostgres ? it : it.skip;

/** How far a stored timestamp may be from the test's clock: far less than any time zone offset. */
const CLOCK_SLACK_MS = 10_000;

/** Three racers rather than two: more interleavings for the migration lock and the initial-admin check to survive. */
const RACING_APPS = 3;

const MIGRATION_NAMES = MIGRATIONS.map((Migration) => new Migration().name);

function expectRecent(iso: string): void {
  expect(Math.abs(new Date(iso).getTime() - Date.now())).toBeLessThan(CLOCK_SLACK_MS);
}

async function appliedMigrations(dataSource: DataSource): Promise<string[]> {
  const rows: { name: string }[] = await dataSource.query('SELECT name FROM migrations ORDER BY id');
  return rows.map((row) => row.name);
}

/** Creates a user through the API, changes it, and returns the creation's answer and the user as read back after. */
async function createAndUpdateUser(
  t: TestApp,
): Promise<{ created: Record<string, string>; updated: Record<string, string> }> {
  const token = await t.login();
  const created = await request(t.http)
    .post('/api/v1/users')
    .set('Authorization', `Bearer ${token}`)
    .send({ username: 'clock', password: 'clock-password', privileges: Privilege.Read });
  expect(created.status).toBe(201);
  const updated = await request(t.http)
    .patch(`/api/v1/users/${created.body.id}`)
    .set('Authorization', `Bearer ${token}`)
    .send({ privileges: Privilege.Write });
  expect(updated.status).toBe(200);
  // Read back from the database, not from the entity the service just saved.
  const fetched = await request(t.http).get(`/api/v1/users/${created.body.id}`).set('Authorization', `Bearer ${token}`);
  expect(fetched.status).toBe(200);
  return { created: created.body, updated: fetched.body };
}

describe('database (e2e)', () => {
  describe('after boot', () => {
    let t: TestApp;
    let dataSource: DataSource;

    beforeAll(async () => {
      t = await startTestApp();
      dataSource = t.app.get(DataSource);
    });
    afterAll(() => t.close());

    it('has exactly the schema the entities declare', async () => {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    });

    it('records every migration, in order, in the migrations table', async () => {
      expect(await appliedMigrations(dataSource)).toEqual(MIGRATION_NAMES);
    });

    it('applies nothing when the migrations run again', async () => {
      expect(await dataSource.runMigrations({ transaction: 'all' })).toEqual([]);
      expect(await dataSource.showMigrations()).toBe(false);
      expect(await appliedMigrations(dataSource)).toEqual(MIGRATION_NAMES);
    });

    it('reverts the newest migration and applies it again', async () => {
      await dataSource.undoLastMigration({ transaction: 'all' });
      expect(await appliedMigrations(dataSource)).toEqual(MIGRATION_NAMES.slice(0, -1));
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).not.toEqual([]);

      await dataSource.runMigrations({ transaction: 'all' });
      expect(await appliedMigrations(dataSource)).toEqual(MIGRATION_NAMES);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });

    itOnSqlite('runs SQLite in WAL mode', async () => {
      const [row] = await dataSource.query('PRAGMA journal_mode');
      expect(row.journal_mode).toBe('wal');
    });

    itOnSqlite('commits without waiting for an fsync (synchronous = NORMAL, 1)', async () => {
      const [row] = await dataSource.query('PRAGMA synchronous');
      expect(row.synchronous).toBe(1);
    });

    itOnSqlite('keeps the 5 s busy timeout once the migrations are done', async () => {
      const [row] = await dataSource.query('PRAGMA busy_timeout');
      expect(row.timeout).toBe(5000);
    });

    it('reads timestamps back as the current UTC instant', async () => {
      const { created, updated } = await createAndUpdateUser(t);
      expectRecent(created.created_at);
      expectRecent(updated.created_at);
      expectRecent(updated.updated_at);
      expect(new Date(updated.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(updated.created_at).getTime());
    });
  });

  itOnPostgres('reads timestamps back as UTC when the database session time zone is not UTC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nagare-db-'));
    const database = await createTestDatabase(dir);
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      // UTC+14: any timestamp read in the session's zone instead of UTC lands 14 hours off.
      const name = new URL(database.url).pathname.slice(1);
      await admin.query(`ALTER DATABASE "${name}" SET timezone TO 'Pacific/Kiritimati'`);
    } finally {
      await admin.end();
    }
    const t = await startTestApp({ DATABASE_URL: database.url });
    try {
      const { created, updated } = await createAndUpdateUser(t);
      expectRecent(created.created_at);
      expectRecent(updated.created_at);
      expectRecent(updated.updated_at);
    } finally {
      await t.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies the migrations once when several data sources run them at the same moment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nagare-db-'));
    const database = await createTestDatabase(dir);
    const connection = loadConfig(testEnv(dir, database), dir).database;
    const sources = await Promise.all(
      Array.from({ length: RACING_APPS }, () => new DataSource(dataSourceOptions(connection)).initialize()),
    );
    try {
      // Initialised first, so the migrations themselves start together rather than staggered by the connects.
      await Promise.all(sources.map((source) => runMigrations(source)));
      expect(await appliedMigrations(sources[0])).toEqual(MIGRATION_NAMES);
      expect(await sources[0].driver.createSchemaBuilder().log()).toMatchObject({ upQueries: [] });
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('several apps starting at once on one database', () => {
    let dir: string;
    let shared: TestDatabase;
    let apps: TestApp[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nagare-db-'));
      shared = await createTestDatabase(dir);
      const started = await Promise.allSettled(
        Array.from({ length: RACING_APPS }, () => startTestApp({ DATABASE_URL: shared.url })),
      );
      apps = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const failure = started.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason; // afterAll still closes the apps that did start
    });
    afterAll(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await shared.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('all boot and serve logins', async () => {
      for (const app of apps) await expect(app.login()).resolves.toEqual(expect.any(String));
    });

    it('apply each migration once', async () => {
      expect(await appliedMigrations(apps[0].app.get(DataSource))).toEqual(MIGRATION_NAMES);
    });

    it('create a single initial superadmin', async () => {
      const users = apps[0].app.get(DataSource).getRepository(User);
      expect(await users.countBy({ privileges: Privilege.ManageUsers })).toBe(1);
      expect(await users.count()).toBe(1);
    });
  });
});
