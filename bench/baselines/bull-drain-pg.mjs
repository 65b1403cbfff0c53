// Drain reference on PostgreSQL: plain bull doing a generate_alerts task's database work itself through `pg`, on
// the service's database: the same pick statement, the same one-row INSERT, and for a critical alert the same
// transaction (the host's and the item's rows locked in id order, then each UPDATE). No payload check, no logs, no
// TypeORM: what the task costs without our machinery around it. A pool of 10, as the service's.
// `node bench/baselines/bull-drain-pg.mjs <redisUrl> <prefix> <concurrency> <postgres url>`; prints `@bench {"ready":true}`.
import { randomInt } from 'node:crypto';
import process from 'node:process';
import Queue from 'bull';
import pg from 'pg';
import { randomFractions, targetPicksSql } from '../../dist/alerts/services/target-picks-sql.js';
import { tell } from '../lib.mjs';

const [redis, prefix, concurrency, url] = process.argv.slice(2);
// As the service connects (src/database/data-source-options.ts): UTC sessions, dates sent as UTC.
pg.defaults.parseInputDatesAsUTC = true;
const pool = new pg.Pool({ connectionString: url, max: 10, options: '-c TimeZone=UTC' });

const PICK = targetPicksSql(1, true);
const INSERT =
  'INSERT INTO "alerts" ("message", "severity", "status", "host_id", "item_id", "comment", "created_at", "updated_at") ' +
  'VALUES ($1, $2, $3, $4, $5, $6, $7, $8)';
const MESSAGES = ['CPU usage exceeded 90%', 'Disk space below 10%', 'Service not responding', 'High memory usage'];

/** As InventoryWriter.markCritical: lock the row, then one UPDATE with the reason. */
async function markCritical(client, table, id, message) {
  await client.query(
    `SELECT "row"."id" AS "row_id" FROM "${table}" "row" WHERE "row"."id" IN ($1) ORDER BY "row"."id" ASC FOR NO KEY UPDATE`,
    [id],
  );
  await client.query(
    `UPDATE "${table}" SET "status" = $1, "status_description" = CASE id WHEN $2 THEN $3 END WHERE "id" IN ($4)`,
    [2, id, `Critical alert: ${message}`, id],
  );
}

async function insertCritical(row) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(INSERT, row);
    await markCritical(client, 'hosts', row[3], row[0]);
    if (row[4] !== null) await markCritical(client, 'items', row[4], row[0]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const queue = new Queue('sql', { prefix, redis });
await queue.isReady();
queue.process(Number(concurrency), async () => {
  const { rows } = await pool.query(PICK, randomFractions(1));
  const target = rows[0];
  if (target?.host_id == null) throw new Error('no hosts');
  const now = new Date();
  const severity = randomInt(3);
  const message = MESSAGES[randomInt(MESSAGES.length)];
  const itemId = target.item_id === null ? null : Number(target.item_id);
  const row = [
    message,
    severity,
    0,
    Number(target.host_id),
    itemId,
    `Auto-generated test alert #1 at ${now.toISOString()}`,
    now,
    now,
  ];
  if (severity === 2) await insertCritical(row);
  else await pool.query(INSERT, row);
  return { count: 1, critical: severity === 2 ? 1 : 0 };
});
tell({ ready: true });
process.on('SIGTERM', () =>
  queue.close().then(async () => {
    await pool.end();
    process.exit(0);
  }),
);
