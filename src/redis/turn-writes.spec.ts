import { Writable } from 'node:stream';
import type Redis from 'ioredis';
import { holdWritesThisTurn } from './turn-writes';

/** A connection whose socket records each system-call-sized write it is handed (one chunk or a writev batch). */
function connection(status = 'ready') {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map(({ chunk }) => String(chunk)));
      done();
    },
  });
  return { redis: { status, stream } as unknown as Redis, stream, calls };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe(holdWritesThisTurn.name, () => {
  it("sends a turn's writes in one batch, in their order, at the end of the turn", async () => {
    const { redis, stream, calls } = connection();
    holdWritesThisTurn(redis);
    stream.write('a');
    holdWritesThisTurn(redis);
    stream.write('b');
    await Promise.resolve();
    stream.write('c');
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(stream.writableCorked).toBe(0);
  });

  it('holds each turn on its own', async () => {
    const { redis, stream, calls } = connection();
    holdWritesThisTurn(redis);
    stream.write('a');
    await nextTurn();
    holdWritesThisTurn(redis);
    stream.write('b');
    stream.write('c');
    await nextTurn();
    stream.write('d');
    expect(calls).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('leaves a connection that is not ready alone', async () => {
    const { redis, stream, calls } = connection('reconnecting');
    holdWritesThisTurn(redis);
    expect(stream.writableCorked).toBe(0);
    stream.write('a');
    await nextTurn();
    expect(calls).toEqual([['a']]);
  });
});
