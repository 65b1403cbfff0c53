import type { DeadLetter } from './dead-letters.service';
import { normaliseErrorReason } from './error-reason';
import { TASK_TYPES, type TaskType } from './task-types';

export interface ReasonCount {
  reason: string;
  count: number;
  /** How many of them of each type; only the types that have some. */
  by_type: Partial<Record<TaskType, number>>;
  /** One of the raw errors, as a dead letter holds it. */
  example: string;
  oldest_failed_at: string;
  newest_failed_at: string;
}

export interface DeadLetterSummary {
  total: number;
  /** Every type, 0 when it has no dead letter. */
  by_type: Record<TaskType, number>;
  /** Most frequent first; ties by reason. */
  by_reason: ReasonCount[];
  oldest_failed_at: string | null;
  newest_failed_at: string | null;
}

/** Counts the dead letters by type and by normalised error reason, with the oldest and newest failure. */
export function summariseDeadLetters(letters: readonly DeadLetter[]): DeadLetterSummary {
  const byType = Object.fromEntries(TASK_TYPES.map((type) => [type, 0])) as Record<TaskType, number>;
  const byReason = new Map<string, ReasonCount>();
  let oldest: string | null = null;
  let newest: string | null = null;
  for (const letter of letters) {
    byType[letter.type] = (byType[letter.type] ?? 0) + 1;
    const reason = normaliseErrorReason(letter.error);
    let entry = byReason.get(reason);
    if (!entry) {
      entry = {
        reason,
        count: 0,
        by_type: {},
        example: letter.error,
        oldest_failed_at: letter.failed_at,
        newest_failed_at: letter.failed_at,
      };
      byReason.set(reason, entry);
    }
    entry.count += 1;
    entry.by_type[letter.type] = (entry.by_type[letter.type] ?? 0) + 1;
    if (earlier(letter.failed_at, entry.oldest_failed_at)) entry.oldest_failed_at = letter.failed_at;
    if (earlier(entry.newest_failed_at, letter.failed_at)) entry.newest_failed_at = letter.failed_at;
    if (oldest === null || earlier(letter.failed_at, oldest)) oldest = letter.failed_at;
    if (newest === null || earlier(newest, letter.failed_at)) newest = letter.failed_at;
  }
  return {
    total: letters.length,
    by_type: byType,
    by_reason: [...byReason.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    oldest_failed_at: oldest,
    newest_failed_at: newest,
  };
}

/** Whether ISO time a is before b (compared as instants, so a missing or odd offset cannot mislead). */
function earlier(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}
