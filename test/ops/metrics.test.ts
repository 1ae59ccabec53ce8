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
  it('when scraped, then it answers Prometheus text with process metrics and ntcds_ruleset_info for the loaded ruleset', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(res.text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(sample(res.text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    const { manifest, hash } = shippedRuleset();
    expect(
      sample(res.text, 'ntcds_ruleset_info', { id: manifest.id, version: manifest.version, hash }),
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
    expect(sample(text, 'ntcds_evaluation_duration_seconds_count')).toBe(3);
    const hits = new Map<string, number>();
    const flags = new Map<string, number>();
    for (const a of answers) {
      for (const h of a.hits) hits.set(h.ruleId, (hits.get(h.ruleId) ?? 0) + 1);
      for (const f of a.redFlags) flags.set(f.code, (flags.get(f.code) ?? 0) + 1);
    }
    expect(hits.get('red-flag.suicidal-ideation.high')).toBe(2);
    for (const [ruleId, n] of hits)
      expect(sample(text, 'ntcds_rule_hits_total', { rule_id: ruleId })).toBe(n);
    expect(flags.get('RF-SI-HIGH')).toBe(2);
    for (const [code, n] of flags) expect(sample(text, 'ntcds_red_flags_total', { code })).toBe(n);
  });

  it('when requests succeed, fail or match no route, then ntcds_http_request_duration_seconds counts them by route template and status', async () => {
    const { app } = makeApp();
    await request(app).post('/v1/evaluations').send(makeRequest());
    await request(app).post('/v1/evaluations').send({ patient: 'nope' });
    await request(app).post('/v1/evaluations').set('content-type', 'text/plain').send('hi');
    await request(app).get('/v1/rules/no.such.rule');
    await request(app).get('/no/such/path/patient-42');
    const text = (await request(app).get('/metrics')).text;
    const count = (route: string, status: string, method: string): number | undefined =>
      sample(text, 'ntcds_http_request_duration_seconds_count', {
        method,
        route,
        status_code: status,
      });
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
      sample(text, 'ntcds_http_request_duration_seconds_count', {
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
    expect(sample(textB, 'ntcds_evaluation_duration_seconds_count')).toBe(0);
    const textA = (await request(a.app).get('/metrics')).text;
    expect(sample(textA, 'ntcds_evaluation_duration_seconds_count')).toBe(1);
  });

  it('when no ruleset is loaded yet, then /metrics still answers, without ntcds_ruleset_info samples', async () => {
    const { app } = makeApp({ ruleset: null });
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(sample(res.text, 'ntcds_ruleset_info', {})).toBeUndefined();
    expect(res.text).not.toMatch(/^ntcds_ruleset_info\{/m);
  });

  it('when scraped, then every metric the service defines carries the ntcds_ prefix (only prom-client defaults, process_ and nodejs_, do not)', async () => {
    const { app } = makeApp();
    await request(app).post('/v1/evaluations').send(emergency);
    const text = (await request(app).get('/metrics')).text;
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    const own = names.filter((n) => !n.startsWith('process_') && !n.startsWith('nodejs_'));
    expect(own.sort()).toEqual([
      'ntcds_cds_feedback_total',
      'ntcds_evaluation_duration_seconds',
      'ntcds_http_request_duration_seconds',
      'ntcds_red_flags_total',
      'ntcds_rule_hits_total',
      'ntcds_ruleset_info',
    ]);
  });

  it('when evaluations run, then the duration histogram resolves them below a millisecond: buckets from 25 µs, and not all in the first', async () => {
    const { app } = makeApp();
    const n = 20;
    for (let i = 0; i < n; i += 1)
      expect((await request(app).post('/v1/evaluations').send(emergency)).status).toBe(200);
    const text = (await request(app).get('/metrics')).text;
    const bucket = (le: string): number | undefined =>
      sample(text, 'ntcds_evaluation_duration_seconds_bucket', { le });
    const bounds = [...text.matchAll(/^ntcds_evaluation_duration_seconds_bucket\{le="([^"]+)"\}/gm)]
      .map((m) => m[1]!)
      .filter((le) => le !== '+Inf')
      .map(Number);
    expect(bounds[0]).toBe(0.000025);
    expect(bounds.at(-1)).toBe(1);
    expect(bounds.filter((b) => b < 0.001).length).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'ntcds_evaluation_duration_seconds_count')).toBe(n);
    // The first bucket holds fewer than all of them: the distribution shows.
    expect(bucket(String(bounds[0]))).toBeLessThan(n);
  });
});
