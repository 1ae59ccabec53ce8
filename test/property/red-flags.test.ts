/**
 * Property tests for the red-flag, data and finding rules: invariants over generated patients,
 * run in process through the real fact builder, the real engine and the shipped rule files.
 * The generator below is local on purpose (seeded, small, biased towards the triggers these
 * rules read) so that these properties do not move when a shared generator changes.
 */
import fc from 'fast-check';
import { evaluate } from '../../src/engine/evaluate';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { buildFacts, requestProblems } from '../../src/facts/build';
import type { EvaluationRequest, MedicationInput } from '../../src/facts/request-types';
import { shippedRuleset } from '../support/app';

const SEED = 20260115;
const RUNS = 250;
const ruleset = shippedRuleset();
const { catalog } = ruleset;

// --- generator ----------------------------------------------------------------------------------

/** Drug names resolvable through the catalog, serotonergic ones first. */
const SEROTONERGIC_DRUGS = [
  'sertraline',
  'fluoxetine',
  'venlafaxine',
  'clomipramine',
  'trazodone',
  'phenelzine',
  'selegiline',
  'linezolid',
  'sumatriptan',
  'tramadol',
  'methadone',
  'dextromethorphan',
  'lithium',
  'buspirone',
  'ondansetron',
] as const;
const OTHER_DRUGS = ['metformin', 'levothyroxine', 'warfarin', 'amlodipine', 'sinemet', 'zolpidem'];
const SEROTONERGIC_SUPPLEMENTS = ['5-htp', 'l-tryptophan', 'st-johns-wort', 'same'] as const;
const SUPPLEMENTS = [...catalog.interventions.values()]
  .filter((i) => i.type === 'supplement')
  .map((i) => i.id);
const INTERVENTIONS = [...catalog.interventions.keys()];
const SYMPTOMS = [...catalog.symptoms];
const URINARY = [...catalog.analytes.values()]
  .filter((a) => a.urinaryNeurotransmitter === true)
  .map((a) => a.id);
const CATECHOLAMINES = [
  'dopamine',
  'norepinephrine',
  'epinephrine',
  'normetanephrine',
  'metanephrine',
  'vma',
  'hva',
];

const items = (n: number, max: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 0, max }), { minLength: n, maxLength: n });

const medication: fc.Arbitrary<MedicationInput> = fc
  .record(
    {
      name: fc.constantFrom(...SEROTONERGIC_DRUGS, ...OTHER_DRUGS),
      status: fc.constantFrom('active' as const, 'stopped' as const),
      stoppedDaysAgo: fc.integer({ min: 0, max: 60 }),
    },
    { requiredKeys: ['name', 'status'] },
  )
  .map((m) => (m.status === 'active' ? { name: m.name, status: m.status } : m));

/** A urinary result in µg/g with a printed range; values land below, inside, on and above it. */
const urinaryResult = fc
  .record({
    analyte: fc.constantFrom(...URINARY),
    low: fc.integer({ min: 0, max: 200 }),
    width: fc.integer({ min: 1, max: 400 }),
    position: fc.double({ min: 0, max: 5, noNaN: true }),
  })
  .map(({ analyte, low, width, position }) => ({
    analyte,
    value: Math.round(position * (low + width) * 100) / 100,
    unit: 'ug/g',
    referenceRange: { low, high: low + width },
  }));

const patient = fc.record(
  {
    age: fc.integer({ min: 10, max: 90 }),
    sex: fc.constantFrom('female' as const, 'male' as const, 'other' as const, 'unknown' as const),
    pregnancy: fc.constantFrom(
      'pregnant' as const,
      'not-pregnant' as const,
      'postpartum' as const,
      'unknown' as const,
    ),
    lactating: fc.boolean(),
  },
  { requiredKeys: ['age'] },
);

