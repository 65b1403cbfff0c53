import type { Response } from 'express';
import { FINAL_EVENTS, formatEvent, type TaskEvent } from './task-event-stream';
import type { TaskStatus } from './task-status.service';

/**
 * One client's event stream of one task: whether it is still open, what it was last told, and a wake-up that cuts
 * its wait between two reads short (a Bull event named the task, or the stream is stopping).
 */
export class FollowedTask {
  open = true;
  private woken = false;
  private wake?: () => void;

  constructor(
    private readonly res: Response,
    /** The task as the client last saw it. */
    public last: TaskStatus,
  ) {}

  /** Read the task again now; a wake-up that comes during a read is kept for the next wait. */
  readonly waker = (): void => {
    this.woken = true;
    this.wake?.();
  };

  readonly stop = (): void => {
    this.open = false;
    this.waker();
  };

  /** Writes the events in order; true once the stream is over (a final event was sent, or it was closed). */
  send(events: TaskEvent[]): boolean {
    for (const event of events) {
      if (!this.open) return true;
      this.res.write(formatEvent(event));
      if (FINAL_EVENTS.includes(event.event)) return true;
    }
    return false;
  }

  /** An SSE comment, which clients ignore and proxies see as traffic. */
  comment(text: string): void {
    if (this.open) this.res.write(`: ${text}\n\n`);
  }

  /** Waits `ms`, or less when woken. */
  async pause(ms: number): Promise<void> {
    if (!this.woken) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, ms).unref();
      });
    }
    this.wake = undefined;
    this.woken = false;
  }
}
