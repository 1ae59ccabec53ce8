/**
 * Every outcome comes from a versioned rule or catalog policy: over 20,000 seeded generated
 * patients answered by the one use case (and a sample of them through the real HTTP stack), every
 * red flag, finding, reason and data issue names a rule (id + version) or policy (id + version)
 * that exists in the served ruleset at that version and whose own outcome is that code.
 */
import request from 'supertest';
import { answer, serveRuleset } from '../../src/engine/answer';
import type { EvaluationResponse, ReasonOut } from '../../src/engine/response-types';
import type { Ruleset } from '../../src/engine/ruleset';
import type { RuleDef } from '../../src/rules/rule-types';
import { producedKey } from '../../src/regression/outcome-diff';
import { generatePatients } from '../../src/synth/patients';
import { makeApp, shippedRuleset } from '../support/app';

const ruleset: Ruleset = shippedRuleset();
const served = serveRuleset(ruleset);
const now = (): Date => new Date('2026-01-15T09:00:00Z');
const SEED = 20261203;

function ruleAt(id: unknown, version: unknown): RuleDef | undefined {
  if (typeof id !== 'string') return undefined;
  const rule = ruleset.rulesById.get(id);
  return rule?.status === 'active' && rule.version === version ? rule : undefined;
}

function policyAt(id: unknown, version: unknown): string | undefined {
  const policy = ruleset.catalog.policies.all.find((p) => p.id === id && p.version === version);
  if (!policy) return undefined;
  // A policy's own reason (no indication, a hold for missing data) carries the policy's code.
  if ('noIndication' in policy) return policy.noIndication.code;
  if ('holdWithoutData' in policy) return policy.holdWithoutData.code;
  return policy.id;
}

/** Every item of an answer that lacks provenance, as "where: why" lines (empty when all is well). */
function unproven(res: EvaluationResponse): string[] {
  const bad: string[] = [];
  const byRule = (where: string, code: string, id: unknown, version: unknown): void => {
    const rule = ruleAt(id, version);
    if (!rule) bad.push(`${where} ${code}: no active rule ${String(id)} v${String(version)}`);
    else if (producedKey(rule) !== code)
      bad.push(`${where} ${code}: ${rule.id} produces ${producedKey(rule)}`);
  };
  for (const f of res.redFlags) byRule('redFlag', f.code, f.ruleId, f.ruleVersion);
  for (const f of res.findings) byRule('finding', f.id, f.ruleId, f.ruleVersion);
  for (const d of res.dataIssues) byRule('dataIssue', d.code, d.ruleId, d.ruleVersion);
  for (const i of res.interventions)
    for (const r of i.reasons as ReasonOut[]) {
      const where = `${i.id} reason`;
      const hasPolicy = r.policyId !== undefined || r.policyVersion !== undefined;
      if (hasPolicy) {
        const policy = policyAt(r.policyId, r.policyVersion);
        if (policy === undefined)
          bad.push(
            `${where} ${r.code}: no policy ${String(r.policyId)} v${String(r.policyVersion)}`,
          );
        // A policy's own reason (no indication) names no rule; a hold names the rule it acts on.
        if (r.ruleId === undefined && policy !== r.code) bad.push(`${where} ${r.code}: no rule`);
      }
      if (r.ruleId !== undefined || !hasPolicy) byRule(where, r.code, r.ruleId, r.ruleVersion);
    }
  return bad;
}

describe('provenance of every answer item', () => {
  it('when 20,000 generated patients are answered, then every red flag, finding, reason and data issue names its rule or policy at its served version', () => {
    const patients = generatePatients(ruleset.catalog, { seed: SEED, count: 20_000 });
    let items = 0;
    let byPolicy = 0;
    const failures: string[] = [];
    patients.forEach((body, n) => {
      const answered = answer(served, body, { traceFull: false, now });
      if (!answered.ok) {
        failures.push(`patient ${n}: rejected ${answered.rejection.code}`);
        return;
      }
      const res = answered.response;
      items += res.redFlags.length + res.findings.length + res.dataIssues.length;
      for (const i of res.interventions) {
        items += i.reasons.length;
        byPolicy += i.reasons.filter((r) => r.policyId !== undefined).length;
      }
      for (const line of unproven(res))
        if (failures.length < 20) failures.push(`patient ${n}: ${line}`);
    });
    expect(failures).toEqual([]);
    // The walk saw real answers, including policy-made reasons (holds, no indication).
    expect(items).toBeGreaterThan(100_000);
    expect(byPolicy).toBeGreaterThan(1_000);
  });

  it('when generated patients go through POST /v1/evaluations, then the HTTP answers carry the same provenance', async () => {
    const { app } = makeApp();
    const patients = generatePatients(ruleset.catalog, { seed: SEED + 1, count: 300 });
    const failures: string[] = [];
    for (const [n, body] of patients.entries()) {
      const res = await request(app).post('/v1/evaluations').send(body);
      expect(res.status).toBe(200);
      for (const line of unproven(res.body as EvaluationResponse))
        failures.push(`patient ${n}: ${line}`);
    }
    expect(failures).toEqual([]);
  });

  it('when the unproven() check meets an item with no rule or a wrong version, then it reports it (the guard can fail)', () => {
    const [body] = generatePatients(ruleset.catalog, { seed: SEED, count: 1 });
    const answered = answer(
      served,
      { ...body, requested: ['l-theanine'] },
      { traceFull: false, now },
    );
    if (!answered.ok) throw new Error('rejected');
    const res = answered.response;
    const [first] = res.interventions;
    expect(first).toBeDefined();
    const tampered: EvaluationResponse = {
      ...res,
      interventions: res.interventions.map((i, k) =>
        k === 0
          ? { ...i, reasons: [{ code: 'CAU-NO-INDICATION', kind: 'caution', message: 'made up' }] }
          : i,
      ),
      redFlags: [
        {
          code: 'RF-SI',
          urgency: 'same-day',
          message: 'x',
          action: 'x',
          ruleId: 'red-flag.suicidal-ideation',
          ruleVersion: 99,
        },
      ],
    };
    const lines = unproven(tampered);
    expect(lines.some((l) => l.startsWith('redFlag RF-SI'))).toBe(true);
    expect(lines.some((l) => l.includes('reason CAU-NO-INDICATION'))).toBe(true);
  });
});
