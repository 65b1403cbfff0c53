import { Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { DeadLetters } from '../queue/dead-letters.service';
import { formatTaskId, isTaskType } from '../queue/task-types';
import type { User } from '../auth/users/user.entity';

/** The board's write routes an operator may use (under /api/queues): the action, and whether it is on one job. */
const ALLOWED: ReadonlyArray<[RegExp, BoardAction, boolean]> = [
  [/^\/api\/queues\/([^/]+)\/retry\/(failed|completed)$/, 'retry', false],
  [/^\/api\/queues\/([^/]+)\/promote$/, 'promote', false],
  [/^\/api\/queues\/([^/]+)\/clean\/(completed|failed)$/, 'clean', false],
  [/^\/api\/queues\/([^/]+)\/([^/]+)\/retry$/, 'retry', true],
  [/^\/api\/queues\/([^/]+)\/([^/]+)\/promote$/, 'promote', true],
  [/^\/api\/queues\/([^/]+)\/([^/]+)\/clean$/, 'clean', true],
];
/** A job one may clean by itself: one that has ended. Cleaning a waiting task would drop it without a trace. */
const CLEANABLE_STATES = ['completed', 'failed'];

export type BoardAction = 'retry' | 'promote' | 'clean';

interface Matched {
  action: BoardAction;
  queue: string;
  /** The job, or the state of the jobs (`failed`), the action is on; undefined for promote-all. */
  target?: string;
  single: boolean;
}

/** The user the dashboard's auth middleware let in (set on res.locals). */
export const dashboardUser = (res: Response): User => res.locals.dashboardUser as User;

function match(method: string, path: string): Matched | undefined {
  if (method !== 'PUT') return undefined;
  for (const [pattern, action, single] of ALLOWED) {
    const found = pattern.exec(path);
    if (found)
      return { action, single, queue: decodeURIComponent(found[1]), target: found[2] && decodeURIComponent(found[2]) };
  }
  return undefined;
}

/** How a log line names what the action was on. */
const described = ({ single, target }: Matched) => (single ? `job ${target}` : `${target ?? 'delayed'} jobs`);

/**
 * In front of the operators' board: of its write routes only retry, promote and clean (of ended jobs) pass, each
 * logged with the user once answered; every other write (pause, empty, obliterate, add, edit...) answers 403, the
 * API being the way to do those. A task retried from its queue leaves the dead letters: its letter is removed.
 */
export function boardActions(queues: Map<string, Queue>, deadLetters: DeadLetters): RequestHandler {
  const logger = new Logger('dashboard');
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const matched = match(req.method, req.path);
    const queue = matched && queues.get(matched.queue);
    if (!matched || !queue) return refuse(res, 'The dashboard allows retry, promote and clean only; use the API');
    void allowed(matched, queue).then((reason) => {
      if (reason) return refuse(res, reason);
      const username = dashboardUser(res).username;
      res.on('finish', () => {
        const done = res.statusCode < 400;
        if (done && matched.action === 'retry' && isTaskType(matched.queue)) {
          void forgetRetried(deadLetters, matched, logger);
        }
        logger.log({
          msg: `${username} ${matched.action} ${described(matched)} of ${matched.queue} on the dashboard`,
          username,
          action: matched.action,
          queue: matched.queue,
          target: matched.target ?? 'delayed',
          status: res.statusCode,
        });
      });
      next();
    }, next);
  };
}

/** Why the action may not go ahead, or undefined when it may. */
async function allowed(matched: Matched, queue: Queue): Promise<string | undefined> {
  if (matched.action !== 'clean' || !matched.single) return undefined;
  const job = await queue.getJob(matched.target!);
  const state = job ? await job.getState() : undefined;
  if (state && !CLEANABLE_STATES.includes(state))
    return `Only a completed or failed job may be cleaned; this one is ${state}`;
  return undefined;
}

/** A task queued again from its failed set is no dead letter any more. */
async function forgetRetried(deadLetters: DeadLetters, matched: Matched, logger: Logger): Promise<void> {
  try {
    const type = matched.queue;
    if (!isTaskType(type)) return;
    if (matched.single) await deadLetters.forget(formatTaskId(type, matched.target!));
    else await deadLetters.forgetRequeued(type);
  } catch (error) {
    logger.warn({ msg: 'could not drop the dead letters of tasks retried on the dashboard', err: error as Error });
  }
}

function refuse(res: Response, message: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(403).json({ statusCode: 403, message, error: 'Forbidden' });
}
