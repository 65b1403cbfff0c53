import { defaults } from 'pg';
import { prepareValue } from 'pg/lib/utils';
import { arrayLiteral } from './pg-array-literal';

describe('arrayLiteral', () => {
  it('writes strings, NULLs and dates as pg writes an array parameter', () => {
    const values = [
      'plain',
      '',
      'NULL',
      `it's "quoted" {a,b}, a\\b ü ☃`,
      'line 1\nline 2',
      null,
      undefined,
      new Date('2026-03-04T05:06:07.890Z'),
      { key: 'value "x"' },
    ];
    expect(arrayLiteral(values)).toBe(prepareValue(values));
  });

  it('writes numbers and booleans unquoted', () => {
    expect(arrayLiteral([1, -2, 3.5, true, false, null])).toBe('{1,-2,3.5,true,false,NULL}');
  });

  it('writes a date in UTC, as the service has pg send them, as the same instant pg writes', () => {
    const at = new Date('2026-03-04T05:06:07.890Z');
    const before = defaults.parseInputDatesAsUTC;
    defaults.parseInputDatesAsUTC = true;
    try {
      expect(prepareValue([at])).toBe('{"2026-03-04T05:06:07.890+00:00"}');
      expect(arrayLiteral([at, new Date('0001-01-01T00:00:00.000Z')])).toBe(
        '{"2026-03-04T05:06:07.890Z","0001-01-01T00:00:00.000Z"}',
      );
      const bc = new Date(Date.UTC(-5, 0, 1));
      expect(arrayLiteral([bc])).toBe(prepareValue([bc]));
    } finally {
      defaults.parseInputDatesAsUTC = before;
    }
  });
});
