/* global __dirname */
// An ablation, never a benchmark's own setting: preloaded into a service (BENCH_SERVICE_NODE_ARGS='--require
// ./bench/ablations/no-task-line-writes.cjs'), the worker's two lines per task are built as always but not written to
// their files (stdout redirected to a file, and system.log). What the no-op drain loses with it is what the
// write(2) calls of those lines cost; against no-task-lines.cjs, the rest is building them (docs/benchmarks.md).
const { join } = require('node:path');
const { SyncFile } = require(join(__dirname, '..', '..', 'dist', 'common', 'logging', 'sync-file.js'));

const write = SyncFile.prototype.write;
let skipped = 0;
SyncFile.prototype.write = function writeAllButTaskLines(line) {
  if (/"msg":"worker (started|completed) task /.test(line)) {
    skipped += 1;
    return;
  }
  write.call(this, line);
};
// If the lines' wording changes, this ablation would skip nothing: say so where the bench's log keeps it.
process.on('exit', () => {
  if (skipped === 0) process.stderr.write('no-task-line-writes.cjs: no task line was skipped; update the ablation\n');
});
