import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { createHttpServer } from '../../src/http/server';
import { PROBLEMS } from '../../src/http/problems';
import { makeApp } from '../support/app';

const { app } = makeApp();
let server: http.Server;
let port: number;

beforeAll(async () => {
  server = createHttpServer(app, { requestTimeoutMs: 800 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends raw bytes (optionally in steps) and reads until the server closes the connection. */
function exchange(chunks: readonly (string | Buffer)[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('close', () => {
      resolve(data);
    });
    socket.on('error', reject);
    socket.on('connect', () => {
      void (async () => {
        for (const c of chunks) {
          if (socket.destroyed) return;
          socket.write(c);
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        }
      })();
    });
  });
}

function expectProblem(raw: string, status: number, code: keyof typeof PROBLEMS): void {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
  expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${String(status)} `));
  expect(head).toMatch(/\r\ncontent-type: application\/problem\+json; charset=utf-8\r\n/i);
  expect(head).toMatch(/\r\nconnection: close(\r\n|$)/i);
  expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}(\r\n|$)/i);
  const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1];
  expect(Number(length)).toBe(Buffer.byteLength(body, 'latin1'));
  const problem = JSON.parse(body) as Record<string, unknown>;
  expect(problem).toMatchObject({
    type: `urn:neurotransmitter-cds:problem:${code.toLowerCase()}`,
    title: PROBLEMS[code].title,
    status,
    code,
  });
  expect(typeof problem.requestId).toBe('string');
}

describe("errors Node's HTTP server answers itself, as problem+json (clientError hook)", () => {
  it('when the request line is malformed, then 400 BAD-REQUEST', async () => {
    expectProblem(
      await exchange(['GET /livez HTTP/1.1 junk\r\nHost: x\r\n\r\n']),
      400,
      'BAD-REQUEST',
    );
  });

  it('when the request line is not HTTP at all, then 400 BAD-REQUEST', async () => {
    expectProblem(await exchange(['\u0001\u0002 hello\r\n\r\n']), 400, 'BAD-REQUEST');
  });

  it('when Content-Length is not a number, then 400 BAD-REQUEST', async () => {
    const raw = await exchange([
      'POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12abc\r\n\r\n{}',
    ]);
    expectProblem(raw, 400, 'BAD-REQUEST');
  });

  it('when two Content-Length headers disagree, then 400 BAD-REQUEST', async () => {
    const raw = await exchange([
      'POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}',
    ]);
    expectProblem(raw, 400, 'BAD-REQUEST');
  });

  it('when Content-Length and Transfer-Encoding: chunked are both sent, then 400 BAD-REQUEST', async () => {
    const raw = await exchange([
      'POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    ]);
    expectProblem(raw, 400, 'BAD-REQUEST');
  });

  it('when the headers are larger than allowed, then 431 HEADERS-TOO-LARGE', async () => {
    const raw = await exchange([
      `GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
    ]);
    expectProblem(raw, 431, 'HEADERS-TOO-LARGE');
  });

  it('when the client sends headers too slowly, then 408 REQUEST-TIMEOUT', async () => {
    const started = Date.now();
    const raw = await exchange(['GET /livez HTTP/1.1\r\n', 'Host: x\r\n'], 100);
    expectProblem(raw, 408, 'REQUEST-TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
  });

  it('when the body stalls after the headers, then 408 REQUEST-TIMEOUT', async () => {
    const raw = await exchange([
      'POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"as',
    ]);
    expectProblem(raw, 408, 'REQUEST-TIMEOUT');
  });

  it('when the request is good, then the app answers it (the hook does not interfere)', async () => {
    const raw = await exchange(['GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  });
});
