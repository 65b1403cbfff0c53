/* global __dirname */
// An ablation, never a benchmark's own setting: preloaded into a service (BENCH_SERVICE_NODE_ARGS='--require
// ./bench/ablations/no-task-lines.cjs'), it drops the lines written through UnredactedLine: the worker's two lines
// per task, and nothing else. What the no-op drain loses with it is what those lines cost (docs/benchmarks.md).
const { join } = require('node:path');
const logging = join(__dirname, '..', '..', 'dist', 'common', 'logging', 'pino-logger.service.js');
const { PinoLoggerService } = require(logging);

// A private method: if it is renamed, this ablation must fail rather than measure nothing.
if (typeof PinoLoggerService.prototype.writeUnredacted !== 'function') {
  throw new Error('no-task-lines.cjs: PinoLoggerService.writeUnredacted is gone; update the ablation');
}
let dropped = 0;
PinoLoggerService.prototype.writeUnredacted = function writeUnredacted() {
  dropped += 1;
};
// If the worker stops writing its lines through UnredactedLine, this ablation would drop nothing: say so.
process.on('exit', () => {
  if (dropped === 0) process.stderr.write('no-task-lines.cjs: no line was dropped; update the ablation\n');
});
