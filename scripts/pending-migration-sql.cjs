#!/usr/bin/env node
// Prints, for SQLite and for PostgreSQL, the SQL that would bring a database migrated to the latest migration in
// line with the entities: the body of the next migration. Run `npm run build` first.
//   node scripts/pending-migration-sql.cjs [postgres://postgres@127.0.0.1:5432/postgres]
const { randomBytes } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Client } = require('pg');
const { DataSource } = require('typeorm');
const { cliDataSourceOptions } = require('../dist/cli-data-source');
const { runMigrations } = require('../dist/database/run-migrations');

async function pendingSql(database) {
  const dataSource = await new DataSource(cliDataSourceOptions(database)).initialize();
  try {
    await runMigrations(dataSource);
    const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
    return upQueries.map((query) => query.query);
  } finally {
    await dataSource.destroy();
  }
}

async function main() {
  const server = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dir = mkdtempSync(join(tmpdir(), 'nagare-migration-'));
  console.log('-- SQLite');
  for (const sql of await pendingSql({ kind: 'sqlite', path: join(dir, 'db.sqlite') })) console.log(`${sql};`);
  rmSync(dir, { recursive: true, force: true });

  const name = `nagare_migration_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(server);
    url.pathname = `/${name}`;
    console.log('-- PostgreSQL');
    for (const sql of await pendingSql({ kind: 'postgres', url: url.toString() })) console.log(`${sql};`);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
