import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from '../support/app';
import { sha256Hex } from '../security/support';
import { ensureBuilt, freePort, startMain, waitReady } from './process';

const KEY = 'drain-test-key-0123456789';
const BODY = fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8');
const REQUEST =
  `POST /v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${KEY}\r\n` +
  `Content-Type: application/json\r\nContent-Length: ${String(Buffer.byteLength(BODY))}\r\n\r\n${BODY}`;

beforeAll(() => {
  ensureBuilt();
}, 120000);

interface ClientResult {
  answered: number;
  afterTerm: number;
  closeMarked: number;
  /** A request sent and never answered: the connection was reset or closed under it. */
  dropped: number;
  errors: string[];
}

/**
 * One keep-alive client that sends its next request as soon as the last answer is in, until an
 * answer says `Connection: close`; then it expects the server to close the connection.
 */
function busyClient(
  port: number,
  termed: () => boolean,
): { busy: Promise<void>; done: Promise<ClientResult> } {
  const result: ClientResult = {
    answered: 0,
    afterTerm: 0,
    closeMarked: 0,
    dropped: 0,
    errors: [],
  };
  let markBusy: () => void = () => undefined;
  const busy = new Promise<void>((resolve) => (markBusy = resolve));
  const done = new Promise<ClientResult>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let outstanding = false;
    let closing = false;
    const send = (): void => {
      outstanding = true;
      socket.write(REQUEST);
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 'NaN');
        if (buffer.length < end + 4 + length) return;
        buffer = buffer.subarray(end + 4 + length);
        outstanding = false;
        result.answered += 1;
        markBusy();
        if (!/^HTTP\/1\.1 200 /.test(head)) result.errors.push(head.split('\r\n')[0] ?? '');
        if (termed()) result.afterTerm += 1;
        if (/\r\nconnection: *close/i.test(head)) {
          result.closeMarked += 1;
          closing = true;
        } else send();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      result.errors.push(error.code ?? error.message);
    });
    socket.on('close', () => {
      if (outstanding) result.dropped += 1;
      if (!closing && !outstanding) result.errors.push('closed without Connection: close');
      markBusy();
      resolve(result);
    });
  });
  return { busy, done };
}

describe('draining on SIGTERM (node dist/src/main.js in a child process)', () => {
  it('when 50 keep-alive connections are busy through SIGTERM, then every request that arrived is answered, answers say Connection: close, and no connection is reset', async () => {
    const port = await freePort();
    const child = startMain({
      NODE_ENV: 'production',
      PORT: String(port),
      AUTH_API_KEYS: sha256Hex(KEY),
      SHUTDOWN_GRACE_MS: '20000',
      LOG_LEVEL: 'warn',
    });
    try {
      await waitReady(port);
      let termed = false;
      const clients = Array.from({ length: 50 }, () => busyClient(port, () => termed));
      // Every connection accepted and answered at least once: all 50 are busy keep-alive ones.
      await Promise.all(clients.map((c) => c.busy));
      await new Promise((r) => setTimeout(r, 500));
      termed = true;
      child.proc.kill('SIGTERM');
      const results = await Promise.all(clients.map((c) => c.done));
      const { code } = await child.exited;

      const sum = (f: (r: ClientResult) => number): number => results.reduce((n, r) => n + f(r), 0);
      expect(results.flatMap((r) => r.errors)).toEqual([]);
      expect(sum((r) => r.dropped)).toBe(0);
      // Every connection was still busy at SIGTERM and got its last answer marked.
      expect(results.every((r) => r.closeMarked === 1 && r.afterTerm >= 1)).toBe(true);
      expect(sum((r) => r.answered)).toBeGreaterThan(100);
      expect(code).toBe(0);
      expect(child.out()).not.toContain('grace period over');
    } finally {
      child.proc.kill('SIGKILL');
    }
  }, 90000);
});
