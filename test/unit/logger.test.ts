import Transport from 'winston-transport';
import { createLogger, StdoutLines } from '../../src/lib/logger';
import type { Logger } from '../../src/lib/logger';

/** A sink that records each write() call, as stdout would receive them. */
function sink(): { writes: string[]; write(text: string): void } {
  const writes: string[] = [];
  return {
    writes,
    write(text: string) {
      writes.push(text);
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('StdoutLines (the production log transport)', () => {
  it('when several lines are logged in one turn, then they go out in one write, in order, one JSON line each', async () => {
    const out = sink();
    const transport = new StdoutLines(out);
    const logger = createLogger('info', [transport]);
    logger.info('request', { requestId: 'a', status: 200 });
    logger.warn('slow', { requestId: 'b' });
    logger.debug('hidden', { requestId: 'c' });
    expect(out.writes).toEqual([]);
    await nextTurn();
    await nextTurn();
    expect(out.writes).toHaveLength(1);
    const lines = (out.writes[0] ?? '').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'info', message: 'request', requestId: 'a', status: 200 }),
      expect.objectContaining({ level: 'warn', message: 'slow', requestId: 'b' }),
    ]);
  });

  it('when lines are logged in later turns, then each turn writes its own batch', async () => {
    const out = sink();
    const logger = createLogger('info', [new StdoutLines(out)]);
    logger.info('one');
    await nextTurn();
    await nextTurn();
    logger.info('two');
    await nextTurn();
    await nextTurn();
    expect(out.writes.map((w) => (JSON.parse(w) as { message: string }).message)).toEqual([
      'one',
      'two',
    ]);
  });

  it('when flushed directly (as at process exit), then nothing pending is left behind', () => {
    const out = sink();
    const transport = new StdoutLines(out);
    createLogger('info', [transport]).error('boom', { errorName: 'TypeError' });
    transport.flush();
    expect(out.writes).toHaveLength(1);
    expect(JSON.parse(out.writes[0] ?? '')).toMatchObject({
      level: 'error',
      errorName: 'TypeError',
    });
    transport.flush();
    expect(out.writes).toHaveLength(1);
  });
});

describe('the direct path (every transport a StdoutLines) against winston', () => {
  /** A winston transport that is not a StdoutLines, so the logger goes through winston. */
  class Capture extends Transport {
    readonly lines: string[] = [];
    override log(info: unknown, next: () => void): void {
      this.lines.push(String((info as Record<symbol, unknown>)[Symbol.for('message')]));
      next();
    }
  }
  const calls = (logger: Logger): void => {
    logger.info('request', {
      requestId: 'a',
      method: 'POST',
      route: '/v1/evaluations',
      status: 200,
      durationMs: 0.5,
      firedRules: ['x', 'y'],
      rulesetHash: 'h',
      caller: 'development',
    });
    logger.debug('hidden at info', { requestId: 'c' });
    logger.warn('slow', { requestId: 'b', issues: ['E1'] });
    logger.error('boom', { errorName: 'TypeError', message: 'patient text', level: 'x' } as never);
    logger.info('no fields');
    logger.info('unknown fields dropped', { patient: 'Jane', requestId: 'd' } as never);
  };
  const stamp = (line: string): string => line.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"');

  it.each(['debug', 'info', 'warn', 'error'])(
    'when the same lines are logged at level %s, then both write byte-identical JSON lines (timestamp aside)',
    (level) => {
      const winstonSide = new Capture();
      calls(createLogger(level, [winstonSide]));
      const out = sink();
      const direct = new StdoutLines(out);
      calls(createLogger(level, [direct]));
      direct.flush();
      const directLines = (out.writes[0] ?? '').split('\n').filter((l) => l !== '');
      expect(directLines.map(stamp)).toEqual(winstonSide.lines.map(stamp));
      expect(winstonSide.lines.length).toBeGreaterThan(0);
    },
  );
});
