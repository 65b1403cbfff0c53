/* global __dirname */
// Preloaded into a worker (`node -r ./bench/noop-handler.cjs dist/main.js`) for the no-op drain: the
// generate_alerts handler's one service call returns at once, so the worker's CPU per task is the cost of its
// own machinery (the host, the payload check, the log lines, progress) around a handler that does nothing.
const { join } = require('node:path');
const { TestAlertGenerator } = require(join(__dirname, '..', 'dist', 'alerts', 'services', 'test-alert-generator.js'));

TestAlertGenerator.prototype.generate = async function generate() {
  return { created: 0 };
};
