import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import fc from 'fast-check';
import { buildFacts } from '../../src/facts/build';
import { evaluateSync } from '../../src/engine/evaluate';
import { evaluateReference } from '../support/reference';
import { formatIssue } from '../../src/lib/issue';
import { loadRuleset } from '../../src/engine/ruleset';
import type { Ruleset } from '../../src/engine/ruleset';
import type { TraceNode } from '../../src/engine/response-types';
import { generatePatients } from '../../src/synth/patients';
import { writeSyntheticRuleset } from '../../src/synth/rules';
import { RULES_DIR, shippedRuleset } from '../support/app';

const SOURCE_DIR = process.env.DIFF_RULES_DIR ?? RULES_DIR;

function load(dir: string): Ruleset {
  const result = loadRuleset(dir);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.ruleset;
}

const firedIds = new Map<Ruleset, Set<string>>();

/**
 * For one generated patient, the optimised evaluation and plain json-rules-engine give the same
 * response: red flags, findings, option statuses and reasons, data issues, and every rule's
 * outcome with its condition trace — hits, and with trace=full every rule that did not fire too.
 * One reference run serves both trace modes: the default response is the full one without
 * `notFired`.
 */
async function sameAnswer(ruleset: Ruleset, seed: number): Promise<void> {
  const [request] = generatePatients(ruleset.catalog, { seed, count: 1 });
  if (!request) throw new Error('no patient');
  const model = buildFacts(ruleset.catalog, request);
  const hits = { evaluationId: 'differential', asOf: '2026-02-01T09:00:00Z', traceFull: false };
  const full = { ...hits, traceFull: true };
  const reference = await evaluateReference(ruleset, model, full);
  const fired = firedIds.get(ruleset) ?? new Set<string>();
  for (const hit of reference.hits) fired.add(hit.ruleId);
  firedIds.set(ruleset, fired);
  const { notFired: _notFired, ...referenceHits } = reference;
  for (const [optimised, expected] of [
    [evaluateSync(ruleset, model, full), reference],
    [evaluateSync(ruleset, model, hits), referenceHits],
  ] as const) {
    // A plain structural comparison is fast; a difference is then shown field by field.
    if (!sameJson(optimised, expected)) expect(optimised).toEqual(expected);
  }
}

/** Deep equality of JSON-shaped values (key order ignored, undefined members ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!sameJson(ao[k], bo[k])) return false;
  return true;
}

describe('the activation network against plain json-rules-engine', () => {
  const shipped = SOURCE_DIR === RULES_DIR ? shippedRuleset() : load(SOURCE_DIR);
  let synthetic: Ruleset;
  let tmp: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-synth-'));
    synthetic = load(
      writeSyntheticRuleset(shipped.catalog, SOURCE_DIR, path.join(tmp, 'rules'), {
        seed: 7,
        count: 150,
      }),
    );
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('when one trace leaf differs, then the comparison used below notices', async () => {
    const [request] = generatePatients(shipped.catalog, { seed: 3, count: 1 });
    if (!request) throw new Error('no patient');
    const model = buildFacts(shipped.catalog, request);
    const options = { evaluationId: 'x', asOf: '2026-02-01T09:00:00Z', traceFull: true };
    const reference = await evaluateReference(shipped, model, options);
    const changed = JSON.parse(JSON.stringify(reference)) as typeof reference;
    const leaf = (n: TraceNode): { result: string } =>
      'all' in n
        ? leaf(n.all[0] ?? n)
        : 'any' in n
          ? leaf(n.any[0] ?? n)
          : 'not' in n
            ? leaf(n.not)
            : n;
    const first = changed.notFired?.[0];
    if (!first) throw new Error('no rule left unfired');
    const target = leaf(first.conditions);
    target.result = target.result === 'true' ? 'false' : 'true';
    expect(sameJson(evaluateSync(shipped, model, options), reference)).toBe(true);
    expect(sameJson(changed, reference)).toBe(false);
  });

  it('when 1,200 generated patients meet the shipped ruleset, then the responses are identical, traces included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) =>
        sameAnswer(shipped, seed),
      ),
      { numRuns: 1200, seed: 20260201 },
    );
    // Not vacuous: the patients make a large share of the shipped rules fire.
    const active = shipped.rules.filter((r) => r.status === 'active').length;
    expect(firedIds.get(shipped)?.size ?? 0).toBeGreaterThan(active * 0.5);
  });

  it('when 400 generated patients meet a 150-rule synthetic ruleset, then the responses are identical, traces included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) =>
        sameAnswer(synthetic, seed),
      ),
      { numRuns: 400, seed: 20260202 },
    );
    expect(firedIds.get(synthetic)?.size ?? 0).toBeGreaterThan(150 * 0.2);
  });
});
