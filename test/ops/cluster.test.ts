import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../support/app';
import { sha256Hex } from '../security/support';
import { connectOnce, ensureBuilt, freePort, rawExchange, startMain, waitReady } from './process';
import type { Child } from './process';

/** WORKERS=2 (src/http/cluster.ts): the built server as a primary and two workers. */
const KEY = 'ops-test-key-0123456789';
const BODY = fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8');

beforeAll(() => {
  ensureBuilt();
}, 120000);

/** The pids of a process's children (a cluster primary's workers). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text !== '') out.push(...text.split(' ').map(Number));
  }
  return out;
}

/** One request on a connection of its own (so the primary hands each to the next worker). */
function request(
  port: number,
  method: string,
  url: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        agent: false,
        headers: {
          'x-api-key': KEY,
          connection: 'close',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function startCluster(
  extra: Record<string, string> = {},
): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const child = startMain({
    NODE_ENV: 'production',
    PORT: String(port),
    AUTH_API_KEYS: sha256Hex(KEY),
    WORKERS: '2',
    SHUTDOWN_GRACE_MS: '4000',
    ...extra,
  });
  await waitReady(port, 40000);
  // Ready means one worker listens; wait for the second too.
  const until = Date.now() + 40000;
  while (!child.out().includes('all workers listening')) {
    if (Date.now() > until) throw new Error(`workers did not all listen: ${child.out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port };
}

async function stopCluster(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGTERM');
    await child.exited;
  }
}

const evaluationCount = (metrics: string): number => {
  const m =
    /^ntcds_http_request_duration_seconds_count\{method="POST",route="\/v1\/evaluations",status_code="200"\} (\d+)$/m.exec(
      metrics,
    );
  return m ? Number(m[1]) : 0;
};

describe('WORKERS=2: one primary, two workers on one port', () => {
  it('when requests are spread over both workers, then GET /metrics on any worker counts all of them (one view)', async () => {
    const { child, port } = await startCluster();
    try {
      const pid = child.proc.pid ?? 0;
      expect(children(pid)).toHaveLength(2);
      const n = 20;
      for (let i = 0; i < n; i++)
        expect((await request(port, 'POST', '/v1/evaluations', BODY)).status).toBe(200);
      // Scrapes on fresh connections reach both workers; every one shows the whole service.
      for (let i = 0; i < 6; i++) {
        const { status, text } = await request(port, 'GET', '/metrics');
        expect(status).toBe(200);
        expect(evaluationCount(text)).toBe(n);
        // One ruleset served: 1, not the number of workers.
        expect(text).toMatch(/^ntcds_ruleset_info\{[^}]*\} 1$/m);
      }
    } finally {
      await stopCluster(child);
    }
  }, 120000);

  it('when SIGTERM reaches the primary with a request in flight, then every worker drains: the request is answered, new connections are refused, and it exits 0', async () => {
    const { child, port } = await startCluster();
    try {
      const inflight = rawExchange(port);
      await inflight.connected;
      const half = Math.floor(BODY.length / 2);
      inflight.write(
        `POST /v1/evaluations HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${KEY}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(BODY)}\r\n\r\n` +
          BODY.slice(0, half),
      );
      await new Promise((r) => setTimeout(r, 300));
      const termAt = Date.now();
      child.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      await expect(connectOnce(port)).rejects.toThrow(/ECONNREFUSED/);
      inflight.write(BODY.slice(half));
      const answer = await inflight.response;
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer.toLowerCase()).toContain('connection: close');
      const { code } = await child.exited;
      expect(code).toBe(0);
      expect(Date.now() - termAt).toBeLessThan(4000);
      const messages = child
        .out()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { message: string }).message);
      // The primary's and each worker's drain.
      expect(messages.filter((m) => m === 'draining').length).toBe(3);
      expect(child.out()).not.toContain('grace period over');
    } finally {
      child.proc.kill('SIGKILL');
    }
  }, 120000);

  it('when a worker dies, then the primary starts another and the service keeps answering', async () => {
    const { child, port } = await startCluster();
    try {
      const pid = child.proc.pid ?? 0;
      const [first] = children(pid);
      process.kill(first ?? 0, 'SIGKILL');
      const until = Date.now() + 40000;
      for (;;) {
        const now = children(pid);
        if (now.length === 2 && !now.includes(first ?? 0)) break;
        if (Date.now() > until) throw new Error('no replacement worker');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(child.out()).toContain('a worker exited; starting another');
      for (let i = 0; i < 4; i++)
        expect((await request(port, 'POST', '/v1/evaluations', BODY)).status).toBe(200);
    } finally {
      await stopCluster(child);
    }
  }, 120000);

  it('when the workers cannot start (no ruleset), then the primary stops with their exit code', async () => {
    const child = startMain({
      NODE_ENV: 'production',
      PORT: String(await freePort()),
      AUTH_API_KEYS: sha256Hex(KEY),
      WORKERS: '2',
      RULES_DIR: path.join(ROOT, 'no-such-rules-folder'),
    });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.out()).toContain('a worker stopped before it listened');
  }, 60000);
});
