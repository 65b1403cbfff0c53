import { BadRequestException } from '@nestjs/common';
import { IdParamPipe } from './id-param.pipe';

describe(IdParamPipe.name, () => {
  it.each([
    ['1', 1],
    ['42', 42],
    ['007', 7],
    ['2147483647', 2_147_483_647],
  ])('turns %p into %p', (text, id) => {
    expect(new IdParamPipe().transform(text)).toBe(id);
  });

  it.each(['abc', '-1', '0', '000', '1.5', '', ' 1', '1 ', '+1', '0x10', '1e3', 'Infinity', '9999999999999999'])(
    'answers %p with a 400 naming the parameter',
    (text) => {
      const pipe = new IdParamPipe('monitor_id');
      expect(() => pipe.transform(text)).toThrow(BadRequestException);
      expect(() => pipe.transform(text)).toThrow('monitor_id must be a positive integer');
    },
  );

  it.each(['2147483648', '999999999999999'])('answers %p, past the largest integer id, with a 400', (text) => {
    // PostgreSQL would fail the query on it ("out of range for type integer") and the client would get a 500.
    expect(() => new IdParamPipe('monitor_id').transform(text)).toThrow(
      'monitor_id must not be greater than 2147483647',
    );
  });

  it('names the parameter "id" by default', () => {
    expect(() => new IdParamPipe().transform('abc')).toThrow('id must be a positive integer');
  });
});
