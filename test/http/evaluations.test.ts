import fs from 'node:fs';
import path from 'node:path';
import addFormats from 'ajv-formats';
import request from 'supertest';
import type { Hit, TraceNode } from '../../src/engine/response-types';
import { createAjv, readSchema } from '../../src/lib/schemas';
import { makeApp, ROOT, shippedRuleset } from '../support/app';
import { makeRequest, phq9 } from '../support/factories';

const { app } = makeApp();
const README_REQUEST = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8'),
) as Record<string, unknown>;

const ajv = createAjv();
addFormats(ajv);
const validateResponse = ajv.compile(readSchema('evaluation-response.schema.json'));

function expectValidResponse(body: unknown): void {
  const ok = validateResponse(body);
  expect(validateResponse.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
}

function leaves(node: TraceNode): Extract<TraceNode, { fact: string }>[] {
  if ('all' in node) return node.all.flatMap(leaves);
  if ('any' in node) return node.any.flatMap(leaves);
  if ('not' in node) return leaves(node.not);
  return [node];
}

function nodes(node: TraceNode): TraceNode[] {
  if ('all' in node) return [node, ...node.all.flatMap(nodes)];
  if ('any' in node) return [node, ...node.any.flatMap(nodes)];
  if ('not' in node) return [node, ...nodes(node.not)];
  return [node];
}

/** Each evaluated node's result follows from its children (json-rules-engine semantics). */
function expectConsistent(node: TraceNode): void {
  for (const n of nodes(node)) {
    if (n.result === 'not-evaluated') {
      if ('fact' in n) expect(n).not.toHaveProperty('factValue');
      continue;
    }
    if ('fact' in n) {
      expect(n).toHaveProperty('factValue');
      continue;
    }
    const kids = 'all' in n ? n.all : 'any' in n ? n.any : [n.not];
    const evaluated = kids.filter((k) => k.result !== 'not-evaluated').map((k) => k.result);
    if ('all' in n) expect(n.result).toBe(evaluated.every((r) => r === 'true') ? 'true' : 'false');
    if ('any' in n) expect(n.result).toBe(evaluated.some((r) => r === 'true') ? 'true' : 'false');
    if ('not' in n) expect(n.result).toBe(evaluated[0] === 'true' ? 'false' : 'true');
  }
}

describe('POST /v1/evaluations: the README example', () => {
  it('when the README request is posted, then the answer is 200 with findings, statuses and hits, and validates against its schema', async () => {
    const res = await request(app).post('/v1/evaluations').send(README_REQUEST);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectValidResponse(res.body);
    const body = res.body as {
      ruleset: { id: string; version: string; hash: string };
      findings: { id: string; band?: string }[];
      interventions: {
        id: string;
        status: string;
        requested: boolean;
        reasons: { code: string }[];
      }[];
      hits: Hit[];
      notFired?: Hit[];
      disclaimers: unknown[];
      dataIssues: { code: string; pointer: string }[];
    };
    const shipped = shippedRuleset();
    expect(body.ruleset).toEqual({
      id: shipped.manifest.id,
      version: shipped.manifest.version,
      hash: shipped.hash,
    });
    expect(body.findings).toContainEqual(
      expect.objectContaining({ id: 'phq-9-severity', band: 'mild' }),
    );
    const htp = body.interventions.find((i) => i.id === '5-htp');
    expect(htp).toMatchObject({ status: 'blocked', requested: true });
    expect(htp?.reasons.map((r) => r.code)).toContain('BLK-SERO-DRUG');
    // What the README's "Try it" section says the answer shows.
    expect(body.findings).toContainEqual(
      expect.objectContaining({ id: 'iron-deficiency-pattern' }),
    );
    expect(body.findings.map((f) => f.id)).not.toContain('serotonin-low');
    expect(body.dataIssues).toContainEqual(
      expect.objectContaining({ code: 'DATA-CONFOUND-DRUG', pointer: '/biomarkers/0' }),
    );
    expect(body.disclaimers).toContainEqual(
      expect.objectContaining({ id: 'urinary-neurotransmitters' }),
    );
    expect(body.interventions.find((i) => i.id === 'iron')).toMatchObject({ status: 'candidate' });
    const folate = body.interventions.find((i) => i.id === 'l-methylfolate');
    expect(folate).toMatchObject({ status: 'caution' });
    expect(folate?.reasons.map((r) => r.code)).toContain('CAU-FOLATE-B12');
    for (const id of ['l-tryptophan', 'same', 'st-johns-wort'])
      expect(body.interventions.find((i) => i.id === id)).toMatchObject({ status: 'blocked' });
    // Every requested agent is in the answer with a status.
    expect(body.interventions.find((i) => i.id === 'magnesium')).toMatchObject({ requested: true });
    expect(body.hits.length).toBeGreaterThan(0);
    expect(body.hits.map((h) => h.ruleId)).toContain('safety.sero-drug');
    expect(body).not.toHaveProperty('notFired');
  });
});

describe('POST /v1/evaluations: the trace', () => {
  it('when rules fire, then each hit carries id, version, kind, source file:line:column and its evaluated condition tree', async () => {
    const res = await request(app).post('/v1/evaluations').send(README_REQUEST);
    expect(res.status).toBe(200);
    const hits = (res.body as { hits: Hit[] }).hits;
    const rules = shippedRuleset().rulesById;
    for (const hit of hits) {
      const rule = rules.get(hit.ruleId);
      expect(rule).toBeDefined();
      expect(hit).toMatchObject({ version: rule!.version, kind: rule!.kind, fired: true });
      expect(hit.source).toBe(`${rule!.source.file}:${rule!.source.line}:${rule!.source.column}`);
      expect(hit.source).toMatch(
        /^rules\/(data|red-flags|findings|options|safety)\/[a-z0-9-]+\.yaml:\d+:\d+$/,
      );
      // A rule that fired was evaluated to true at its root.
      expect(hit.conditions.result).toBe('true');
      expectConsistent(hit.conditions);
      expect(hit).not.toHaveProperty('failedLeaf');
    }
  });

  it('when the sero-drug block fires, then its leaves show the fact values seen', async () => {
    const res = await request(app).post('/v1/evaluations').send(README_REQUEST);
    const hit = (res.body as { hits: Hit[] }).hits.find((h) => h.ruleId === 'safety.sero-drug');
    expect(hit).toBeDefined();
    const seen = leaves(hit!.conditions).filter((l) => l.result === 'true');
    expect(seen).toContainEqual(
      expect.objectContaining({
        fact: 'medication-class',
        params: { class: 'serotonergic-antidepressant' },
        factValue: 'active',
        result: 'true',
      }),
    );
  });

  it('when the serotonin result is converted, then the trace shows the canonical value the rules saw', async () => {
    const res = await request(app).post('/v1/evaluations?trace=full').send(README_REQUEST);
    const all = [
      ...(res.body as { hits: Hit[] }).hits,
      ...(res.body as { notFired: Hit[] }).notFired,
    ];
    const seen = all
      .flatMap((h) => leaves(h.conditions))
      .filter((l) => l.fact === 'biomarker-status' && l.params?.analyte === 'serotonin');
    expect(seen.length).toBeGreaterThan(0);
    for (const l of seen) expect(l.factValue).toBe('low');
  });

  it('when an any has a true leaf, then no other leaf of it is reported false without a fact value', async () => {
    const res = await request(app)
      .post('/v1/evaluations?trace=full')
      .send(makeRequest({ questionnaires: [phq9([1, 1, 1, 1, 1, 1, 1, 0, 0])] }));
    expect(res.status).toBe(200);
    const all = [
      ...(res.body as { hits: Hit[] }).hits,
      ...(res.body as { notFired: Hit[] }).notFired,
    ];
    for (const hit of all) {
      for (const leaf of leaves(hit.conditions)) {
        // A leaf is either evaluated (true/false with the value seen) or not-evaluated without one.
        expect(['true', 'false', 'not-evaluated']).toContain(leaf.result);
        if (leaf.result === 'false') expect(leaf).toHaveProperty('factValue');
        if (leaf.result === 'not-evaluated') expect(leaf).not.toHaveProperty('factValue');
      }
      expectConsistent(hit.conditions);
    }
  });

  it('when ?trace=full is asked, then every active rule that did not fire is listed with the leaf that failed', async () => {
    const res = await request(app).post('/v1/evaluations?trace=full').send(README_REQUEST);
    expect(res.status).toBe(200);
    expectValidResponse(res.body);
    const { hits, notFired } = res.body as { hits: Hit[]; notFired: Hit[] };
    expect(notFired.length).toBeGreaterThan(0);
    const fired = new Set(hits.map((h) => h.ruleId));
    const active = shippedRuleset()
      .rules.filter((r) => r.status === 'active')
      .map((r) => r.id);
    expect([...fired, ...notFired.map((h) => h.ruleId)].sort()).toEqual([...active].sort());
    for (const miss of notFired) {
      expect(fired.has(miss.ruleId)).toBe(false);
      expect(miss.fired).toBe(false);
      expect(miss.conditions.result).toBe('false');
      expectConsistent(miss.conditions);
      expect(miss.failedLeaf).toBeDefined();
      expect(miss.failedLeaf).toHaveProperty('fact');
      expect(miss.failedLeaf).toHaveProperty('factValue');
      expect(['true', 'false']).toContain(miss.failedLeaf!.result);
    }
    const unflagged = notFired.find((h) => h.ruleId === 'red-flag.suicidal-ideation.any');
    expect(unflagged?.failedLeaf).toMatchObject({
      fact: 'questionnaire-item',
      params: { instrument: 'phq-9', item: 9 },
      factValue: 0,
      result: 'false',
    });
  });

  it('when ?trace=hits is asked, then the answer is the default trace without notFired', async () => {
    const res = await request(app).post('/v1/evaluations?trace=hits').send(README_REQUEST);
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('notFired');
  });
});

describe('read-only routes', () => {
  it('when GET /v1/rules/{id} names a shipped rule, then it returns the rule with its source position', async () => {
    const res = await request(app).get('/v1/rules/red-flag.suicidal-ideation.any');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'red-flag.suicidal-ideation.any',
      kind: 'red-flag',
      status: 'active',
      when: expect.any(Object),
      then: { redFlag: expect.objectContaining({ code: 'RF-SI' }) },
    });
    expect(res.body.source).toMatch(/^rules\/red-flags\/suicidal-ideation\.yaml:\d+:\d+$/);
  });

  it('when GET /v1/ruleset is called, then it gives id, version, hash, load time and every rule', async () => {
    const res = await request(app).get('/v1/ruleset');
    expect(res.status).toBe(200);
    const shipped = shippedRuleset();
    expect(res.body).toMatchObject({
      id: shipped.manifest.id,
      version: shipped.manifest.version,
      hash: shipped.hash,
      loadedAt: shipped.loadedAt,
    });
    expect(res.body.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((res.body.rules as { id: string }[]).map((r) => r.id).sort()).toEqual(
      shipped.rules.map((r) => r.id).sort(),
    );
  });

  it('when GET /v1/catalog is called, then it lists the vocabulary of the loaded catalog', async () => {
    const res = await request(app).get('/v1/catalog');
    expect(res.status).toBe(200);
    const catalog = shippedRuleset().catalog;
    expect((res.body.analytes as { id: string }[]).map((a) => a.id).sort()).toEqual(
      [...catalog.analytes.keys()].sort(),
    );
    expect((res.body.interventions as { id: string }[]).map((a) => a.id)).toContain('5-htp');
    expect((res.body.questionnaires as { id: string }[]).map((a) => a.id)).toContain('phq-9');
    expect((res.body.facts as { id: string }[]).map((a) => a.id).sort()).toEqual(
      [...catalog.facts.keys()].sort(),
    );
  });

  it('when GET /livez is called, then it answers 200', async () => {
    const res = await request(app).get('/livez');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('when GET /readyz is called with a ruleset loaded, then it answers 200 ready with the ruleset', async () => {
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ready',
      ruleset: { id: 'ntcds-core', hash: shippedRuleset().hash },
    });
  });

  it('when GET /readyz is called before any ruleset is loaded, then it answers 503', async () => {
    const res = await request(makeApp({ ruleset: null }).app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'loading' });
  });

  it("when GET /openapi.json is called, then it is OpenAPI 3.1 whose EvaluationRequest carries the catalog's analyte ids", async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1\./);
    const schemas = res.body.components.schemas as Record<
      string,
      { $defs?: Record<string, { enum?: string[] }> }
    >;
    const analyteIds = schemas.EvaluationRequest?.$defs?.analyteId?.enum;
    expect(analyteIds).toEqual([...shippedRuleset().catalog.analytes.keys()].sort());
    expect(Object.keys(res.body.paths as object)).toEqual(
      expect.arrayContaining(['/v1/evaluations', '/v1/ruleset', '/v1/rules/{id}', '/v1/catalog']),
    );
    // Every schema reference is resolved inside the document.
    expect(JSON.stringify(res.body)).not.toMatch(/"\$ref":"\.\//);
  });
});
