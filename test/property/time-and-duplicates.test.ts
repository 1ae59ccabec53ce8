/**
 * Properties of time and duplicates (issue 11 classes 1-2) over generated requests, through the
 * one evaluation use case (`answer`: request schema, consistency checks, fact layer, engine) on
 * the shipped rule files. Seeded; the generator is local and biased towards duplicate sets,
 * ties, undated and stale results, and values on either side of the red-flag thresholds.
 */
import fc from 'fast-check';
import { answer, serveRuleset } from '../../src/engine/answer';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { shippedRuleset } from '../support/app';

const SEED = 20261204;
const RUNS = 300;
const ASOF = '2026-01-15T09:00:00Z';
const served = serveRuleset(shippedRuleset());
const options = { traceFull: false, now: () => new Date(ASOF), evaluationId: 'fixed' };

/** A few collection times (ties on purpose), from same-day to past every window, or undated. */
const WHEN = [
  undefined,
  '2026-01-15T09:00:00Z',
  '2026-01-14T08:00:00Z',
  '2026-01-14T08:00:00Z',
  '2025-12-16T09:00:00Z',
  '2025-10-17T09:00:00Z',
  '2025-10-17T08:59:59Z',
  '2024-06-01T00:00:00Z',
];

/** Analytes the red flags read, with a printed range in a unit the catalog knows. */
const ANALYTES: Record<string, { unit: string; low: number; high: number }> = {
  norepinephrine: { unit: 'ug/g', low: 0, high: 45 },
  metanephrine: { unit: 'ug/g', low: 0, high: 100 },
  '5-hiaa': { unit: 'ug/g', low: 1000, high: 8000 },
  tsh: { unit: 'mIU/L', low: 0.4, high: 4 },
  alt: { unit: 'U/L', low: 7, high: 56 },
  ferritin: { unit: 'ng/mL', low: 15, high: 150 },
  egfr: { unit: 'mL/min/1.73m2', low: 60, high: 120 },
};

const result = (analyte: string): fc.Arbitrary<Record<string, unknown>> => {
  const def = ANALYTES[analyte];
  if (!def) throw new Error(analyte);
  return fc
    .record({
      // From well below the low limit to 4× the upper limit, in steps that land on the limits.
      value: fc.integer({ min: 0, max: 16 }).map((k) => (def.high * k) / 4),
      when: fc.constantFrom(...WHEN),
      // One in ten without a unit: uninterpretable duplicates too (never above a threshold).
      unitless: fc.integer({ min: 0, max: 9 }).map((k) => k === 0),
    })
    .map(({ value, when, unitless }) => ({
      analyte,
      value,
      ...(unitless ? {} : { unit: def.unit }),
      referenceRange: { low: def.low, high: def.high },
      ...(when === undefined ? {} : { collectedAt: when }),
    }));
};

const biomarkers = fc
  .array(fc.constantFrom(...Object.keys(ANALYTES)), { minLength: 1, maxLength: 4 })
  .chain((ids) =>
    fc.tuple(...ids.map((id) => fc.array(result(id), { minLength: 1, maxLength: 3 }))),
  )
  .map((sets) => sets.flat());

const patientRequest = fc.record({
  biomarkers,
  supplements: fc.subarray(['ashwagandha', 'magnesium']),
  symptoms: fc.subarray(['flushing', 'palpitations', 'low-mood']),
  requested: fc.subarray(['magnesium', 'iron', 'saffron']),
});

function bodyOf(r: {
  biomarkers: Record<string, unknown>[];
  supplements: string[];
  symptoms: string[];
  requested: string[];
}): Record<string, unknown> {
  return {
    asOf: ASOF,
    patient: { age: 40, sex: 'female', pregnancy: 'not-pregnant', lactating: false },
    medications: { attested: true, items: [] },
    biomarkers: r.biomarkers,
    supplements: r.supplements.map((id) => ({ id })),
    symptoms: r.symptoms.map((id) => ({ id, severity: 2 })),
    requested: r.requested,
  };
}

function run(body: Record<string, unknown>): EvaluationResponse {
  const a = answer(served, body, options);
  if (!a.ok) throw new Error(`refused: ${JSON.stringify(a.rejection)}`);
  return a.response;
}

/** The answer without what may differ by list position: pointers and the details that name them. */
function positionFree(a: EvaluationResponse): unknown {
  return {
    redFlags: a.redFlags.map((f) => `${f.code} ${f.ruleId}`).sort(),
    findings: a.findings.map((f) => `${f.id} ${f.band ?? ''}`).sort(),
    interventions: a.interventions.map((i) => ({
      id: i.id,
      status: i.status,
      reasons: i.reasons.map((r) => `${r.code} ${r.ruleId ?? ''} ${r.policyId ?? ''}`).sort(),
    })),
    dataIssues: a.dataIssues.map((d) => `${d.code} ${d.ruleId ?? ''}`).sort(),
    hits: a.hits.map((h) => h.ruleId).sort(),
  };
}

describe('time and duplicates over generated requests (fast-check, seeded)', () => {
  it('when the biomarker entries are permuted, then the answer is the same apart from pointers', () => {
    fc.assert(
      fc.property(
        patientRequest.chain((r) =>
          fc
            .shuffledSubarray(r.biomarkers, {
              minLength: r.biomarkers.length,
              maxLength: r.biomarkers.length,
            })
            .map((shuffled) => [r, { ...r, biomarkers: shuffled }] as const),
        ),
        ([original, permuted]) => {
          expect(positionFree(run(bodyOf(permuted)))).toEqual(positionFree(run(bodyOf(original))));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('when any norepinephrine or metanephrine in a duplicate set is at 3× its upper limit or more, then RF-PHEO is raised, and only then', () => {
    const catecholamines = fc
      .tuple(
        fc.array(result('norepinephrine'), { minLength: 1, maxLength: 4 }),
        fc.array(result('metanephrine'), { minLength: 0, maxLength: 3 }),
      )
      .chain(([a, b]) => fc.shuffledSubarray([...a, ...b], { minLength: a.length + b.length }));
    fc.assert(
      fc.property(catecholamines, (list) => {
        const crosses = list.some((b) => {
          const def = ANALYTES[String(b.analyte)];
          return def !== undefined && b.unit !== undefined && Number(b.value) / def.high >= 3;
        });
        const a = run(bodyOf({ biomarkers: list, supplements: [], symptoms: [], requested: [] }));
        expect(a.redFlags.some((f) => f.code === 'RF-PHEO')).toBe(crosses);
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('when a duplicate set has a raised 5-HIAA anywhere and flushing is reported, then RF-NET is raised', () => {
    fc.assert(
      fc.property(fc.array(result('5-hiaa'), { minLength: 2, maxLength: 4 }), (list) => {
        const raised = list.some((b) => b.unit !== undefined && Number(b.value) > 8000);
        const a = run(
          bodyOf({ biomarkers: list, supplements: [], symptoms: ['flushing'], requested: [] }),
        );
        expect(a.redFlags.some((f) => f.code === 'RF-NET')).toBe(raised);
      }),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });
});
