import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Privilege, User } from '../src/auth/users/user.entity';
import { loadConfig } from '../src/config/config.loader';
import { CLI_ENTITIES, cliDataSourceOptions } from '../src/cli-data-source';
import { MIGRATIONS } from '../src/database/migrations';
import { UsernamesCaseInsensitive1764547200000 } from '../src/database/migrations/1764547200000-usernames-case-insensitive';
import { HostGroupsAndTechnicalName1765000000000 } from '../src/database/migrations/1765000000000-host-groups-and-technical-name';
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

/**
 * Every table, column and index as the database itself describes them: what a migration changes, including
 * what TypeORM's schema builder does not track (the expression index on lower(username)).
 */
async function schemaOf(dataSource: DataSource): Promise<unknown[]> {
  if (dataSource.options.type === 'postgres') {
    return dataSource.query(
      `SELECT table_name AS name, column_name AS detail FROM information_schema.columns WHERE table_schema = 'public' ` +
        `UNION ALL SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
    );
  }
  return dataSource.query(`SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name`);
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

    it("loads every entity through the feature modules, the same ones the migration tool's list names", () => {
      const names = (entities: { name: string }[]) => entities.map((entity) => entity.name).sort();
      expect(names(dataSource.entityMetadatas)).toEqual(names(CLI_ENTITIES));
      expect(dataSource.options.entities).toEqual(expect.arrayContaining(CLI_ENTITIES));
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
      const migrated = await schemaOf(dataSource);
      await dataSource.undoLastMigration({ transaction: 'all' });
      expect(await appliedMigrations(dataSource)).toEqual(MIGRATION_NAMES.slice(0, -1));
      expect(await schemaOf(dataSource)).not.toEqual(migrated);

      await dataSource.runMigrations({ transaction: 'all' });
      expect(await appliedMigrations(dataSource)).toEqual(MIGRATION_NAMES);
      expect(await schemaOf(dataSource)).toEqual(migrated);
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
      Array.from({ length: RACING_APPS }, () => new DataSource(cliDataSourceOptions(connection)).initialize()),
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

  describe('usernames that differ only by case (issue 15, item 9)', () => {
    const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(UsernamesCaseInsensitive1764547200000));
    let dir: string;
    let database: TestDatabase;
    let sources: DataSource[] = [];

    /** A data source on the test's database that knows only the given migrations. */
    async function open(migrations: typeof MIGRATIONS): Promise<DataSource> {
      const connection = loadConfig(testEnv(dir, database), dir).database;
      const source = await new DataSource({ ...cliDataSourceOptions(connection), migrations }).initialize();
      sources.push(source);
      return source;
    }

    async function addUser(source: DataSource, username: string): Promise<number> {
      const user = await source.getRepository(User).save({ username, passwordHash: 'x', privileges: Privilege.Read });
      return user.id;
    }

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nagare-db-'));
      database = await createTestDatabase(dir);
      sources = [];
    });
    afterEach(async () => {
      await Promise.all(sources.map((source) => source.destroy()));
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses the migration, naming every clashing row, and changes nothing', async () => {
      const old = await open(BEFORE);
      await runMigrations(old);
      const lower = await addUser(old, 'admin');
      await addUser(old, 'operator');
      const upper = await addUser(old, 'Admin');
      const third = await addUser(old, 'ADMIN');

      const current = await open(MIGRATIONS);
      const refused = runMigrations(current);

      await expect(refused).rejects.toThrow(
        `differ only by case: admin (id ${lower}), Admin (id ${upper}), ADMIN (id ${third}).`,
      );
      await expect(refused).rejects.not.toThrow(/operator/);
      expect(await appliedMigrations(current)).toEqual(BEFORE.map((Migration) => new Migration().name));
      await addUser(current, 'Operator'); // no index was created
    });

    it('applies once the clash is resolved, then refuses a second spelling of a name', async () => {
      const old = await open(BEFORE);
      await runMigrations(old);
      await addUser(old, 'admin');
      const upper = await addUser(old, 'Admin');
      const current = await open(MIGRATIONS);
      await expect(runMigrations(current)).rejects.toThrow(/differ only by case/);

      await current.getRepository(User).delete({ id: upper });
      await runMigrations(current);

      expect(await appliedMigrations(current)).toEqual(MIGRATION_NAMES);
      await expect(addUser(current, 'ADMIN')).rejects.toThrow(/unique/i);
    });
  });

  describe('every group of a host (issue 22, item 5)', () => {
    const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(HostGroupsAndTechnicalName1765000000000));
    let dir: string;
    let database: TestDatabase;
    const sources: DataSource[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'nagare-db-'));
      database = await createTestDatabase(dir);
    });
    afterAll(async () => {
      await Promise.all(sources.map((source) => source.destroy()));
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("keeps each host's one group as its first in host_group_links when migrating", async () => {
      const connection = loadConfig(testEnv(dir, database), dir).database;
      const old = await new DataSource({ ...cliDataSourceOptions(connection), migrations: BEFORE }).initialize();
      sources.push(old);
      await runMigrations(old);
      // Plain SQL: the entities already have the columns this migration adds.
      await old.query(`INSERT INTO "host_groups" ("name") VALUES ('linux')`);
      const [group] = await old.query(`SELECT "id" FROM "host_groups" WHERE "name" = 'linux'`);
      await old.query(`INSERT INTO "hosts" ("name", "group_id") VALUES ('grouped', ${Number(group.id)})`);
      await old.query(`INSERT INTO "hosts" ("name") VALUES ('ungrouped')`);

      const current = await new DataSource({
        ...cliDataSourceOptions(connection),
        migrations: MIGRATIONS,
      }).initialize();
      sources.push(current);
      await runMigrations(current);
      const links = await current.query(
        `SELECT h."name" AS "name", l."group_id" AS "groupId", l."position" AS "position" ` +
          `FROM "host_group_links" l JOIN "hosts" h ON h."id" = l."host_id"`,
      );
      expect(links.map((link: Record<string, unknown>) => ({ ...link, groupId: Number(link.groupId) }))).toEqual([
        { name: 'grouped', groupId: Number(group.id), position: 0 },
      ]);
      const [host] = await current.query(`SELECT "technical_name" FROM "hosts" WHERE "name" = 'grouped'`);
      expect(host.technical_name).toBeNull();
    });
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
