import { InvalidTaskPayloadError } from './task-errors';
import { validatePayload } from './task-payloads';

describe(validatePayload.name, () => {
  it('takes a push of a host or item with delete: true (a deletion on the monitor)', () => {
    expect(validatePayload('push_host', { monitor_id: 1, host_id: 2, delete: true })).toEqual({
      monitor_id: 1,
      host_id: 2,
      delete: true,
    });
    expect(validatePayload('push_item', { monitor_id: 1, host_id: 2, item_id: 3, delete: true })).toMatchObject({
      delete: true,
    });
  });

  it('refuses delete with any other value, or on another task type, as a final failure', () => {
    const refusal = 'delete must be true or absent, on push_host and push_item only';
    expect(() => validatePayload('push_host', { monitor_id: 1, host_id: 2, delete: 'yes' })).toThrow(refusal);
    expect(() => validatePayload('pull_host', { monitor_id: 1, host_id: 2, delete: true })).toThrow(
      InvalidTaskPayloadError,
    );
  });

  it('still requires every id as a positive integer', () => {
    expect(() => validatePayload('push_host', { monitor_id: 1, delete: true })).toThrow(
      'push_host payload: host_id must be a positive integer',
    );
  });
});
