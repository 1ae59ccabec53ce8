import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Response } from 'supertest';
import helmet from 'helmet';
import { createApp } from '../../src/http/app';
import { createFastPath } from '../../src/http/fast-path';
import { v1Admission } from '../../src/http/auth';
import { createMetrics } from '../../src/http/metrics';
import { RulesetStore } from '../../src/http/ruleset-store';
import { silentLogger } from '../../src/lib/logger';
import { generatePatients } from '../../src/synth/patients';
import { appWith, sha256Hex } from '../security/support';
import { makeApp, shippedRuleset } from '../support/app';
import { makeRequest } from '../support/factories';

/**
 * POST /v1/evaluations has two implementations: the fast path (src/http/fast-path.ts) and the
 * Express route it stands in for. Every request below goes to an app with the fast path and to
 * one without (`fastPath: false`); status, headers, body and access-log line must match, with
 * only the per-request ids and timings set aside.
 */

interface Sent {
  readonly name: string;
  readonly url?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/** Requests without asOf are evaluated as of the app's clock: the same fixed instant for both. */
const FIXED_NOW = (): Date => new Date('2026-11-28T12:00:00Z');

const PER_REQUEST = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);

function comparable(res: Response): unknown {
  const headers = Object.fromEntries(
    Object.entries(res.headers).filter(([k]) => !PER_REQUEST.has(k)),
  );
  const text = res.text
    .replace(/"evaluationId":"[0-9a-f-]{36}"/, '"evaluationId":"<id>"')
    .replace(/"requestId":"[0-9a-f-]{36}"/, '"requestId":"<id>"');
  return { status: res.status, headers, text };
}

function comparableLog(lines: readonly string[]): unknown[] {
  return lines.map((line) => {
    const { requestId, durationMs, timestamp, evaluationId, ...rest } = JSON.parse(line) as Record<
      string,
      unknown
    >;
    return {
      ...rest,
      requestId: typeof requestId,
      durationMs: typeof durationMs,
      timestamp: typeof timestamp,
      evaluationId: typeof evaluationId,
    };
  });
}

async function send(app: http.RequestListener, s: Sent): Promise<Response> {
  let r = request(app)
    .post(s.url ?? '/v1/evaluations')
    .set('content-type', s.contentType ?? 'application/json');
  for (const [k, v] of Object.entries(s.headers ?? {})) r = r.set(k, v);
  return sendBytes(r, s.body);
}

/**
 * supertest serialises a Buffer body as JSON (`{"type":"Buffer","data":[...]}`) when the content
 * type is JSON: bytes go out as they are only through an identity serialiser.
 */
function sendBytes(r: request.Test, body: string | Buffer): request.Test {
  return typeof body === 'string' ? r.send(body) : r.serialize(rawBytes).send(body as never);
}
const rawBytes = (b: unknown): string => b as string;

const json = (value: unknown): string => JSON.stringify(value);
const catalog = shippedRuleset().catalog;
const patients = generatePatients(catalog, { seed: 20261128, count: 40 }).map((p) => json(p));

