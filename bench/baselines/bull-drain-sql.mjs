// Drain reference: plain bull doing a generate_alerts task's database work itself, with better-sqlite3 on the
// service's SQLite file: the same pick statement, the same one-row INSERT, and for a critical alert the same
// transaction with the host's and the item's UPDATE. No payload check, no logs, no TypeORM: what the task costs
// without our machinery around it. SQLite only.
// `node bench/baselines/bull-drain-sql.mjs <redisUrl> <prefix> <concurrency> <sqlite file>`; prints `@bench {"ready":true}`.
import { randomInt } from 'node:crypto';
import process from 'node:process';
import Database from 'better-sqlite3';
import Queue from 'bull';
import { randomFractions, targetPicksSql } from '../../dist/alerts/services/target-picks-sql.js';
import { tell } from '../lib.mjs';

const [redis, prefix, concurrency, file] = process.argv.slice(2);
const db = new Database(file);
// As the service opens it (src/database/data-source-options.ts).
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');

// The service's own pick statement, from the build.
const pick = db.prepare(targetPicksSql(1, false));
const insert = db.prepare(
  'INSERT INTO "alerts" ("message", "severity", "status", "host_id", "item_id", "comment", "created_at", "updated_at") ' +
    'VALUES (?, ?, 0, ?, ?, ?, ?, ?)',
);
const markHost = db.prepare(`UPDATE "hosts" SET "status" = 2, "status_description" = ? WHERE id IN (?)`);
const markItem = db.prepare(`UPDATE "items" SET "status" = 2, "status_description" = ? WHERE id IN (?)`);
const insertCritical = db.transaction((row) => {
  insert.run(row);
  markHost.run(`Critical alert: ${row[0]}`, row[2]);
  if (row[3] !== null) markItem.run(`Critical alert: ${row[0]}`, row[3]);
});
const MESSAGES = ['CPU usage exceeded 90%', 'Disk space below 10%', 'Service not responding', 'High memory usage'];

const queue = new Queue('sql', { prefix, redis });
await queue.isReady();
queue.process(Number(concurrency), async () => {
  const target = pick.get(randomFractions(1));
  if (target?.host_id == null) throw new Error('no hosts');
  const now = new Date();
  // As TypeORM stores a datetime on SQLite: UTC, 'YYYY-MM-DD HH:MM:SS.SSS'.
  const stored = now.toISOString().replace('T', ' ').replace('Z', '');
  const severity = randomInt(3);
  const message = MESSAGES[randomInt(MESSAGES.length)];
  const row = [
    message,
    severity,
    target.host_id,
    target.item_id,
    `Auto-generated test alert #1 at ${now.toISOString()}`,
    stored,
    stored,
  ];
  if (severity === 2) insertCritical(row);
  else insert.run(row);
  return { count: 1, critical: severity === 2 ? 1 : 0 };
});
tell({ ready: true });
process.on('SIGTERM', () =>
  queue.close().then(() => {
    db.close();
    process.exit(0);
  }),
);
