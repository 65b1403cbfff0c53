import type { IncomingMessage, ServerResponse } from 'node:http';
import { exceededJsonLimit, refuseOversizedJson } from './json-limits';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const UNLIMITED = 1_000_000;

describe(exceededJsonLimit.name, () => {
  const depthOf = (text: string, maxDepth: number) =>
    exceededJsonLimit(bytes(text), { maxDepth, maxValues: UNLIMITED }) === 'maxDepth';
  const valuesOf = (text: string, maxValues: number) =>
    exceededJsonLimit(bytes(text), { maxDepth: UNLIMITED, maxValues }) === 'maxValues';

  it.each([
    ['{}', 1],
    ['[]', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['[[],[],[[]]]', 3],
    ['"[[[[["', 0],
    ['{"a":"\\"[[[[","b":"\\\\"}', 1],
    ['{"a":"\\\\\\"{{{{"}', 1],
    ['12', 0],
  ])('measures %s as %d levels deep', (text, depth) => {
    expect(depthOf(text, depth)).toBe(false);
    if (depth > 0) expect(depthOf(text, depth - 1)).toBe(true);
  });

  it.each([
    ['{}', 0],
    ['[]', 0],
    ['[ ]', 0],
    ['12', 0],
    ['{"a":1}', 1],
    ['{"a":1, "b":"x,y:z"}', 2],
    ['[1,2,3]', 3],
    ['[ [], [1], {"a":[2,3]} ]', 7],
    ['{"a":[{"b":1},{"c":[1,2]}]}', 7],
  ])('counts the values of %s as %d', (text, values) => {
    expect(valuesOf(text, values)).toBe(false);
    if (values > 0) expect(valuesOf(text, values - 1)).toBe(true);
  });

  it('stops at the first bracket past the depth limit of a 1 MB body (a sanity bound: well under 1 ms in fact)', () => {
    const text = `{"x":${'['.repeat(500_000)}${']'.repeat(500_000)}}`;
    const started = performance.now();
    expect(exceededJsonLimit(bytes(text), { maxDepth: 32, maxValues: 1000 })).toBe('maxDepth');
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('reads a 1 MB body within both limits to its end (a sanity bound: a few ms in fact)', () => {
    const text = JSON.stringify({ a: 'x[,:'.repeat(250_000), b: [1, 2, 3] });
    const started = performance.now();
    expect(exceededJsonLimit(bytes(text), { maxDepth: 32, maxValues: 1000 })).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe(refuseOversizedJson.name, () => {
  const verify = refuseOversizedJson({ maxDepth: 2, maxValues: 3 });
  const call = (body: Buffer, encoding: string | null) => () =>
    verify({} as IncomingMessage, {} as ServerResponse, body, encoding);

  it('lets a body within the limits through, in UTF-8 and in UTF-16', () => {
    expect(call(bytes('{"a":[1]}'), 'utf-8')).not.toThrow();
    expect(call(Buffer.from('{"a":[1]}', 'utf16le'), 'utf-16le')).not.toThrow();
  });

  it.each(['utf-8', 'utf-16le', 'utf-16'])('refuses a %s body too deep with a 400 naming the limit', (charset) => {
    const body = charset === 'utf-8' ? bytes('{"a":[[1]]}') : Buffer.from('{"a":[[1]]}', 'utf16le');
    expect(call(body, charset)).toThrow(
      expect.objectContaining({
        status: 400,
        message: expect.stringContaining('deeper than 2 levels of arrays and objects (server.json_max_depth)'),
      }),
    );
  });

  it('refuses a body of too many values with a 400 naming the limit', () => {
    expect(call(bytes('{"a":[1,2,3]}'), 'utf-8')).toThrow(
      expect.objectContaining({
        status: 400,
        message: 'the JSON body holds more than 3 values (server.json_max_values)',
      }),
    );
  });

  it.each(['utf-7', 'utf-32'])('refuses a %s body with a 415, whatever its shape', (charset) => {
    expect(call(bytes('{}'), charset)).toThrow(expect.objectContaining({ status: 415 }));
  });
});
