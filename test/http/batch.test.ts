import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { AuthConfig } from '../../src/config';
import { SYSTEM } from '../../src/fhir/codes';
import { makeApp } from '../support/app';
import { makeRequest, phq9 } from '../support/factories';
import { appWith, sha256Hex } from '../security/support';

const ROUTE = '/v1/evaluations/batch';
const NDJSON = 'application/x-ndjson';

const plain = makeRequest({ questionnaires: [phq9([1, 1, 1, 1, 1, 1, 1, 1, 0])] });
const emergency = makeRequest({
  patient: { age: 52, sex: 'male' },
  questionnaires: [phq9([2, 2, 2, 2, 2, 2, 2, 1, 3])],
});
const older = makeRequest({ patient: { age: 70, sex: 'male' } });

interface Line {
  line: number;
  answer?: Record<string, unknown>;
  problem?: { code: string; status: number; type: string; title: string; errors?: unknown[] };
}

function lines(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

function ndjson(...bodies: unknown[]): string {
  return bodies.map((b) => (typeof b === 'string' ? b : JSON.stringify(b))).join('\n') + '\n';
}

/** The answer without what differs per evaluation by design. */
function comparable(answer: Record<string, unknown> | undefined): Record<string, unknown> {
  const { evaluationId: _id, ...rest } = answer ?? {};
  return rest;
}

/** The Prometheus sample value of an unlabelled series. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? 'NaN');
}

describe('POST /v1/evaluations/batch: answers', () => {
  const { app } = makeApp();

  it('when a line is a FHIR R4 Bundle, then it is answered exactly as POST /v1/evaluations answers it as application/fhir+json (data issues pointing into the Bundle), and a native line beside it is unaffected', async () => {
    const fixed = makeApp({ now: () => new Date('2026-01-15T00:00:00Z') }).app;
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: { resourceType: 'Patient', id: 'p1', birthDate: '1980-06-01', gender: 'male' },
        },
        {
          resource: {
            resourceType: 'MedicationStatement',
            id: 'unk',
            status: 'active',
            medicationCodeableConcept: { coding: [{ system: SYSTEM.rxnorm, code: '617993' }] },
          },
        },
      ],
    };
    const noBirthDate = { ...bundle, entry: [{ resource: { resourceType: 'Patient', id: 'p2' } }] };
    const res = await request(fixed)
      .post(ROUTE)
      .set('content-type', NDJSON)
      .send(ndjson(bundle, plain, noBirthDate));
    expect(res.status).toBe(200);
    const got = lines(res.text);
    const single = await request(fixed)
      .post('/v1/evaluations')
      .set('content-type', 'application/fhir+json')
      .send(JSON.stringify(bundle));
    expect(single.status).toBe(200);
    expect(comparable(got[0]?.answer)).toEqual(comparable(single.body as Record<string, unknown>));
    const issues = got[0]?.answer?.dataIssues as { code: string; pointer: string }[];
    expect(issues.find((d) => d.code === 'DATA-MED-UNKNOWN')?.pointer).toBe(
      'MedicationStatement/unk/medicationCodeableConcept',
    );
    const native = await request(fixed).post('/v1/evaluations').send(plain);
    expect(comparable(got[1]?.answer)).toEqual(comparable(native.body as Record<string, unknown>));
    const refused = await request(fixed)
      .post('/v1/evaluations')
      .set('content-type', 'application/fhir+json')
      .send(JSON.stringify(noBirthDate));
    expect(refused.status).toBe(400);
    const { instance: _i, requestId: _r, ...problem } = refused.body as Record<string, unknown>;
    expect(got[2]).toEqual({ line: 3, problem });
  });

  it('when three requests are posted as NDJSON, then three NDJSON lines come back in input order, each the same answer the single route gives', async () => {
    const res = await request(app)
      .post(ROUTE)
      .set('content-type', NDJSON)
      .send(ndjson(plain, emergency, older));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const got = lines(res.text);
    expect(got.map((l) => l.line)).toEqual([1, 2, 3]);
    for (const [i, body] of [plain, emergency, older].entries()) {
      const single = await request(app).post('/v1/evaluations').send(body);
      expect(single.status).toBe(200);
      expect(comparable(got[i]?.answer)).toEqual(
        comparable(single.body as Record<string, unknown>),
      );
    }
    expect((got[1]?.answer?.redFlags as unknown[]).length).toBeGreaterThan(0);
  });

  it('when lines are bad in each way the single route refuses, then each gets a problem line with its 1-based line number and the same code, and the good lines are still answered', async () => {
    const deep = '['.repeat(40) + ']'.repeat(40);
    const body = [
      JSON.stringify(plain), // 1
      '{"asOf": ', // 2 bad JSON
      '', // 3 blank: skipped, but counted
      '{"patient":{"age":40},"patient":{"age":41}}', // 4 duplicate key
      deep, // 5 too deep
      JSON.stringify({ patient: { age: 'forty' } }), // 6 invalid request
      JSON.stringify(makeRequest({ questionnaires: [phq9([1, 1])] })), // 7 wrong item count
      '\u{feff}' + JSON.stringify(older), // 8 a BOM, dropped as the single route does
      '"just a string"', // 9 not an object or array
      JSON.stringify(emergency) + '\r', // 10 CRLF line end
    ].join('\n');
    const res = await request(app).post(ROUTE).set('content-type', NDJSON).send(body);
    expect(res.status).toBe(200);
    const got = lines(res.text);
    const summary = got.map((l) => [l.line, l.answer ? 'answer' : l.problem?.code]);
    const single = await request(app)
      .post('/v1/evaluations')
      .send(makeRequest({ questionnaires: [phq9([1, 1])] }));
    expect(summary).toEqual([
      [1, 'answer'],
      [2, 'BAD-JSON'],
      [4, 'DUPLICATE-KEY'],
      [5, 'NESTING-TOO-DEEP'],
      [6, 'INVALID-REQUEST'],
      [7, (single.body as { code: string }).code],
      [8, 'answer'],
      [9, 'BAD-JSON'],
      [10, 'answer'],
    ]);
    const invalid = got.find((l) => l.line === 6)?.problem;
    expect(invalid).toMatchObject({
      type: 'urn:neurotransmitter-cds:problem:invalid-request',
      status: 400,
    });
    expect(invalid?.errors?.length).toBeGreaterThan(0);
    expect(res.text).not.toMatch(/at .*\.ts|node_modules/);
  });

  it('when trace=full is asked, then the answers carry the rules that did not fire; when trace has another value, then 400 INVALID-QUERY before any line', async () => {
    const hits = await request(app).post(ROUTE).set('content-type', NDJSON).send(ndjson(plain));
    const full = await request(app)
      .post(`${ROUTE}?trace=full`)
      .set('content-type', NDJSON)
      .send(ndjson(plain));
    const notFired = (l: Line | undefined): unknown => l?.answer?.notFired;
    expect(notFired(lines(hits.text)[0])).toBeUndefined();
    expect((notFired(lines(full.text)[0]) as unknown[]).length).toBeGreaterThan(0);
    const bad = await request(app)
      .post(`${ROUTE}?trace=all`)
      .set('content-type', NDJSON)
      .send(ndjson(plain));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID-QUERY' });
  });

  it('when the body is application/json, then 415 UNSUPPORTED-MEDIA-TYPE; when it is GET, then 405', async () => {
    const res = await request(app).post(ROUTE).send(plain);
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'UNSUPPORTED-MEDIA-TYPE' });
    expect((await request(app).get(ROUTE)).status).toBe(405);
  });

  it('when the body is empty, then the answer is 200 with no lines', async () => {
    const res = await request(app).post(ROUTE).set('content-type', NDJSON).send('');
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });
});

describe('POST /v1/evaluations/batch: limits', () => {
  it('when Content-Length is over the batch limit, then 413 BODY-TOO-LARGE as problem+json before any line', async () => {
    const { app } = appWith({ batchMaxBytes: 2000 });
    const body = ndjson(...Array.from({ length: 12 }, () => plain));
    expect(Buffer.byteLength(body)).toBeGreaterThan(2000);
    const res = await request(app).post(ROUTE).set('content-type', NDJSON).send(body);
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'BODY-TOO-LARGE' });
  });

  it('when a chunked body passes the byte limit mid-stream, then the lines before it are answered and a BODY-TOO-LARGE problem line ends the answer', async () => {
    const { app } = appWith({ batchMaxBytes: 1500 });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const text = await new Promise<string>((resolve, reject) => {
        const req = http.request(
          {
            port,
            host: '127.0.0.1',
            method: 'POST',
            path: ROUTE,
            headers: { 'content-type': NDJSON },
          },
          (res) => {
            let got = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (got += c));
            res.on('end', () => {
              resolve(got);
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        // Chunked: no Content-Length. One line per chunk, with a pause so lines are answered.
        const line = `${JSON.stringify(plain)}\n`;
        let sent = 0;
        const next = (): void => {
          if (sent >= 10) {
            req.end();
            return;
          }
          sent += 1;
          req.write(line, () => setTimeout(next, 5));
        };
        next();
      });
      const got = lines(text);
      const last = got[got.length - 1];
      expect(last?.problem?.code).toBe('BODY-TOO-LARGE');
      expect(got.slice(0, -1).every((l) => l.answer !== undefined)).toBe(true);
      expect(got.length - 1).toBe(
        Math.floor(1500 / Buffer.byteLength(JSON.stringify(plain) + '\n')),
      );
      expect(last?.line).toBe(got.length);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when one line is longer than the single-route body limit, then that line gets BODY-TOO-LARGE and the next lines are answered', async () => {
    const { app } = appWith({ bodyLimitBytes: 4096 });
    const long = makeRequest({ note: 'x'.repeat(5000) });
    const res = await request(app)
      .post(ROUTE)
      .set('content-type', NDJSON)
      .send(ndjson(plain, long, older));
    const got = lines(res.text).map((l) => [l.line, l.answer ? 'answer' : l.problem?.code]);
    expect(got).toEqual([
      [1, 'answer'],
      [2, 'BODY-TOO-LARGE'],
      [3, 'answer'],
    ]);
  });

  it('when the batch has more lines than allowed, then the first are answered and the next line gets TOO-MANY-LINES, ending the answer', async () => {
    const { app } = appWith({ batchMaxLines: 3 });
    const res = await request(app)
      .post(ROUTE)
      .set('content-type', NDJSON)
      .send(ndjson(plain, older, plain, emergency, plain));
    const got = lines(res.text).map((l) => [l.line, l.answer ? 'answer' : l.problem?.code]);
    expect(got).toEqual([
      [1, 'answer'],
      [2, 'answer'],
      [3, 'answer'],
      [4, 'TOO-MANY-LINES'],
    ]);
    expect(lines(res.text)[3]?.problem?.status).toBe(413);
  });
});

describe('POST /v1/evaluations/batch: the /v1 guard and metrics', () => {
  const KEY = 'batch-user-key-0123456789abcdef';
  const auth: AuthConfig = { apiKeyDigests: [sha256Hex(KEY)], adminKeyDigests: [] };

  it('when API keys are configured and none is sent, then 401 UNAUTHORIZED; with the key, then the lines are answered', async () => {
    const { app } = appWith({ auth });
    const refused = await request(app).post(ROUTE).set('content-type', NDJSON).send(ndjson(plain));
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ code: 'UNAUTHORIZED' });
    const ok = await request(app)
      .post(ROUTE)
      .set('content-type', NDJSON)
      .set('authorization', `Bearer ${KEY}`)
      .send(ndjson(plain));
    expect(ok.status).toBe(200);
    expect(lines(ok.text)).toHaveLength(1);
  });

  it('when the rate limit is spent, then the batch route answers 429 like every /v1 route', async () => {
    const { app } = appWith({ auth, rateLimitPerMinute: 1 });
    const send = () =>
      request(app)
        .post(ROUTE)
        .set('content-type', NDJSON)
        .set('authorization', `Bearer ${KEY}`)
        .send(ndjson(plain));
    expect((await send()).status).toBe(200);
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it('when a batch of three answers and one refusal is served, then metrics count three evaluations and the request under the batch route', async () => {
    const { app } = makeApp();
    await request(app)
      .post(ROUTE)
      .set('content-type', NDJSON)
      .send(ndjson(plain, emergency, '{', older));
    const text = (await request(app).get('/metrics')).text;
    expect(sample(text, 'ntcds_evaluation_duration_seconds_count')).toBe(3);
    expect(text).toMatch(/red_flags_total\{code="[A-Z0-9-]+"\} 1/);
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/v1\/evaluations\/batch",status_code="200"\} 1/,
    );
  });
});

describe('POST /v1/evaluations/batch: backpressure', () => {
  it('when the body arrives a line at a time, then each answer comes back before the next line is sent (answers are not held for a fuller write)', async () => {
    const { app } = makeApp();
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const got: string[] = [];
      let wake: (() => void) | undefined;
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: ROUTE,
        headers: { 'content-type': NDJSON, 'transfer-encoding': 'chunked' },
      });
      const ended = new Promise<void>((resolve) => {
        req.on('response', (res) => {
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            buffered += c;
            const parts = buffered.split('\n');
            buffered = parts.pop() ?? '';
            got.push(...parts);
            wake?.();
          });
          res.on('end', resolve);
        });
      });
      const answered = (n: number): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`line ${String(n)} not answered before the next was sent`));
          }, 5000);
          const check = (): void => {
            if (got.length < n) return;
            clearTimeout(timer);
            resolve();
          };
          wake = check;
          check();
        });
      for (const [i, body] of [plain, emergency, older].entries()) {
        req.write(`${JSON.stringify(body)}\n`);
        await answered(i + 1);
      }
      req.end();
      await ended;
      expect(got.map((l) => (JSON.parse(l) as Line).line)).toEqual([1, 2, 3]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 30000);

  it('when the client stops reading, then the server stops evaluating (bounded by the socket buffers), and when it reads again, then every line arrives in order', async () => {
    const { app } = makeApp();
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const scrape = async (): Promise<number> =>
      sample(
        (await request(server).get('/metrics')).text,
        'ntcds_evaluation_duration_seconds_count',
      );
    const total = 800;
    const body = Buffer.from(ndjson(...Array.from({ length: total }, () => emergency)));
    const socket = net.connect(port, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.pause();
      socket.write(
        `POST ${ROUTE}?trace=full HTTP/1.1\r\nHost: x\r\nContent-Type: ${NDJSON}\r\nContent-Length: ${String(body.length)}\r\n\r\n`,
      );
      socket.write(body);
      // Not reading: the server fills the socket buffers, then must wait for 'drain'.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const stalled = await scrape();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stillStalled = await scrape();
      expect(stalled).toBeGreaterThan(0);
      expect(stillStalled).toBe(stalled);
      // Bounded by the kernel's socket buffers and the stream's high-water mark, not the batch.
      expect(stalled).toBeLessThan(total / 3);

      const chunks: Buffer[] = [];
      let size = 0;
      const done = new Promise<void>((resolve) => {
        socket.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          // The end of a chunked body; checked on the last chunk only.
          if (c.subarray(-7).toString('latin1') === '\r\n0\r\n\r\n'.slice(-7)) resolve();
        });
      });
      socket.resume();
      await done;
      expect(size).toBeGreaterThan(0);
      const text = Buffer.concat(chunks).toString('utf8');
      const numbers = [...text.matchAll(/\{"line":(\d+),"answer"/g)].map((m) => Number(m[1]));
      expect(numbers).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(await scrape()).toBe(total);
    } finally {
      socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60000);
});
