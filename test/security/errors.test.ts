import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { PROBLEMS } from '../../src/http/problems';
import { makeApp, ROOT } from '../support/app';

describe('problem registry and what errors reveal', () => {
  it("README's error table lists exactly the registered codes, with their status and title", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('### Errors')[1]?.split('\n## ')[0] ?? '';
    const rows = [...section.matchAll(/^\| `([A-Z-]+)` \| (\d{3}) \| (.+?) \|$/gm)].map((m) => [
      m[1],
      Number(m[2]),
      m[3],
    ]);
    const registered = Object.entries(PROBLEMS).map(([code, d]) => [code, d.status, d.title]);
    expect(rows.sort()).toEqual(registered.sort());
  });

  it('when a handler throws an unexpected error, then the answer is 500 INTERNAL with no message, stack or path, and the log keeps only its name', async () => {
    const { app, store, logs } = makeApp();
    store.get = () => {
      throw new TypeError(`boom in ${path.join(ROOT, 'src/http/secret.ts')}:12:7`);
    };
    const res = await request(app).get('/v1/ruleset');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual({
      type: 'urn:neurotransmitter-cds:problem:internal',
      title: 'Internal error',
      status: 500,
      code: 'INTERNAL',
      instance: '/v1/ruleset',
      requestId: expect.any(String),
    });
    expect(res.text).not.toMatch(/boom|secret\.ts|\/work|node_modules|at /);
    const errorLine = logs
      .map((l) => JSON.parse(l) as { level: string })
      .find((l) => l.level === 'error');
    expect(errorLine).toMatchObject({ message: 'unhandled error', errorName: 'TypeError' });
    expect(logs.join('\n')).not.toContain('boom');
  });

  it.each([
    ['truncated JSON', '{"patient": {"age": 4'],
    ['a bare word', 'undefined'],
    ['a JSON scalar', '"just a string"'],
    ['trailing garbage', '{} {}'],
  ])(
    "when the body is %s, then the problem says so in its own words, not the parser's",
    async (_n, text) => {
      const { app } = makeApp();
      const res = await request(app)
        .post('/v1/evaluations')
        .set('content-type', 'application/json')
        .send(text);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('BAD-JSON');
      expect(res.text).not.toMatch(/Unexpected|position|SyntaxError|JSON\.parse|node_modules/);
    },
  );
});
