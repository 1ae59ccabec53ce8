import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { PROBLEMS } from '../../src/http/problems';
import { makeApp, ROOT } from '../support/app';
import { makeRequest, phq9 } from '../support/factories';

const { app } = makeApp();

/** Every error: problem+json, the stable code and its status, and nothing about the server's insides. */
function expectProblem(
  res: { status: number; headers: Record<string, unknown>; text: string },
  status: number,
  code: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body).toMatchObject({
    status,
    code,
    title: PROBLEMS[code as keyof typeof PROBLEMS].title,
  });
  expect(body.type).toBe(`urn:neurotransmitter-cds:problem:${code.toLowerCase()}`);
  expect(body).not.toHaveProperty('stack');
  for (const leak of ['/work/', 'node_modules', '.ts:', '.js:', 'Error:', ROOT])
    expect(res.text).not.toContain(leak);
  // No stack frame: "    at fn (file:1:2)" or "at file:1:2".
  expect(res.text).not.toMatch(/(^|\\n|\n)\s*at \S|\(\S+:\d+:\d+\)|\bat \S+:\d+:\d+/);
  return body;
}

const pointers = (body: Record<string, unknown>): string[] =>
  ((body.errors ?? []) as { pointer: string }[]).map((e) => e.pointer);

describe('400 errors', () => {
  it('when ?trace has an unknown value, then 400 INVALID-QUERY', async () => {
    const res = await request(app).post('/v1/evaluations?trace=bogus').send(makeRequest());
    expectProblem(res, 400, 'INVALID-QUERY');
  });

  it('when an unknown query parameter is sent, then 400 INVALID-QUERY', async () => {
    const res = await request(app).post('/v1/evaluations?debug=1').send(makeRequest());
    expectProblem(res, 400, 'INVALID-QUERY');
  });

  it('when the body is not valid JSON, then 400 BAD-JSON', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'application/json')
      .send('{"patient": {"age": 40,');
    expectProblem(res, 400, 'BAD-JSON');
  });

  it('when the body is a bare JSON string rather than an object, then 400 BAD-JSON', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'application/json')
      .send('"hello"');
    expectProblem(res, 400, 'BAD-JSON');
  });

  it('when patient.age is missing, then 400 INVALID-REQUEST points at /patient/age', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .send(makeRequest({ patient: { sex: 'female' } }));
    const body = expectProblem(res, 400, 'INVALID-REQUEST');
    expect(pointers(body)).toEqual(['/patient/age']);
  });

  it.each([
    ['a top-level field', { colour: 'blue' }, '/colour'],
    ['a field inside patient', { patient: { age: 40, height: 170 } }, '/patient/height'],
    [
      'a field inside a biomarker',
      { biomarkers: [{ analyte: 'serotonin', value: 1, unit: 'ug/g', flag: 'H' }] },
      '/biomarkers/0/flag',
    ],
  ])('when %s is unknown, then 400 INVALID-REQUEST points at it', async (_what, extra, pointer) => {
    const res = await request(app).post('/v1/evaluations').send(makeRequest(extra));
    const body = expectProblem(res, 400, 'INVALID-REQUEST');
    expect(pointers(body)).toEqual([pointer]);
  });

  it.each([
    ['symptom', { symptoms: [{ id: 'brain-fog-xyz', severity: 2 }] }, '/symptoms/0/id'],
    [
      'analyte',
      { biomarkers: [{ analyte: 'unobtainium', value: 1, unit: 'ug/g' }] },
      '/biomarkers/0/analyte',
    ],
    [
      'questionnaire',
      { questionnaires: [{ instrument: 'phq-10', total: 3 }] },
      '/questionnaires/0/instrument',
    ],
    ['requested agent', { requested: ['unicorn-dust'] }, '/requested/0'],
  ])(
    'when an unknown %s id is sent, then 400 INVALID-REQUEST points at it',
    async (_what, extra, pointer) => {
      const res = await request(app).post('/v1/evaluations').send(makeRequest(extra));
      const body = expectProblem(res, 400, 'INVALID-REQUEST');
      expect(pointers(body)[0]).toBe(pointer);
    },
  );

  it('when the JSON nests 40 levels deep, then 400 NESTING-TOO-DEEP before it is parsed', async () => {
    const deep = `{"patient":{"age":40},"x":${'['.repeat(40)}${']'.repeat(40)}}`;
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'application/json')
      .send(deep);
    expectProblem(res, 400, 'NESTING-TOO-DEEP');
  });
});