const CORPUS: readonly Sent[] = [
  ...patients.map((body, i) => ({ name: `generated patient ${i}`, body })),
  ...patients.slice(0, 8).map((body, i) => ({
    name: `generated patient ${i}, trace=full`,
    url: '/v1/evaluations?trace=full',
    body,
  })),
  { name: 'trace=hits', url: '/v1/evaluations?trace=hits', body: json(makeRequest()) },
  {
    name: 'charset=utf-8',
    contentType: 'application/json; charset=utf-8',
    body: json(makeRequest()),
  },
  {
    name: 'charset=UTF-8 quoted',
    contentType: 'Application/JSON;charset="UTF-8"',
    body: json(makeRequest()),
  },
  {
    name: 'leading BOM',
    body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json(makeRequest()))]),
  },
  { name: 'leading whitespace', body: ` \n\t${json(makeRequest())}` },
  { name: 'empty body', body: '' },
  { name: 'whitespace only', body: '  \n ' },
  { name: 'not JSON', body: '{"patient": ' },
  { name: 'a number at the top', body: '42' },
  { name: 'a string at the top', body: '"patient"' },
  { name: 'an array at the top', body: '[]' },
  {
    name: 'invalid UTF-8 in a string',
    body: Buffer.concat([
      Buffer.from('{"asOf":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]),
  },
  { name: 'a repeated key', body: '{"patient":{"age":40,"age":41}}' },
  { name: 'a repeated key, escaped', body: '{"asOf":"2026-01-01T00:00:00Z","\\u0061sOf":"x"}' },
  { name: 'nesting too deep', body: '['.repeat(40) + ']'.repeat(40) },
  { name: 'an unknown field', body: json(makeRequest({ diagnosis: 'x' })) },
  { name: 'a wrong type', body: json(makeRequest({ patient: { age: 'forty', sex: 'female' } })) },
  {
    name: 'an unknown analyte',
    body: json(makeRequest({ biomarkers: [{ analyte: 'unobtainium', value: 1, unit: 'mg/L' }] })),
  },
  {
    name: 'inconsistent: pregnancy for a male patient',
    body: json(
      makeRequest({ patient: { age: 40, sex: 'male', pregnancy: 'pregnant', lactating: false } }),
    ),
  },
  {
    name: 'requested agents',
    body: json(makeRequest({ requested: ['5-htp', { id: 'l-theanine' }] })),
  },
  {
    name: 'a request id from the caller',
    headers: { 'x-request-id': 'caller-id-1' },
    body: json(makeRequest()),
  },
  {
    name: 'a malformed request id',
    headers: { 'x-request-id': 'has spaces' },
    body: json(makeRequest()),
  },
];

describe('the evaluation fast path answers exactly as the Express route', () => {
  it.each(CORPUS.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    const fast = appWith({ now: FIXED_NOW });
    const reference = appWith({ fastPath: false, now: FIXED_NOW });
    const a = await send(fast.app, s);
    const b = await send(reference.app, s);
    expect(comparable(a)).toEqual(comparable(b));
    expect(comparableLog(fast.logs)).toEqual(comparableLog(reference.logs));
    expect(fast.logs).toHaveLength(1);
  });

  it('when no ruleset is loaded, then both answer 503 NOT-READY', async () => {
    const s: Sent = { name: 'not ready', body: json(makeRequest()) };
    const empty = (fastPath: boolean): http.RequestListener =>
      createApp({ store: new RulesetStore(), logger: silentLogger, fastPath });
    const a = await send(empty(true), s);
    const b = await send(empty(false), s);
    expect(a.status).toBe(503);
    expect(a.body).toMatchObject({ code: 'NOT-READY' });
    expect(comparable(a)).toEqual(comparable(b));
  });
});

describe('with API keys and a rate limit, the fast path refuses exactly as Express does', () => {
  const KEY = 'fast-path-key-0123456789';
  const auth = { apiKeyDigests: [sha256Hex(KEY)], adminKeyDigests: [] };
  const body = json(makeRequest());

  it.each([
    ['no credential', {}],
    ['an unknown key', { 'x-api-key': 'not-a-key' }],
    ['an empty key', { 'x-api-key': ' ' }],
    ['a malformed Authorization header', { authorization: 'Basic abc' }],
    ['a bearer token that is no JWT', { authorization: 'Bearer not-a-jwt' }],
    ['the right key', { 'x-api-key': KEY }],
    ['the right key as a bearer token', { authorization: `Bearer ${KEY}` }],
  ] as const)('%s', async (_name, headers) => {
    const fast = appWith({ auth });
    const reference = appWith({ auth, fastPath: false });
    const s: Sent = { name: _name, headers, body };
    const a = await send(fast.app, s);
    expect(comparable(a)).toEqual(comparable(await send(reference.app, s)));
    expect(comparableLog(fast.logs)).toEqual(comparableLog(reference.logs));
  });

  it('when a caller runs out of budget, then both answer 429 with the same Retry-After', async () => {
    const fast = appWith({ auth, rateLimitPerMinute: 2 });
    const reference = appWith({ auth, rateLimitPerMinute: 2, fastPath: false });
    const s: Sent = { name: 'limited', headers: { 'x-api-key': KEY }, body };
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await send(fast.app, s);
      const b = await send(reference.app, s);
      statuses.push(a.status);
      expect(comparable(a)).toEqual(comparable(b));
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('when a caller alternates paths, then both draw on one budget', async () => {
    const { app } = appWith({ auth, rateLimitPerMinute: 2 });
    const plain = await send(app, { name: 'fast', headers: { 'x-api-key': KEY }, body });
    const chunked = await request(app)
      .post('/v1/evaluations/')
      .set('x-api-key', KEY)
      .set('content-type', 'application/json')
      .send(body);
    const third = await send(app, { name: 'fast', headers: { 'x-api-key': KEY }, body });
    expect([plain.status, chunked.status, third.status]).toEqual([200, 200, 429]);
  });
});

describe('which requests the fast path takes', () => {
  /** The fast path alone, with a fallback that only records what it was handed. */
  async function taken(s: Sent & { method?: string }): Promise<boolean> {
    const store = new RulesetStore();
    store.set(shippedRuleset());
    const fast = createFastPath({
      evaluation: { store, bodyLimitBytes: 1024, maxJsonDepth: 32, now: () => new Date() },
      logger: silentLogger,
      metrics: createMetrics(store),
      admission: v1Admission({}),
      securityHeaders: helmet(),
    });
    let took = false;
    const server = http.createServer((req, res) => {
      took = fast(req, res);
      if (!took) {
        req.resume();
        res.statusCode = 299;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const r = request(`http://127.0.0.1:${port}`);
      const method = (s.method ?? 'post') as 'post' | 'put';
      let req = r[method](s.url ?? '/v1/evaluations').set(
        'content-type',
        s.contentType ?? 'application/json',
      );
      for (const [k, v] of Object.entries(s.headers ?? {})) req = req.set(k, v);
      await req.send(s.body);
      return took;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
  const small = json(makeRequest());

  it.each([
    ['a plain JSON POST', {}, true],
    ['?trace=full', { url: '/v1/evaluations?trace=full' }, true],
    ['?trace=hits', { url: '/v1/evaluations?trace=hits' }, true],
    ['charset=utf-8', { contentType: 'application/json; charset=utf-8' }, true],
    ['another query', { url: '/v1/evaluations?trace=full&x=1' }, false],
    ['a trailing slash', { url: '/v1/evaluations/' }, false],
    ['another case', { url: '/V1/Evaluations' }, false],
    ['another method', { method: 'put' }, false],
    ['another media type', { contentType: 'text/plain' }, false],
    ['another charset', { contentType: 'application/json; charset=utf-16' }, false],
    ['a compressed body', { headers: { 'content-encoding': 'gzip' } }, false],
    [
      'a body over the limit',
      { body: json(makeRequest({ symptoms: [] })) + ' '.repeat(2000) },
      false,
    ],
  ] as const)('%s → %s', async (_name, variant, expected) => {
    expect(await taken({ name: _name, body: small, ...variant })).toBe(expected);
  });
});

describe('the byte cases reach the server as bytes', () => {
  it('when a Buffer body is sent, then the server receives exactly those bytes (not supertest JSON)', async () => {
    let got: Buffer | undefined;
    const echo: http.RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        got = Buffer.concat(chunks);
        res.end();
      });
    };
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0xff, 0xfe, 0x7d]);
    await sendBytes(request(echo).post('/').set('content-type', 'application/json'), bytes);
    expect(got?.equals(bytes)).toBe(true);
  });

  it('when a body starts with a UTF-8 BOM, then the evaluation is answered; when it holds invalid UTF-8, then 400', async () => {
    const { app } = makeApp();
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json(makeRequest()))]);
    const ok = await sendBytes(
      request(app).post('/v1/evaluations').set('content-type', 'application/json'),
      bom,
    );
    expect(ok.status).toBe(200);
    const bad = Buffer.concat([
      Buffer.from('{"asOf":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]);
    const refused = await sendBytes(
      request(app).post('/v1/evaluations').set('content-type', 'application/json'),
      bad,
    );
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