const request: fc.Arbitrary<EvaluationRequest> = fc.record(
  {
    patient,
    medications: fc.record({
      attested: fc.boolean(),
      items: fc.array(medication, { maxLength: 4 }),
    }),
    supplements: fc
      .uniqueArray(fc.constantFrom(...SUPPLEMENTS), { maxLength: 3 })
      .map((ids) => ids.map((id) => ({ id }))),
    symptoms: fc
      .uniqueArray(fc.constantFrom(...SYMPTOMS), { maxLength: 8 })
      .chain((ids) =>
        fc.tuple(
          ...ids.map((id) => fc.integer({ min: 0, max: 3 }).map((severity) => ({ id, severity }))),
        ),
      ),
    vitals: fc.record(
      {
        temperatureC: fc.constantFrom(36.8, 38, 38.1, 39.5),
        systolic: fc.integer({ min: 100, max: 220 }),
        diastolic: fc.integer({ min: 60, max: 130 }),
      },
      { requiredKeys: [] },
    ),
    questionnaires: fc
      .record({ phq9: items(9, 3), gad7: items(7, 3), isi: items(7, 4) }, { requiredKeys: [] })
      .map((q) => [
        ...(q.phq9 ? [{ instrument: 'phq-9', items: q.phq9 }] : []),
        ...(q.gad7 ? [{ instrument: 'gad-7', items: q.gad7 }] : []),
        ...(q.isi ? [{ instrument: 'isi', items: q.isi }] : []),
      ]),
    biomarkers: fc.uniqueArray(urinaryResult, { maxLength: 6, selector: (b) => b.analyte }),
    conditions: fc
      .uniqueArray(fc.constantFrom('chronic-kidney-disease', 'bipolar-disorder', 'liver-disease'), {
        maxLength: 2,
      })
      .map((ids) => ids.map((id) => ({ id }))),
    requested: fc.uniqueArray(fc.constantFrom(...INTERVENTIONS), { maxLength: 5 }),
  },
  { requiredKeys: ['patient'] },
);

/** The four Hunter criteria as symptom sets (plus the temperature the fifth needs). */
const hunterPattern = fc.constantFrom(
  { symptoms: { clonus: 1 }, temperatureC: undefined },
  { symptoms: { clonus: 1, agitation: 1 }, temperatureC: undefined },
  { symptoms: { clonus: 2, sweating: 1 }, temperatureC: undefined },
  { symptoms: { tremor: 1, hyperreflexia: 1 }, temperatureC: undefined },
  { symptoms: { rigidity: 1, clonus: 1 }, temperatureC: 38.5 },
);

/** One serotonergic exposure: an active or washout drug, or a serotonergic supplement taken now. */
const serotonergicExposure = fc.oneof(
  fc.record({
    drug: fc.constantFrom(...SEROTONERGIC_DRUGS),
    stoppedDaysAgo: fc.constantFrom(undefined, 0, 1),
  }),
  fc.record({ supplement: fc.constantFrom(...SEROTONERGIC_SUPPLEMENTS) }),
);

// --- helpers ------------------------------------------------------------------------------------

let counter = 0;
async function answer(req: EvaluationRequest): Promise<EvaluationResponse> {
  expect(requestProblems(catalog, req)).toEqual([]);
  counter += 1;
  return evaluate(ruleset, buildFacts(catalog, req), {
    evaluationId: `prop-${counter}`,
    asOf: '2026-01-15T09:00:00Z',
    traceFull: false,
  });
}

const params = { seed: SEED, numRuns: RUNS };
const activeRules = new Map(
  ruleset.rules.filter((r) => r.status === 'active').map((r) => [r.id, r]),
);

// --- properties ---------------------------------------------------------------------------------

