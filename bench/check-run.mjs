// Checks a results file of `npm run bench` for a run that completed: every benchmark measured, its seven targets
// judged, no failed task, request or probe. It does not judge the figures (CI's machine is shared, and its smoke
// run uses small sizes); it fails when the bench itself broke. `node bench/check-run.mjs <results.json>`.
import { readFileSync } from 'node:fs';
import process from 'node:process';

const results = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const problems = [];
const expect = (ok, problem) => ok || problems.push(problem);

for (const part of ['sync', 'responsiveness', 'pg_sync', 'enqueue', 'drain', 'pg_drain', 'noop_drain']) {
  expect(results[part], `no ${part} figures`);
}
expect(results.targets?.length === 7, `${results.targets?.length ?? 0} targets judged, not 7`);
const { sync, responsiveness, enqueue, drain, noop_drain: noop, pg_sync: pgSync, pg_drain: pgDrain } = results;
if (sync) {
  expect(sync.wall_ms > 0 && sync.baseline_fetch_only_ms > 0, 'sync: no wall time');
  expect(sync.peak_rss_mb > 0, 'sync: no peak RSS');
}
if (responsiveness) {
  for (const [phase, probes] of Object.entries(responsiveness)) {
    for (const [path, probe] of Object.entries(probes)) {
      expect(
        probe.samples > 0 && probe.failures === 0,
        `${path} ${phase}: ${probe.samples} samples, ${probe.failures} failed`,
      );
    }
  }
}
if (enqueue) {
  for (const side of ['ours', 'baseline_nest']) {
    const run = enqueue[side];
    expect(run.requests > 0 && run.non2xx === 0 && run.errors === 0, `enqueue ${side}: ${JSON.stringify(run)}`);
    expect(run.cpu_us_per_request > 0, `enqueue ${side}: no CPU per request`);
  }
  expect(enqueue.baseline_bull.requests > 0, 'enqueue: plain bull made no requests');
}
for (const [name, run] of [
  ['drain ours', drain?.ours],
  ['drain reference (bull + SQLite)', drain?.reference_bull_sql],
  ['drain no-op bull', drain?.baseline_bull],
  ['PostgreSQL drain ours', pgDrain?.ours],
  ['PostgreSQL drain reference (bull + pg)', pgDrain?.reference_bull_pg],
]) {
  expect(run && run.tasks_per_s > 0 && run.failed === 0, `${name}: ${JSON.stringify(run)}`);
}
for (const [name, run] of [
  ['drain', drain?.ours],
  ['PostgreSQL drain', pgDrain?.ours],
]) {
  expect(!run || run.dead_letters === 0, `${name}: ${run?.dead_letters} dead letters`);
}
if (pgSync) {
  expect(pgSync.wall_ms > 0 && pgSync.ratio_vs_sqlite > 0, `PostgreSQL sync: ${JSON.stringify(pgSync)}`);
  expect(pgSync.items === sync?.items, `PostgreSQL sync stored ${pgSync.items} items, SQLite ${sync?.items}`);
}
if (noop) {
  for (const side of ['ours', 'baseline_bull']) {
    const run = noop[side];
    expect(run && run.cpu_us_per_task > 0 && run.failed === 0, `no-op drain ${side}: ${JSON.stringify(run)}`);
  }
}

if (problems.length > 0) {
  process.stderr.write(`the bench run is incomplete:\n- ${problems.join('\n- ')}\n`);
  process.exit(1);
}
process.stdout.write(
  `the bench run is complete: ${results.targets.map((t) => (t.met ? 'met' : 'missed')).join(', ')}\n`,
);
