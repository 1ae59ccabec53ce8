import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { PROBLEMS } from '../../src/http/problems';
import { makeApp, ROOT } from '../support/app';

/**
 * Property: whatever arrives, the real app answers 200 or a registered 4xx problem+json — never a
 * 5xx — and keeps serving. Counts of what was tried are printed at the end (and asserted).
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const README_TEXT = fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8');
const README = JSON.parse(README_TEXT) as { [k: string]: Json };
// FUZZ_SEED / FUZZ_SCALE explore further by hand; CI runs the fixed seed at scale 1.
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

const { app } = makeApp();
let server: http.Server;
const tried: Record<string, number> = {};
const statuses: Record<string, number> = {};

beforeAll(async () => {
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  console.log(
    `HTTP fuzz: runs per property ${JSON.stringify(tried)}; statuses ${JSON.stringify(statuses)}`,
  );
});

const rawBytes = (b: unknown): string => b as string;

interface Sent {
  readonly method?: string;
  readonly url?: string;
  readonly contentType?: string | null;
  readonly body?: string | Buffer;
}

async function send(s: Sent): Promise<request.Response> {
  let r = request(server)[s.method === 'GET' ? 'get' : s.method === 'PUT' ? 'put' : 'post'](
    s.url ?? '/v1/evaluations',
  );
  if (s.contentType !== null) r = r.set('content-type', s.contentType ?? 'application/json');
  if (s.body === undefined) return r;
  // A Buffer goes out as its bytes (supertest would serialise it as JSON otherwise).
  return typeof s.body === 'string' ? r.send(s.body) : r.serialize(rawBytes).send(s.body as never);
}

/** The property every answer must have. */
function assertSane(res: request.Response): void {
  statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  if (res.status === 200) {
    // JSON everywhere, except the Prometheus text of GET /metrics.
    expect(res.headers['content-type']).toMatch(
      /^(application\/json|text\/plain; version=0\.0\.4)/,
    );
    return;
  }
  if (res.status < 400 || res.status >= 500)
    throw new Error(`answered ${res.status}: ${res.text.slice(0, 300)}`);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as { code: keyof typeof PROBLEMS; status: number };
  expect(PROBLEMS[body.code].status).toBe(res.status);
  expect(body.status).toBe(res.status);
  expect(res.text).not.toMatch(/node_modules|\/src\/|at [A-Za-z.]+ \(/);
}

async function check(name: string, arb: fc.Arbitrary<Sent>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, async (s) => {
      tried[name] = (tried[name] ?? 0) + 1;
      assertSane(await send(s));
    }),
    { numRuns: Math.round(numRuns * SCALE), seed: SEED, endOnFailure: true },
  );
}

const json = (v: unknown): string => JSON.stringify(v);

/** The README request with the value at one path replaced. */
function mutateAt(base: Json, pathIdx: number[], value: Json | undefined): Json {
  const paths: (string | number)[][] = [];
  const collect = (node: Json, at: (string | number)[]): void => {
    paths.push(at);
    if (Array.isArray(node))
      node.forEach((c, i) => {
        collect(c, [...at, i]);
      });
    else if (node !== null && typeof node === 'object')
      for (const [k, c] of Object.entries(node)) collect(c, [...at, k]);
  };
  collect(base, []);
  const target = paths[(pathIdx[0] ?? 0) % paths.length] ?? [];
  const set = (node: Json, rest: (string | number)[]): Json => {
    if (rest.length === 0) return value === undefined ? null : value;
    const [head, ...tail] = rest;
    if (Array.isArray(node)) {
      const copy = [...node];
      if (tail.length === 0 && value === undefined) copy.splice(head as number, 1);
      else copy[head as number] = set(copy[head as number] ?? null, tail);
      return copy;
    }
    const entries = Object.entries(node as { [k: string]: Json });
    if (tail.length === 0 && value === undefined)
      return Object.fromEntries(entries.filter(([k]) => k !== head));
    return Object.fromEntries(entries.map(([k, v]) => [k, k === head ? set(v, tail) : v] as const));
  };
  return set(base, target);
}