describe('red-flag, data and finding invariants over generated patients', () => {
  it('when PHQ-9 item 9 is 1 or more, then no intervention is a candidate unless it is a referral or a therapy', async () => {
    await fc.assert(
      fc.asyncProperty(
        request,
        items(8, 3),
        fc.integer({ min: 1, max: 3 }),
        async (req, first8, item9) => {
          const withItem9: EvaluationRequest = {
            ...req,
            questionnaires: [
              ...(req.questionnaires ?? []).filter((q) => q.instrument !== 'phq-9'),
              { instrument: 'phq-9', items: [...first8, item9] },
            ],
          };
          const res = await answer(withItem9);
          expect(res.redFlags.map((f) => f.code)).toContain('RF-SI');
          const offending = res.interventions.filter(
            (i) => i.status === 'candidate' && i.type !== 'referral' && i.type !== 'therapy',
          );
          expect(offending.map((i) => i.id)).toEqual([]);
        },
      ),
      params,
    );
  });

  it('when any answer is given, then every finding carries the id and version of the active finding rule that made it', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const res = await answer(req);
        for (const f of res.findings) {
          expect(typeof f.ruleId).toBe('string');
          expect(Number.isInteger(f.ruleVersion)).toBe(true);
          const rule = activeRules.get(f.ruleId);
          expect(rule?.kind).toBe('finding');
          expect(rule?.version).toBe(f.ruleVersion);
        }
      }),
      params,
    );
  });

  it('when any Hunter pattern appears in a patient exposed to a serotonergic agent, then RF-SEROTOX is raised as an emergency', async () => {
    await fc.assert(
      fc.asyncProperty(
        request,
        hunterPattern,
        serotonergicExposure,
        async (req, hunter, exposure) => {
          const meds = [...(req.medications?.items ?? [])];
          const supplements = [...(req.supplements ?? [])];
          if ('drug' in exposure)
            meds.push(
              exposure.stoppedDaysAgo === undefined
                ? { name: exposure.drug, status: 'active' }
                : {
                    name: exposure.drug,
                    status: 'stopped',
                    stoppedDaysAgo: exposure.stoppedDaysAgo,
                  },
            );
          else if (!supplements.some((s) => s.id === exposure.supplement))
            supplements.push({ id: exposure.supplement });
          const symptoms = [
            ...(req.symptoms ?? []).filter((s) => !(s.id in hunter.symptoms)),
            ...Object.entries(hunter.symptoms).map(([id, severity]) => ({ id, severity })),
          ];
          const res = await answer({
            ...req,
            medications: { attested: req.medications?.attested ?? true, items: meds },
            supplements,
            symptoms,
            vitals: {
              ...req.vitals,
              ...(hunter.temperatureC === undefined ? {} : { temperatureC: hunter.temperatureC }),
            },
          });
          const flag = res.redFlags.find((f) => f.code === 'RF-SEROTOX');
          expect(flag?.urgency).toBe('emergency');
          // An emergency flag holds every supplement.
          const supplementCandidates = res.interventions.filter(
            (i) => i.type === 'supplement' && i.status === 'candidate',
          );
          expect(supplementCandidates.map((i) => i.id)).toEqual([]);
        },
      ),
      params,
    );
  });

  it('when a catecholamine, metanephrine or metabolite is at 3× its upper limit or more, then RF-PHEO is raised and no catecholamine-high finding is reported', async () => {
    await fc.assert(
      fc.asyncProperty(
        request,
        fc.constantFrom(...CATECHOLAMINES),
        fc.integer({ min: 1, max: 500 }),
        fc.double({ min: 3, max: 20, noNaN: true }),
        async (req, analyte, high, multiple) => {
          const value = Math.max(Math.ceil(high * multiple * 100) / 100, 3 * high);
          const res = await answer({
            ...req,
            biomarkers: [
              ...(req.biomarkers ?? []).filter((b) => b.analyte !== analyte),
              { analyte, value, unit: 'ug/g', referenceRange: { low: 0, high } },
            ],
          });
          expect(res.redFlags.map((f) => f.code)).toContain('RF-PHEO');
          const excess = res.findings.filter(
            (f) =>
              f.id === 'catecholamine-markers-high' ||
              ['dopamine', 'norepinephrine', 'epinephrine', 'hva', 'vma', 'dopac'].some(
                (a) => f.id === `${a}-high`,
              ),
          );
          expect(excess.map((f) => f.id)).toEqual([]);
        },
      ),
      params,
    );
  });

  it('when a urinary result is reported as confounded, then no low or high finding is made for that analyte', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const res = await answer(req);
        const confounded = new Set(
          res.hits
            .map((h) => ruleset.rulesById.get(h.ruleId)?.then)
            .flatMap((then) =>
              then && 'dataIssue' in then && then.dataIssue.code.startsWith('DATA-CONFOUND-')
                ? [then.dataIssue.analyte ?? '']
                : [],
            ),
        );
        const leaked = res.findings.filter((f) =>
          [...confounded].some((a) => f.id === `${a}-low` || f.id === `${a}-high`),
        );
        expect(leaked.map((f) => f.id)).toEqual([]);
        for (const f of res.findings)
          if (URINARY.some((a) => f.id === `${a}-low` || f.id === `${a}-high`))
            expect(f.evidenceGrade).toBe('D');
      }),
      params,
    );
  });

  it('when urinary results are added to a patient, then no red flag raised without them disappears', async () => {
    await fc.assert(
      fc.asyncProperty(
        request,
        fc.uniqueArray(urinaryResult, { minLength: 1, maxLength: 6, selector: (b) => b.analyte }),
        async (req, urine) => {
          const base: EvaluationRequest = { ...req, biomarkers: [] };
          const before = new Set((await answer(base)).redFlags.map((f) => f.code));
          const after = new Set(
            (await answer({ ...base, biomarkers: urine })).redFlags.map((f) => f.code),
          );
          expect([...before].filter((code) => !after.has(code))).toEqual([]);
        },
      ),
      params,
    );
  });
});
