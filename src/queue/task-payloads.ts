import { InvalidTaskPayloadError } from './task-errors';
import type { Payload, TaskType } from './task-types';

/** The fields each payload must hold, each a positive integer. */
const FIELDS: { [T in TaskType]: (keyof Payload<T>)[] } = {
  pull_hosts: ['monitor_id'],
  pull_items: ['monitor_id', 'host_id'],
  pull_host: ['monitor_id', 'host_id'],
  pull_item: ['monitor_id', 'host_id', 'item_id'],
  push_host: ['monitor_id', 'host_id'],
  push_item: ['monitor_id', 'host_id', 'item_id'],
  generate_alerts: ['count'],
  pull_alerts: ['monitor_id'],
  acknowledge_alert: ['alert_id'],
};

export const MAX_TEST_ALERTS = 100;

/** Checks a payload read back from Redis before a processor trusts it; a bad one can never succeed. */
export function validatePayload<T extends TaskType>(type: T, params: unknown): Payload<T> {
  if (params === null || typeof params !== 'object')
    throw new InvalidTaskPayloadError(`${type} payload must be an object`);
  const record = params as Record<string, unknown>;
  for (const field of FIELDS[type] as string[]) {
    const value = record[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new InvalidTaskPayloadError(`${type} payload: ${field} must be a positive integer`);
    }
  }
  if (record.delete !== undefined && (record.delete !== true || (type !== 'push_host' && type !== 'push_item'))) {
    throw new InvalidTaskPayloadError(
      `${type} payload: delete must be true or absent, on push_host and push_item only`,
    );
  }
  if (type === 'generate_alerts' && (record.count as number) > MAX_TEST_ALERTS) {
    throw new InvalidTaskPayloadError(`generate_alerts payload: count must be at most ${MAX_TEST_ALERTS}`);
  }
  return params as Payload<T>;
}
