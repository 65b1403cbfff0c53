import { jest } from '@jest/globals';
import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import { REDACTED_PATHS } from './create-logger';
import { FlatLineWriter, type FlatFields } from './flat-line';

/** A logger set up as createRootLogger sets up the service's, over a multistream that keeps what it is given. */
function serviceLike(time: () => string) {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const root = pino(
    {
      level: 'trace',
      base: { pid: 7 },
      timestamp: time,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream([{ level: 'trace', stream: sink }]),
  );
  return { root, chunks };
}

const FIXED_TIME = () => ',"time":"2026-12-06T11:00:00.000Z"';

function unredacted(root: Logger): Logger {
  return root.child({ context: 'worker' }, { redact: { paths: [] } });
}

const STRINGS = [
  'plain',
  '',
  'quote " and backslash \\ inside',
  'a tab\there',
  'new\nline',
  'ünïcödé ✓ 日本',
  'lone surrogate \ud800 end',
  'x'.repeat(100),
  'y'.repeat(101) + '"',
  '\u007f delete and \u2028 separator',
];

describe(FlatLineWriter.name, () => {
  it("writes each line byte for byte as pino's own call on the same logger", () => {
    const { root, chunks } = serviceLike(FIXED_TIME);
    const logger = unredacted(root);
    const writer = FlatLineWriter.forLogger(logger)!;
    expect(writer).toBeInstanceOf(FlatLineWriter);
    const lines: Array<[FlatFields, string]> = [
      [{ task_id: 'generate_alerts:1', type: 'generate_alerts', attempt: 1, max_attempts: 4, worker: 'h:1' }, 'go'],
      [{ n: 0, neg: -1.5, big: 2 ** 53, nan: Number.NaN, inf: Infinity, yes: true, no: false, gone: undefined }, ''],
      ...STRINGS.map((text): [FlatFields, string] => [{ [text]: text }, text]),
    ];
    for (const [fields, msg] of lines) {
      logger.info(fields, msg);
      expect(writer.write('info', fields, msg)).toBe(true);
      const [viaPino, viaWriter] = chunks.splice(0, 2);
      expect(viaWriter).toBe(viaPino);
    }
  });

  it('writes the level it is given, with the time of the moment', () => {
    let tick = 0;
    const { root, chunks } = serviceLike(() => `,"time":${++tick}`);
    const logger = unredacted(root);
    const writer = FlatLineWriter.forLogger(logger)!;
    tick = 0;
    writer.write('warn', { a: 1 }, 'm');
    writer.write('debug', { a: 1 }, 'm');
    expect(chunks).toEqual([
      '{"level":"warn","time":1,"pid":7,"context":"worker","a":1,"msg":"m"}\n',
      '{"level":"debug","time":2,"pid":7,"context":"worker","a":1,"msg":"m"}\n',
    ]);
  });

  it("writes pino's ISO time of the moment, as pino does", () => {
    const { root, chunks } = serviceLike(pino.stdTimeFunctions.isoTime);
    const logger = unredacted(root);
    const writer = FlatLineWriter.forLogger(logger)!;
    const now = jest.spyOn(Date, 'now');
    try {
      for (const ms of [Date.UTC(2026, 11, 6, 11), Date.UTC(2026, 11, 6, 11), Date.UTC(2026, 11, 6, 11, 0, 0, 1)]) {
        now.mockReturnValue(ms);
        logger.info({ a: 1 }, 'm');
        writer.write('info', { a: 1 }, 'm');
        const [viaPino, viaWriter] = chunks.splice(0, 2);
        expect(viaWriter).toBe(viaPino);
        expect(JSON.parse(viaWriter).time).toBe(new Date(ms).toISOString());
      }
    } finally {
      now.mockRestore();
    }
  });

  it('leaves a field that has a serializer (err) to pino, writing nothing', () => {
    const { root, chunks } = serviceLike(FIXED_TIME);
    const writer = FlatLineWriter.forLogger(unredacted(root))!;
    expect(writer.write('info', { err: 'text' }, 'm')).toBe(false);
    expect(chunks).toEqual([]);
  });

  it('declines a logger whose lines pino would change: redaction, mixin, message prefix', () => {
    const { root } = serviceLike(FIXED_TIME);
    expect(FlatLineWriter.forLogger(root)).toBeUndefined();
    expect(FlatLineWriter.forLogger(pino({ mixin: () => ({ a: 1 }) }))).toBeUndefined();
    expect(FlatLineWriter.forLogger(pino({ msgPrefix: '> ' }))).toBeUndefined();
    expect(FlatLineWriter.forLogger(pino({ nestedKey: 'payload' }))).toBeUndefined();
  });
});
