// Checks a results file of `npm run bench:scale` for a run that completed on every database it names: each sync
// measured and counted right (the re-sync found every item unchanged), every target judged, no failed probe. Like
// bench/check-run.mjs it does not judge the figures (CI's smoke run uses small sizes on a shared machine); it fails
// when the bench itself broke. `node bench/check-scale.mjs <results.json> [database ...]`.
import { readFileSync } from 'node:fs';
import process from 'node:process';

const [file, ...wanted] = process.argv.slice(2);
const results = JSON.parse(readFileSync(file, 'utf8'));
const problems = [];
const expect = (ok, problem) => ok || problems.push(problem);

const databases = wanted.length > 0 ? wanted : (results.settings?.databases ?? []);
expect(databases.length > 0, 'no database named');
expect(results.kind === 'scale', 'not a results file of bench:scale');
expect(!results.incomplete, 'the run stopped before its end');
const { hosts, itemsPerHost, referenceHosts } = results.settings ?? {};
for (const kind of databases) {
  const run = results.databases?.[kind];
  if (!run) {
    problems.push(`${kind}: no figures`);
    continue;
  }
  const syncs = {
    reference: [run.reference, referenceHosts],
    first_sync: [run.first_sync, hosts],
    resync: [run.resync, hosts],
  };
  for (const [name, [sync, hostCount]] of Object.entries(syncs)) {
    expect(sync?.wall_ms > 0, `${kind} ${name}: no wall time`);
    expect(
      sync?.hosts === hostCount && sync?.items === hostCount * itemsPerHost,
      `${kind} ${name}: ${sync?.hosts} hosts and ${sync?.items} items, not ${hostCount} and ${hostCount * itemsPerHost}`,
    );
    for (const [path, probe] of Object.entries(sync?.probes ?? {})) {
      expect(probe.failures === 0, `${kind} ${name}: ${probe.failures} of ${probe.samples} probes of ${path} failed`);
    }
  }
  expect(
    run.first_sync?.result?.items?.added === run.first_sync?.items,
    `${kind}: the first sync did not add every item`,
  );
  expect(run.first_sync?.peak_rss_mb > 0, `${kind}: no peak RSS`);
  expect(
    run.resync?.result?.items?.unchanged === run.resync?.items &&
      run.resync?.result?.hosts?.unchanged === run.resync?.hosts,
    `${kind}: the re-sync did not find everything unchanged: ${JSON.stringify(run.resync?.result)}`,
  );
}
const expectedTargets = databases.length * 3 + (databases.includes('sqlite') && databases.includes('postgres') ? 1 : 0);
expect(
  results.targets?.length === expectedTargets,
  `${results.targets?.length ?? 0} targets judged, not ${expectedTargets}`,
);

if (problems.length > 0) {
  process.stderr.write(`the bench:scale run is incomplete:\n- ${problems.join('\n- ')}\n`);
  process.exit(1);
}
process.stdout.write(
  `the bench:scale run is complete on ${databases.join(' and ')}: ` +
    `${results.targets.map((t) => (t.met ? 'met' : 'missed')).join(', ')}\n`,
);
