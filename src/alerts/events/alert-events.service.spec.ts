import { happenedAt } from './alert-events.service';

describe('happenedAt', () => {
  const arrival = new Date('2026-12-07T12:00:00.000Z');
  const seconds = arrival.getTime() / 1000;

  it('is the monitor’s time when the event says one earlier than its arrival', () => {
    expect(happenedAt(seconds - 90, arrival).toISOString()).toBe('2026-12-07T11:58:30.000Z');
    expect(happenedAt(0, arrival).toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });

  it('is the arrival when the event says no time, or one not before it (a monitor whose clock runs ahead)', () => {
    expect(happenedAt(undefined, arrival)).toBe(arrival);
    expect(happenedAt(seconds, arrival)).toBe(arrival);
    expect(happenedAt(seconds + 3600, arrival)).toBe(arrival);
  });
});
