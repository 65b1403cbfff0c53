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

  it('writes a value repeated in neighbouring rows each time, dates included', () => {
    const repeated = ['a', 'a', null, null, 7, 7, 'a', `x"y`, `x"y`, true, true];
    expect(arrayLiteral(repeated)).toBe('{"a","a",NULL,NULL,7,7,"a","x\\"y","x\\"y",true,true}');
    const before = defaults.parseInputDatesAsUTC;
    defaults.parseInputDatesAsUTC = true;
    try {
      const at = new Date('2026-12-06T23:59:59.999Z');
      const next = new Date('2026-12-07T00:00:00.000Z');
      expect(arrayLiteral([at, at, next, at])).toBe(
        '{"2026-12-06T23:59:59.999Z","2026-12-06T23:59:59.999Z","2026-12-07T00:00:00.000Z","2026-12-06T23:59:59.999Z"}',
      );
    } finally {
      defaults.parseInputDatesAsUTC = before;
    }
  });
});
