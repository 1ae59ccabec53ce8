import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/app';
import { sha256Hex } from '../security/support';
import { connectOnce, ensureBuilt, freePort, rawExchange, startMain, waitReady } from './process';

const KEY = 'ops-test-key-0123456789';
const BODY = fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8');

beforeAll(() => {
  ensureBuilt();
}, 120000);

function head(method: string, url: string, length: number): string {
  return (
    `${method} ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${KEY}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`
  );
}

describe('the built server (node dist/src/main.js) in a child process', () => {
  it('when SIGTERM arrives with a request in flight, then it stops accepting, finishes the request and exits 0 within the grace period', async () => {
    const port = await freePort();
    // Below keepAliveTimeout (5 s): an idle keep-alive socket left open would hit the grace timer.
    const grace = 4000;
    const child = startMain({
      NODE_ENV: 'production',
      PORT: String(port),
      AUTH_API_KEYS: sha256Hex(KEY),
      SHUTDOWN_GRACE_MS: String(grace),
    });
    try {
      await waitReady(port);
      // Headers and half the body are sent; the request is in flight until the rest arrives.
      const inflight = rawExchange(port);
      await inflight.connected;
      const half = Math.floor(BODY.length / 2);
      inflight.write(
        head('POST', '/v1/evaluations', Buffer.byteLength(BODY)) + BODY.slice(0, half),
      );
      // A readiness probe, also mid-request, sees the drain.
      const probe = rawExchange(port);
      await probe.connected;
      probe.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await new Promise((r) => setTimeout(r, 300));

      const termAt = Date.now();
      child.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));

      // New connections are refused once draining starts (a fresh socket: fetch would reuse the
      // pooled keep-alive connection of waitReady, which is still answered while draining).
      await expect(connectOnce(port)).rejects.toThrow(/ECONNREFUSED/);

      probe.end('Connection: close\r\n\r\n');
      // The client keeps its connection alive: the server must close it once answered.
      inflight.write(BODY.slice(half));
      const [answer, readyz] = await Promise.all([inflight.response, probe.response]);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { hits: unknown[] };
      expect(json.hits.length).toBeGreaterThan(0);
      expect(readyz).toMatch(/^HTTP\/1\.1 503 /);
      expect(readyz).toContain('"status":"draining"');

      const { code } = await child.exited;
      const took = Date.now() - termAt;
      expect(code).toBe(0);
      expect(took).toBeLessThan(grace);
      const lines = child
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { message: string });
      expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['draining', 'stopped']));
      expect(child.out()).not.toContain('grace period over');
    } finally {
      child.proc.kill('SIGKILL');
    }
  }, 60000);

  it('when NODE_ENV=production has no authentication configured, then it refuses to start with a clear message', async () => {
    const child = startMain({ NODE_ENV: 'production', PORT: String(await freePort()) });
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    expect(child.out()).toMatch(/refusing to start: NODE_ENV=production needs authentication/);
  }, 30000);

  it('when nothing is configured, then it starts in a clearly logged development mode on 127.0.0.1 with /v1 open', async () => {
    const port = await freePort();
    const child = startMain({ PORT: String(port) });
    try {
      await waitReady(port);
      const res = await fetch(`http://127.0.0.1:${port}/v1/evaluations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
      });
      expect(res.status).toBe(200);
      const admin = await fetch(`http://127.0.0.1:${port}/v1/admin/reload`, { method: 'POST' });
      expect(admin.status).toBe(401);
      const lines = child
        .out()
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { level: string; message: string; mode?: string; host?: string },
        );
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            level: 'warn',
            mode: 'development',
            message: expect.stringMatching(/^DEVELOPMENT MODE/),
          }),
          expect.objectContaining({ message: 'listening', host: '127.0.0.1', mode: 'development' }),
        ]),
      );
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  }, 60000);
});
