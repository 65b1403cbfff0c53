import request from 'supertest';
import type { TestApp } from './test-app';

/** Polls /health/ready until it answers `status` (the app has noticed Redis go or come back). */
export async function waitForReady(t: TestApp, status: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(t.http).get('/health/ready');
    if (res.status === status) return;
    if (Date.now() > deadline) throw new Error(`/health/ready answered ${res.status}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
