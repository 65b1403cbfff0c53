import { ISO_TIMESTAMP_FIRST_MS as FIRST, ISO_TIMESTAMP_LAST_MS as LAST, isoTimestamp } from './iso-timestamp';

describe('isoTimestamp', () => {
  it.each([
    '0001-01-01T00:00:00.000Z',
    '0099-12-31T23:59:59.999Z',
    '0400-02-29T12:00:00.000Z',
    '1900-02-28T23:59:59.999Z',
    '1900-03-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
    '2000-02-29T00:00:00.001Z',
    '2024-12-31T23:59:59.010Z',
    '2026-03-04T05:06:07.890Z',
    '9999-12-31T23:59:59.999Z',
  ])('writes %s as toISOString does', (text) => {
    expect(isoTimestamp(new Date(text).getTime())).toBe(text);
  });

  it('agrees with toISOString on 200,000 instants spread over the years 1 to 9999', () => {
    // An odd step of about 18 days plus a drift, so the instants land on every month, hour and millisecond.
    const step = Math.floor((LAST - FIRST) / 200_000) | 1;
    const differing: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const ms = FIRST + i * step + ((i * 7919) % 86_400_000);
      const expected = new Date(ms).toISOString();
      if (isoTimestamp(ms) !== expected) differing.push(expected);
    }
    expect(differing).toEqual([]);
  });

  it('writes the right date when instants go back and forth across midnight (the date of the last day is reused)', () => {
    const midnight = Date.parse('2026-12-07T00:00:00.000Z');
    const instants = [-1, 0, -86_400_000, 1, -1, 86_399_999, 86_400_000, 7].map((offset) => midnight + offset);
    expect(instants.map(isoTimestamp)).toEqual(instants.map((ms) => new Date(ms).toISOString()));
  });
});