describe('404, 405, 413, 415, 422 and 503', () => {
  it('when a route does not exist, then 404 NOT-FOUND', async () => {
    expectProblem(await request(app).get('/v1/nothing-here'), 404, 'NOT-FOUND');
    expectProblem(await request(app).get('/'), 404, 'NOT-FOUND');
  });

  it('when GET /v1/evaluations is called, then 405 METHOD-NOT-ALLOWED', async () => {
    expectProblem(await request(app).get('/v1/evaluations'), 405, 'METHOD-NOT-ALLOWED');
  });

  it('when an unknown rule id is asked for, then 404 RULE-NOT-FOUND', async () => {
    expectProblem(await request(app).get('/v1/rules/safety.no-such-rule'), 404, 'RULE-NOT-FOUND');
  });

  it('when the body is over 256 KB, then 413 BODY-TOO-LARGE', async () => {
    const big = makeRequest({ padding: 'x'.repeat(256 * 1024) });
    const res = await request(app).post('/v1/evaluations').send(big);
    expectProblem(res, 413, 'BODY-TOO-LARGE');
  });

  it('when the body is text/plain, then 415 UNSUPPORTED-MEDIA-TYPE', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'text/plain')
      .send(JSON.stringify(makeRequest()));
    expectProblem(res, 415, 'UNSUPPORTED-MEDIA-TYPE');
  });

  it('when the body has no content-type at all, then 415 UNSUPPORTED-MEDIA-TYPE', async () => {
    // supertest always adds a content-type to a body, so speak raw HTTP to a listening server.
    const server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const payload = JSON.stringify(makeRequest());
      const res = await new Promise<{
        status: number;
        headers: http.IncomingHttpHeaders;
        text: string;
      }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/v1/evaluations',
            headers: { 'content-length': Buffer.byteLength(payload) },
          },
          (r) => {
            let text = '';
            r.setEncoding('utf8');
            r.on('data', (c: string) => {
              text += c;
            });
            r.on('end', () => {
              resolve({ status: r.statusCode ?? 0, headers: r.headers, text });
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
      expectProblem(res, 415, 'UNSUPPORTED-MEDIA-TYPE');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when PHQ-9 items and total disagree, then 422 INCONSISTENT-REQUEST points at the total', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .send(makeRequest({ questionnaires: [{ ...phq9([1, 2, 1, 1, 1, 1, 1, 0, 0]), total: 12 }] }));
    const body = expectProblem(res, 422, 'INCONSISTENT-REQUEST');
    expect(pointers(body)).toEqual(['/questionnaires/0/total']);
  });

  it('when no ruleset is loaded yet, then evaluations answer 503 NOT-READY', async () => {
    const res = await request(makeApp({ ruleset: null }).app)
      .post('/v1/evaluations')
      .send(makeRequest());
    expectProblem(res, 503, 'NOT-READY');
  });

  it('when an error is answered, then it carries the request path and a request id, never a body', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .send(makeRequest({ patient: { sex: 'female', secretName: 'Jane Doe' } }));
    const body = expectProblem(res, 400, 'INVALID-REQUEST');
    expect(body.instance).toBe('/v1/evaluations');
    expect(typeof body.requestId).toBe('string');
    expect(res.text).not.toContain('Jane Doe');
  });
});

describe("README's error table", () => {
  it('when the README is read, then its error table lists exactly the codes of src/http/problems.ts with their statuses', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split(/^### Errors$/m)[1]?.split(/^#{2,3} /m)[0] ?? '';
    const rows = [...section.matchAll(/^\| `([A-Z0-9-]+)` \| (\d{3}) \| (.+?) \|$/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(rows.length).toBeGreaterThan(0);
    const registry = Object.entries(PROBLEMS).map(([code, def]) => [code, def.status]);
    expect([...rows].sort()).toEqual([...registry].sort());
  });
});

describe('duplicate keys', () => {
  it('when the body repeats a key (patient.age), then it is refused with 400 DUPLICATE-KEY before any evaluation', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'application/json')
      .send(
        '{"patient":{"age":40,"sex":"male","age":12},"medications":{"attested":true,"items":[]}}',
      );
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('DUPLICATE-KEY');
  });
});
