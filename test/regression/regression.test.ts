import path from 'node:path';
import request from 'supertest';
import { compareOutcome, loadCases, requestOf } from '../../src/regression/case';
import { formatIssue } from '../../src/lib/issue';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { makeApp, shippedRuleset } from '../support/app';

const { cases, issues } = loadCases(path.join(__dirname, 'cases'));
const { app } = makeApp();

describe('regression cases (test/regression/cases/*.yaml) through the real HTTP stack', () => {
  it('every case file is valid', () => {
    expect(issues.map(formatIssue)).toEqual([]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await request(app).post('/v1/evaluations').send(requestOf(c));
    expect(res.status).toBe(200);
    expect(compareOutcome(c, res.body as EvaluationResponse)).toEqual([]);
  });

  it('every active rule fires in at least one case (rule coverage gate)', async () => {
    const fired = new Set<string>();
    for (const c of cases) {
      const res = await request(app).post('/v1/evaluations').send(requestOf(c));
      for (const hit of (res.body as EvaluationResponse).hits) fired.add(hit.ruleId);
    }
    const active = shippedRuleset()
      .rules.filter((r) => r.status === 'active')
      .map((r) => r.id);
    expect(active.filter((id) => !fired.has(id))).toEqual([]);
  });
});
