import { existsSync, readFileSync, rmSync } from 'node:fs';
import { SPAWNED_REDIS_PID_FILE } from './global-setup';

export default function globalTeardown(): void {
  if (!existsSync(SPAWNED_REDIS_PID_FILE)) return;
  const pid = Number(readFileSync(SPAWNED_REDIS_PID_FILE, 'utf8'));
  rmSync(SPAWNED_REDIS_PID_FILE, { force: true });
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
