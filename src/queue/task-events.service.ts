import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bull';
import type { Request, Response } from 'express';
import { EventEmitter } from 'node:events';
import { NotFoundError } from '../common/http/domain-error';
import { subscribeGlobalEvent } from './bull-internals';
import { FollowedTask } from './followed-task';
import { taskEvents } from './task-event-stream';
import { TaskQueues } from './task-queues';
import { type TaskStatus, TaskStatusService } from './task-status.service';
import { formatTaskId, parseTaskId } from './task-types';

/** The Bull global events (Redis pub/sub, so from workers in any process) that mean a task may have changed. */
const TASK_QUEUE_EVENTS = ['global:active', 'global:progress', 'global:completed', 'global:failed', 'global:waiting'];
const RESUBSCRIBE_MS = 2000;

/**
 * Live task progress as Server-Sent Events. The task's snapshot (TaskStatusService) is the truth; Bull's global
 * events only wake the streams of the task they name to read it again at once, and every stream also reads it
 * every `pollMs` whatever happens: a missed pub/sub message, a retry's move through `delayed`, or a move to the
 * dead letters still shows, at worst a poll later.
 */
@Injectable()
export class TaskEvents implements OnModuleDestroy {
  private readonly logger = new Logger('queue');
  /** Heartbeat comment every so often, so proxies and clients keep an idle stream open. */
  heartbeatMs = 15_000;
  /** The longest a stream lives, so clients that vanished without closing cannot pile up. */
  maxStreamMs = 60 * 60 * 1000;
  /** How often a stream reads its task when no event woke it. */
  pollMs = 1000;
  /** How often it reads a task that failed for good and is on its way to the dead letters. */
  failedPollMs = 200;
  /** How long it waits for such a task to reach the dead letters before it ends with `failed`. */
  failedGraceMs = 5000;

  private readonly wakers = new Map<string, Set<() => void>>();
  private readonly streams = new Set<() => void>();
  private readonly listeners: Array<{ queue: Queue; event: string; listener: (...args: unknown[]) => void }> = [];
  private subscribed = false;
  private destroyed = false;

  constructor(
    private readonly queues: TaskQueues,
    private readonly status: TaskStatusService,
  ) {}

  /** Open streams, for tests and diagnostics. */
  get openStreams(): number {
    return this.streams.size;
  }

  /**
   * Reads the task first, so an unknown or malformed id (or Redis down) gets its usual JSON error; then answers
   * with the event stream until the task ends, the client goes, the stream's life runs out or the app stops.
   */
  async stream(taskId: string, req: Request, res: Response): Promise<void> {
    const first = await this.status.get(taskId);
    this.subscribe();
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    void this.follow(taskId, first, req, res);
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    for (const stop of [...this.streams]) stop();
    for (const { queue, event, listener } of this.listeners.splice(0)) queue.removeListener(event, listener);
  }

  private async follow(taskId: string, first: TaskStatus, req: Request, res: Response): Promise<void> {
    const stream = new FollowedTask(res, first);
    const heartbeat = setInterval(() => stream.comment('keep-alive'), this.heartbeatMs);
    const lifetime = setTimeout(() => {
      if (stream.open) stream.send([{ event: 'timeout', data: stream.last }]);
      stream.stop();
    }, this.maxStreamMs);
    this.streams.add(stream.stop);
    this.listen(taskId, stream.waker);
    req.on('close', stream.stop);
    res.on('close', stream.stop);
    try {
      await this.relay(taskId, stream);
    } catch (error) {
      this.logger.warn({ msg: `task event stream of ${taskId} broke`, task_id: taskId, err: error as Error });
    } finally {
      stream.open = false;
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      this.streams.delete(stream.stop);
      this.unlisten(taskId, stream.waker);
      if (!res.writableEnded) res.end();
    }
  }

  /** Tells the client what changed at each wake-up or poll, until an event ends the stream or it closes. */
  private async relay(taskId: string, stream: FollowedTask): Promise<void> {
    let failedSince: number | undefined;
    let ended = stream.send(taskEvents(undefined, stream.last));
    while (stream.open && !ended) {
      await stream.pause(stream.last.state === 'failed' ? this.failedPollMs : this.pollMs);
      if (!stream.open) break;
      let current: TaskStatus;
      try {
        current = await this.status.get(taskId);
      } catch (error) {
        if (error instanceof NotFoundError) {
          ended = stream.send([{ event: 'gone', data: { task_id: taskId, message: error.message } }]);
        }
        // Redis unavailable: keep the stream, read again at the next poll.
        continue;
      }
      if (current.state === 'failed') failedSince ??= Date.now();
      else failedSince = undefined;
      const settleFailed = failedSince !== undefined && Date.now() - failedSince >= this.failedGraceMs;
      ended = stream.send(taskEvents(stream.last, current, settleFailed));
      stream.last = current;
    }
  }

  private listen(taskId: string, waker: () => void): void {
    let set = this.wakers.get(taskId);
    if (!set) this.wakers.set(taskId, (set = new Set()));
    set.add(waker);
  }

  private unlisten(taskId: string, waker: () => void): void {
    const set = this.wakers.get(taskId);
    set?.delete(waker);
    if (set?.size === 0) this.wakers.delete(taskId);
  }

  private wakeTask(taskId: string): void {
    for (const waker of this.wakers.get(taskId) ?? []) waker();
  }

  /**
   * Subscribes to the global events once, on the first stream, so processes that never stream (workers) do
   * not. Like QueueMetrics: the listener goes on at once and the Redis subscription is retried until it takes.
   */
  private subscribe(): void {
    if (this.subscribed) return;
    this.subscribed = true;
    for (const [type, queue] of this.queues.all()) {
      for (const event of TASK_QUEUE_EVENTS) {
        this.on(queue, event, (jobId: string) => this.wakeTask(formatTaskId(type, jobId)));
      }
    }
    // A letter's job id in the dead-letter queue is the task id itself.
    this.on(this.queues.dead, 'global:waiting', (taskId: string) => {
      if (parseTaskId(taskId)) this.wakeTask(taskId);
    });
  }

  private on(queue: Queue, event: string, listener: (jobId: string) => void): void {
    const wrapped = (jobId: unknown) => listener(String(jobId));
    EventEmitter.prototype.on.call(queue, event, wrapped);
    this.listeners.push({ queue, event, listener: wrapped });
    this.register(queue, event);
  }

  private register(queue: Queue, event: string): void {
    if (this.destroyed) return;
    subscribeGlobalEvent(queue, event).catch(() => {
      setTimeout(() => this.register(queue, event), RESUBSCRIBE_MS).unref();
    });
  }
}
