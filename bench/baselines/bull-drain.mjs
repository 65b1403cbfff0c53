// Drain baseline: plain bull processing the queue `noop` with a no-op processor at the given concurrency.
// `node bench/baselines/bull-drain.mjs <redisUrl> <prefix> <concurrency>`; prints `@bench {"ready":true}`.
import process from 'node:process';
import Queue from 'bull';
import { tell } from '../lib.mjs';

const [redis, prefix, concurrency] = process.argv.slice(2);
const queue = new Queue('noop', { prefix, redis });
await queue.isReady();
queue.process(Number(concurrency), async () => null);
tell({ ready: true });
process.on('SIGTERM', () => queue.close().then(() => process.exit(0)));
