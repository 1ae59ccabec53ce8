import { createProgress } from '../../src/cli/replay/progress';

/** A stderr stand-in: what was written, and whether it is a terminal. */
function stream(isTTY: boolean): { s: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const s = {
    isTTY,
    write: (text: string) => {
      written.push(text);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { s, written };
}

describe('replay progress (src/cli/replay/progress.ts)', () => {
  it('when stderr is a terminal, then a bar with percentage, rate and ETA is redrawn in place at most every 200 ms, and cleared at the end', () => {
    let t = 0;
    const { s, written } = stream(true);
    const p = createProgress(s, 1000, false, () => t);
    t = 100;
    p.update(10, 100); // too soon: nothing
    expect(written).toEqual([]);
    t = 1000;
    p.update(500, 500);
    expect(written).toHaveLength(1);
    expect(written[0]).toBe(
      `\r[${'#'.repeat(15)}${'.'.repeat(15)}]  50% 500 patients, 500/s, ETA 0:01\x1b[K`,
    );
    t = 1100;
    p.update(600, 600); // within 200 ms of the last draw
    expect(written).toHaveLength(1);
    p.done(1000, 2);
    expect(written[1]).toBe('\r\x1b[K');
    expect(written[2]).toBe('replay: 1000 patients in 2.0 s (500/s)\n');
  });

  it('when stderr is not a terminal, then one plain line every 5 s (no carriage return, no escape), and a final line', () => {
    let t = 0;
    const { s, written } = stream(false);
    const p = createProgress(s, undefined, false, () => t);
    t = 4000;
    p.update(100, 100);
    expect(written).toEqual([]);
    t = 5000;
    p.update(250, 250);
    t = 9000;
    p.update(400, 400);
    expect(written).toEqual(['replay: 250 patients, 50/s\n']);
    p.done(400, 10);
    expect(written.join('')).not.toContain('\r');
    expect(written.join('')).not.toContain('\x1b');
    expect(written[1]).toBe('replay: 400 patients in 10.0 s (40/s)\n');
  });

  it('when --quiet is given, then nothing is written, terminal or not', () => {
    for (const tty of [true, false]) {
      let t = 0;
      const { s, written } = stream(tty);
      const p = createProgress(s, 1000, true, () => t);
      t = 60000;
      p.update(1000, 1000);
      p.done(1000, 60);
      expect(written).toEqual([]);
    }
  });
});
