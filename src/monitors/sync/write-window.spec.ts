import { WriteWindow } from './write-window';

/** A write that ends when the test says, recording when it started. */
function gate(log: string[], name: string) {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  const write = async () => {
    log.push(`start ${name}`);
    await done;
    log.push(`end ${name}`);
  };
  return { write, open, fail };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A window of 2 with writes a and b in flight and c added behind them. */
async function twoInFlightOneWaiting() {
  const log: string[] = [];
  const window = new WriteWindow(2);
  const [a, b, c] = ['a', 'b', 'c'].map((name) => gate(log, name));
  await window.add(a.write);
  await window.add(b.write);
  const third = window.add(c.write);
  return { log, window, a, b, c, third };
}

describe(WriteWindow.name, () => {
  it('keeps at most `size` writes in flight, starting them in order', async () => {
    const { log, window, a, b, c, third } = await twoInFlightOneWaiting();
    await turn();
    expect(log).toEqual(['start a', 'start b']);

    b.open();
    await third;
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    a.open();
    c.open();
    await window.drain();
    expect(log).toHaveLength(6);
  });

  it('with a size of 1, runs each write after the one before has ended', async () => {
    const log: string[] = [];
    const window = new WriteWindow(1);
    const [a, b] = ['a', 'b'].map((name) => gate(log, name));
    await window.add(a.write);
    const second = window.add(b.write);
    await turn();
    expect(log).toEqual(['start a']);
    a.open();
    await second;
    b.open();
    await window.drain();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('starts nothing after a failure, and throws it once the writes in flight have settled', async () => {
    const { log, window, a, b, third } = await twoInFlightOneWaiting();
    a.fail(new Error('disk full'));
    await turn();
    let settled = false;
    const rejected = expect(third).rejects.toThrow('disk full');
    void third.catch(() => (settled = true));
    await turn();
    expect(settled).toBe(false);

    b.open();
    await rejected;
    expect(log).toEqual(['start a', 'start b', 'end b']);
    await expect(window.drain()).rejects.toThrow('disk full');
  });

  it('settles without throwing, for a sync that failed elsewhere', async () => {
    const log: string[] = [];
    const window = new WriteWindow(2);
    const a = gate(log, 'a');
    await window.add(a.write);
    const settling = window.settle();
    a.fail(new Error('lost'));
    await expect(settling).resolves.toBeUndefined();
  });
});