const scalarOrWrongType: fc.Arbitrary<Json | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 1e-320),
  fc.string({ maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'Infinity',
    '1e9999',
    '2026-02-30T25:61:00Z',
    'ü',
    '\u0000',
    '__proto__',
  ),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

describe('HTTP fuzzing of the real app (fast-check, fixed seed)', () => {
  it('when the body is random JSON, then the answer is 200 or a 4xx problem', async () => {
    await check(
      'randomJson',
      fc.json({ maxDepth: 6 }).map((body) => ({ body })),
      250,
    );
  });

  it('when one field of the README request is mutated, removed or retyped, then the answer is 200 or a 4xx problem', async () => {
    await check(
      'nearValid',
      fc
        .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 1 }), scalarOrWrongType)
        .map(([at, value]) => ({ body: json(mutateAt(README, at, value)) })),
      300,
    );
  });

  it('when strings are huge (up to 400 KB), then the answer is 200 or a 4xx problem (413 beyond the limit)', async () => {
    await check(
      'hugeStrings',
      fc
        .tuple(
          fc.array(fc.nat(), { minLength: 1, maxLength: 1 }),
          fc.integer({ min: 1000, max: 400_000 }),
          fc.constantFrom('a', 'é', '\\u0000', '"', '😀'),
        )
        .map(([at, n, ch]) => ({
          body: json(mutateAt(README, at, ch.repeat(Math.ceil(n / ch.length)))),
        })),
      25,
    );
  });

  it('when the body nests deeply (up to 40,000 brackets, closed or not), then it is refused without recursion', async () => {
    const fixed = [
      '['.repeat(40000) + ']'.repeat(40000),
      '{"a":'.repeat(40000) + '1' + '}'.repeat(40000),
      '['.repeat(40000),
      '[{"a":'.repeat(20000),
      json({ ...README, patient: JSON.parse('['.repeat(40) + ']'.repeat(40)) as Json }),
    ];
    for (const body of fixed) {
      tried.deepFixed = (tried.deepFixed ?? 0) + 1;
      const res = await send({ body });
      assertSane(res);
      expect(res.status).toBe(res.text.length > 0 && body.length > 262144 ? 413 : 400);
    }
    await check(
      'deepNesting',
      fc
        .tuple(
          fc.integer({ min: 1, max: 40000 }),
          fc.constantFrom('[', '{"k":', '[{"x":'),
          fc.boolean(),
        )
        .map(([n, open, closed]) => {
          const close = open === '[' ? ']' : open === '{"k":' ? '}' : '}]';
          return {
            body: open.repeat(n) + (open === '[' ? '' : '0') + (closed ? close.repeat(n) : ''),
          };
        }),
      40,
    );
  });

  it('when keys are __proto__, constructor or prototype anywhere, then nothing is polluted and the answer is a 4xx problem', async () => {
    const evil = fc.constantFrom('__proto__', 'constructor', 'prototype');
    await check(
      'protoKeys',
      fc
        .tuple(
          evil,
          fc.array(fc.nat(), { minLength: 1, maxLength: 1 }),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .map(([key, at, value]) => {
          const injected = mutateAt(README, at, { [key]: value as Json, polluted: true });
          // JSON.stringify drops nothing here: keys are own properties; write __proto__ raw too.
          const text = json(injected).replace(
            '"polluted":true',
            `"polluted":true,"${key}":{"isAdmin":true}`,
          );
          return { body: text };
        }),
      150,
    );
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('when the JSON text repeats keys, then the answer is 200 or a 4xx problem', async () => {
    await check(
      'duplicateKeys',
      fc.tuple(fc.constantFrom(...Object.keys(README)), scalarOrWrongType).map(([key, value]) => ({
        body: README_TEXT.replace(/^\{/, `{${json(key)}: ${json(value ?? null)},`),
      })),
      100,
    );
  });

  it('when the body has invalid UTF-8 bytes, then the answer is 200 or a 4xx problem', async () => {
    const bytes = Buffer.from(README_TEXT, 'utf8');
    await check(
      'invalidUtf8',
      fc
        .tuple(
          fc.array(
            fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0x80, max: 0xff })),
            { minLength: 1, maxLength: 8 },
          ),
          fc.boolean(),
        )
        .map(([edits, insert]) => {
          let out = Buffer.from(bytes);
          for (const [at, byte] of edits) {
            out = insert
              ? Buffer.concat([out.subarray(0, at), Buffer.from([byte]), out.subarray(at)])
              : Buffer.from(out.map((b, i) => (i === at ? byte : b)));
          }
          return { body: out };
        }),
      150,
    );
  });

  it('when the content type is wrong, odd or missing, then the answer is 415 or another 4xx problem', async () => {
    await check(
      'contentTypes',
      fc
        .tuple(
          fc.oneof(
            fc.constant(null),
            fc.constantFrom(
              'text/plain',
              'application/xml',
              'application/json; charset=latin1',
              'application/json; charset=utf-16',
              'application/json; charset=utf-8; boundary=x',
              'application/merge-patch+json',
              'application/x-www-form-urlencoded',
              'multipart/form-data; boundary=zz',
              'APPLICATION/JSON',
              'application/jsonx',
              '*/*',
              '',
              'application/json, text/plain',
            ),
            fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e ]*$/.test(s)),
          ),
          fc.constantFrom(README_TEXT, 'a=b', '<x/>', ''),
        )
        .map(([contentType, body]) => ({ contentType, body })),
      120,
    );
  });

  it('when method, path and query are random, then the answer is 200 or a 4xx problem', async () => {
    const seg = fc.oneof(
      fc.constantFrom(
        'v1',
        'evaluations',
        'rules',
        'ruleset',
        'catalog',
        'admin',
        'reload',
        '..',
        '%2e%2e',
        '%00',
        '%ZZ',
        'livez',
        'readyz',
        'metrics',
        'openapi.json',
      ),
      fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/),
    );
    await check(
      'routes',
      fc
        .tuple(
          fc.constantFrom('GET', 'POST', 'PUT'),
          fc.array(seg, { maxLength: 5 }),
          fc.oneof(
            fc.constant(''),
            fc.constantFrom(
              '?trace=full',
              '?trace=',
              '?trace=full&trace=hits',
              '?trace[a]=1',
              '?x=1',
              '?%ZZ=1',
            ),
          ),
        )
        .map(([method, segs, query]) => ({
          method,
          url: `/${segs.join('/')}${query}`,
          body: README_TEXT,
        })),
      150,
    );
  });

  it('after all of the above, a valid request is still answered in full', async () => {
    const res = await send({ body: README_TEXT });
    expect(res.status).toBe(200);
    expect(res.body.findings.length).toBeGreaterThan(0);
    expect(res.body.hits.length).toBeGreaterThan(0);
    const ready = await request(server).get('/readyz');
    expect(ready.status).toBe(200);
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(1200 * SCALE);
  });
});
