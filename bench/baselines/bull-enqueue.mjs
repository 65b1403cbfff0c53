// Enqueue baseline (a): plain bull `queue.add` with `inflight` adds in flight for `seconds`, after a warm-up.
// `node bench/baselines/bull-enqueue.mjs <redisUrl> <prefix> <seconds> <inflight> <warmupSeconds>`
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import Queue from 'bull';
import { PRODUCER_JOB_OPTIONS, percentile, tell } from '../lib.mjs';

const [redis, prefix, secondsArg, inflightArg, warmupArg] = process.argv.slice(2);
const queue = new Queue('generate_alerts', { prefix, redis });
await queue.isReady();

async function run(seconds, inflight) {
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const start = performance.now();
      await queue.add({ type: 'generate_alerts', params: { count: 1 } }, PRODUCER_JOB_OPTIONS);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inflight }, loop));
  const elapsed = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

await run(Number(warmupArg), Number(inflightArg));
tell(await run(Number(secondsArg), Number(inflightArg)));
await queue.close();
process.exit(0);
