import request from 'supertest';
import { makeApp, shippedRuleset } from '../support/app';
import { makeRequest, phq9 } from '../support/factories';

/** The value of one sample line in Prometheus text format, or undefined when absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) got[l[1]!] = l[2]!;
    if (
      Object.entries(labels).every(([k, v]) => got[k] === v) &&
      Object.keys(got).length === Object.keys(labels).length
    )
      return Number(m[4]);
  }
  return undefined;
}

const emergency = makeRequest({
  patient: { age: 52, sex: 'male' },
  questionnaires: [phq9([2, 2, 2, 2, 2, 2, 2, 1, 3])],
});

describe('GET /metrics (prom-client, one registry per app)', () => {
  it('when scraped, then it answers Prometheus text with process metrics and ruleset_info for the loaded ruleset', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(res.text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sample(res.text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    const { manifest, hash } = shippedRuleset();
    expect(
      sample(res.text, 'ruleset_info', { id: manifest.id, version: manifest.version, hash }),
    ).toBe(1);
  });

  it('when evaluations run, then duration, rule hits and red flags are counted from the answers', async () => {
    const { app } = makeApp();
    const answers = [];
    for (const body of [emergency, emergency, makeRequest()]) {
      const res = await request(app).post('/v1/evaluations').send(body);
      expect(res.status).toBe(200);
      answers.push(res.body as { hits: { ruleId: string }[]; redFlags: { code: string }[] });
    }
    const text = (await request(app).get('/metrics')).text;
    expect(sample(text, 'evaluation_duration_seconds_count')).toBe(3);
    const hits = new Map<string, number>();
    const flags = new Map<string, number>();
    for (const a of answers) {
      for (const h of a.hits) hits.set(h.ruleId, (hits.get(h.ruleId) ?? 0) + 1);
      for (const f of a.redFlags) flags.set(f.code, (flags.get(f.code) ?? 0) + 1);
    }
    expect(hits.get('red-flag.suicidal-ideation.high')).toBe(2);
    for (const [ruleId, n] of hits)
      expect(sample(text, 'rule_hits_total', { rule_id: ruleId })).toBe(n);
    expect(flags.get('RF-SI-HIGH')).toBe(2);
    for (const [code, n] of flags) expect(sample(text, 'red_flags_total', { code })).toBe(n);
  });

  it('when requests succeed, fail or match no route, then http_request_duration_seconds counts them by route template and status', async () => {
    const { app } = makeApp();
    await request(app).post('/v1/evaluations').send(makeRequest());
    await request(app).post('/v1/evaluations').send({ patient: 'nope' });
    await request(app).post('/v1/evaluations').set('content-type', 'text/plain').send('hi');
    await request(app).get('/v1/rules/no.such.rule');
    await request(app).get('/no/such/path/patient-42');
    const text = (await request(app).get('/metrics')).text;
    const count = (route: string, status: string, method: string): number | undefined =>
      sample(text, 'http_request_duration_seconds_count', { method, route, status_code: status });
    expect(count('/v1/evaluations', '200', 'POST')).toBe(1);
    expect(count('/v1/evaluations', '400', 'POST')).toBe(1);
    expect(count('/v1/evaluations', '415', 'POST')).toBe(1);
    expect(count('/v1/rules/:id', '404', 'GET')).toBe(1);
    expect(count('unmatched', '404', 'GET')).toBe(1);
    expect(text).not.toContain('no.such.rule');
    expect(text).not.toContain('patient-42');
  });

  it('when a handler fails with 500, then the failure is counted under its route template', async () => {
    const { app, store } = makeApp();
    store.get = () => {
      throw new Error('boom');
    };
    expect((await request(app).get('/v1/ruleset')).status).toBe(500);
    store.get = () => undefined;
    const text = (await request(app).get('/metrics')).text;
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/v1/ruleset',
        status_code: '500',
      }),
    ).toBe(1);
  });

  it('when two apps run in one process, then their counters are separate', async () => {
    const a = makeApp();
    const b = makeApp();
    await request(a.app).post('/v1/evaluations').send(makeRequest());
    const textB = (await request(b.app).get('/metrics')).text;
    expect(sample(textB, 'evaluation_duration_seconds_count')).toBe(0);
    const textA = (await request(a.app).get('/metrics')).text;
    expect(sample(textA, 'evaluation_duration_seconds_count')).toBe(1);
  });

  it('when no ruleset is loaded yet, then /metrics still answers, without ruleset_info samples', async () => {
    const { app } = makeApp({ ruleset: null });
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(sample(res.text, 'ruleset_info', {})).toBeUndefined();
    expect(res.text).not.toMatch(/^ruleset_info\{/m);
  });
});
