import { expect } from '@jest/globals';
import Bull, { type Queue } from 'bull';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { TaskType } from '../../src/common/task-type-names';
import { type Api, apiAs } from './inventory-factory';
import type { TestApp } from './test-app';
import { createTestDatabase, type TestDatabase } from './test-database';
import { sleep } from './time';

/** A task type's name, from the catalogue's own list (src/common/task-type-names.ts). */
export type TaskTypeName = TaskType;

export type TaskState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead' | 'cancelled';

/** GET /api/v1/tasks/:task_id */
export interface TaskJson {
  task_id: string;
  type: TaskTypeName;
  state: TaskState;
  progress: number;
  attempts_made: number;
  max_attempts: number;
  params: Record<string, unknown>;
  result: unknown;
  error: string | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface QueueCountsJson {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: number;
}

/** GET /api/v1/queue/stats/detail */
export interface QueueDetailJson {
  queues: Record<TaskTypeName, QueueCountsJson>;
  dead: number;
  paused_types: TaskTypeName[];
}

export interface DeadLetterJson {
  task_id: string;
  type: TaskTypeName;
  params: Record<string, unknown>;
  error: string;
  attempts: number;
  failed_at: string;
}

/** An in-process app's server, or the base URL of a service process (`http://127.0.0.1:<port>`). */
export type HttpTarget = Server | string;

/** An authenticated `/api/v1` client for an in-process app or a service process. */
export function apiOn(http: HttpTarget, token: string): Api {
  // apiAs only reads the server off the app; supertest takes a base URL as well as a server.
  return apiAs({ http } as unknown as TestApp, token);
}

export function getTask(http: HttpTarget, token: string, taskId: string): Promise<request.Response> {
  return apiOn(http, token).get(`/tasks/${encodeURIComponent(taskId)}`);
}

/**
 * Polls GET /api/v1/tasks/:id until the task is in one of `states`, and returns it. `onPoll` sees every answer
 * on the way (to record states and progress). Fails naming the last state seen when time runs out.
 */
export async function waitForTask(
  http: HttpTarget,
  token: string,
  taskId: string,
  states: TaskState | TaskState[],
  timeoutMs = 15_000,
  onPoll?: (task: TaskJson) => void,
): Promise<TaskJson> {
  const wanted = Array.isArray(states) ? states : [states];
  const deadline = Date.now() + timeoutMs;
  let last = '(no answer yet)';
  for (;;) {
    const res = await getTask(http, token, taskId);
    if (res.status === 200) {
      const task = res.body as TaskJson;
      onPoll?.(task);
      if (wanted.includes(task.state)) return task;
      last = JSON.stringify(task);
    } else {
      last = `${res.status} ${res.text}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`task ${taskId} was not ${wanted.join('/')} after ${timeoutMs} ms; last seen: ${last}`);
    }
    await sleep(20);
  }
}

/** Waits for the task like waitForTask, and also returns every answer seen on the way. */
export async function watchTask(
  http: HttpTarget,
  token: string,
  taskId: string,
  states: TaskState | TaskState[],
  timeoutMs = 15_000,
): Promise<{ final: TaskJson; seen: TaskJson[] }> {
  const seen: TaskJson[] = [];
  const final = await waitForTask(http, token, taskId, states, timeoutMs, (task) => seen.push(task));
  return { final, seen };
}

/** The states in the order they were seen, each once per run of equal states. */
export function stateSequence(seen: TaskJson[]): TaskState[] {
  return seen.map((task) => task.state).filter((state, index, all) => index === 0 || all[index - 1] !== state);
}

export async function queueDetail(http: HttpTarget, token: string): Promise<QueueDetailJson> {
  const res = await apiOn(http, token).get('/queue/stats/detail');
  expect(res.status).toBe(200);
  return res.body as QueueDetailJson;
}

export async function queueStats(http: HttpTarget, token: string): Promise<Record<TaskTypeName, number>> {
  const res = await apiOn(http, token).get('/queue/stats');
  expect(res.status).toBe(200);
  return res.body as Record<TaskTypeName, number>;
}

/** Every job the queues hold in any state, plus the dead letters: unchanged when nothing was queued. */
export function jobTotal(detail: QueueDetailJson): number {
  let total = detail.dead;
  for (const counts of Object.values(detail.queues)) {
    total += counts.waiting + counts.active + counts.delayed + counts.completed + counts.failed + counts.paused;
  }
  return total;
}

/** The `<type>:<number>` task id of a 202 body. */
export function taskIdPattern(type: TaskTypeName): RegExp {
  return new RegExp(`^${type}:\\d+$`);
}

/** The JSON lines of a system.log (a last line still being written is left out). */
export function logLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The system.log lines about one task that mention `worker` (the guide's `grep worker`). */
export function workerLines(text: string, taskId: string): Record<string, unknown>[] {
  return logLines(text).filter((line) => JSON.stringify(line).includes('worker') && line.task_id === taskId);
}

/**
 * What processes (or in-process apps) that share their queues must share: one Redis, one queue prefix, one
 * database (with the secret its monitor passwords are encrypted under), and quick retries.
 */
export interface SharedQueue {
  dir: string;
  database: TestDatabase;
  prefix: string;
  redisUrl: string;
  /** The environment overrides every sharer gets. */
  env: Record<string, string>;
  /** Drops the shared database and directory: call after every sharer is closed. */
  close(): Promise<void>;
}

export async function sharedQueue(extra: Record<string, string> = {}): Promise<SharedQueue> {
  const redisUrl = process.env.NAGARE_TEST_REDIS_URL;
  if (!redisUrl) throw new Error('NAGARE_TEST_REDIS_URL is unset: run the suites through jest');
  const dir = mkdtempSync(join(tmpdir(), 'nagare-queue-'));
  const database = await createTestDatabase(dir);
  const prefix = `nagare-test:${randomBytes(4).toString('hex')}`;
  return {
    dir,
    database,
    prefix,
    redisUrl,
    env: {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      DATABASE_URL: database.url,
      JWT_SECRET: randomBytes(32).toString('hex'),
      TASK_BACKOFF_MS: '50',
      QUOTA_ENQUEUE_PER_MINUTE: '1000000',
      ...extra,
    },
    async close() {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Bull queue of one task type opened on its own connections, for what the API cannot do (simulate crashes). */
export function bullQueue(redisUrl: string, prefix: string, name: string): Queue {
  return new Bull(name, redisUrl, { prefix });
}
