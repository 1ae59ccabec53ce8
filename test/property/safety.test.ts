/**
 * Safety invariants of the shipped ruleset over generated patients (fast-check, seeded).
 *
 * Each property runs the real fact layer and engine in-process (`buildFacts` + `evaluate` on the
 * shipped rules), so a few hundred patients per property stay within a few seconds. The patient
 * generator lives in this file on purpose: it knows the drugs, conditions and agents that the
 * safety rules are about, and biases the draws towards them.
 */
import fc from 'fast-check';
import { buildFacts, requestProblems } from '../../src/facts/build';
import type {
  AgentInput,
  BiomarkerInput,
  ConditionInput,
  EvaluationRequest,
  MedicationInput,
  QuestionnaireInput,
} from '../../src/facts/request-types';
import { evaluate } from '../../src/engine/evaluate';
import type { EvaluationResponse, InterventionOut } from '../../src/engine/response-types';
import { createRequestValidator } from '../../src/engine/request-validator';
import { expandTargets } from '../../src/engine/compile';
import { childrenOf, isLeaf } from '../../src/rules/rule-types';
import type { Condition, Leaf, ReasonOutcome, RuleDef } from '../../src/rules/rule-types';
import { shippedRuleset } from '../support/app';

const ruleset = shippedRuleset();
const { catalog } = ruleset;
const validator = createRequestValidator(catalog);
const ASOF = '2026-01-15T09:00:00Z';
const RUNS = 300;
const SEED = 20260115;

// ---------------------------------------------------------------------------------------------
// Rule-tree helpers (read the shipped rules, so the properties follow the rules as they grow)
// ---------------------------------------------------------------------------------------------

function leaves(condition: Condition): Leaf[] {
  return isLeaf(condition) ? [condition] : childrenOf(condition).flatMap(leaves);
}

function outcomeOf(rule: RuleDef): { key: string; outcome: ReasonOutcome } | undefined {
  const then = rule.then as Record<string, unknown>;
  for (const key of ['propose', 'block', 'caution', 'defer'])
    if (key in then) return { key, outcome: then[key] as ReasonOutcome };
  return undefined;
}

const active = ruleset.rules.filter((r) => r.status === 'active');
const safetyRules = active.filter((r) => r.kind === 'safety');
const supplementIds = [...catalog.interventions.values()]
  .filter((i) => i.type === 'supplement')
  .map((i) => i.id);
const withTag = (tag: string): string[] => [...(catalog.interventionsByTag.get(tag) ?? [])];

/**
 * Fixed floors from clinical-reference §4.1/§4.2, so a property cannot pass vacuously when a rule
 * is retired or a tag is renamed; the rule-derived sets are added on top.
 */
const SEROTONERGIC = ['5-htp', 'l-tryptophan', 'st-johns-wort', 'same'];
const PRESSOR = ['l-tyrosine', 'l-phenylalanine', 'mucuna'];
const PREGNANCY_LISTED = [
  'ashwagandha',
  'st-johns-wort',
  'saffron',
  '5-htp',
  'l-tryptophan',
  'rhodiola',
  'mucuna',
  'same',
  'lemon-balm',
];
const INTERACTING_LISTED = [...SEROTONERGIC, ...PRESSOR, 'ashwagandha', 'vitamin-b6', 'saffron'];

/** Agents that some active safety rule blocks or cautions on a medication-class fact. */
const interactionAgents = new Set([
  ...INTERACTING_LISTED,
  ...safetyRules
    .filter((r) => leaves(r.when).some((l) => l.fact === 'medication-class'))
    .flatMap((r) => {
      const o = outcomeOf(r);
      return o && (o.key === 'block' || o.key === 'caution')
        ? expandTargets(catalog, o.outcome)
        : [];
    }),
]);

/** Agents that some active safety rule blocks on `pregnancy == pregnant`. */
const pregnancyBlocked = new Set([
  ...PREGNANCY_LISTED,
  ...safetyRules
    .filter((r) =>
      leaves(r.when).some(
        (l) => l.fact === 'pregnancy' && l.operator === 'equal' && l.value === 'pregnant',
      ),
    )
    .flatMap((r) => {
      const o = outcomeOf(r);
      return o?.key === 'block' ? expandTargets(catalog, o.outcome) : [];
    }),
]);

const urinaryAnalytes = new Set(
  [...catalog.analytes.values()].filter((a) => a.urinaryNeurotransmitter === true).map((a) => a.id),
);
const readsUrinaryAnalyte = (rule: RuleDef): boolean =>
  leaves(rule.when).some(
    (l) => l.fact.startsWith('biomarker-') && urinaryAnalytes.has(String(l.params?.analyte)),
  );
/** Findings that a finding rule derives from a urinary neurotransmitter value. */
const urinaryFindings = new Set(
  active
    .filter((r) => r.kind === 'finding' && readsUrinaryAnalyte(r))
    .map((r) => ('finding' in r.then ? r.then.finding.id : '')),
);

// ---------------------------------------------------------------------------------------------
// A small seeded patient generator
// ---------------------------------------------------------------------------------------------

const MAOI_NAMES = [
  'phenelzine',
  'tranylcypromine',
  'isocarboxazid',
  'moclobemide',
  'selegiline',
  'rasagiline',
  'linezolid',
  'methylene blue',
] as const;
const OTHER_DRUGS = [
  'sertraline',
  'fluoxetine',
  'escitalopram',
  'venlafaxine',
  'duloxetine',
  'amitriptyline',
  'trazodone',
  'mirtazapine',
  'bupropion',
  'sumatriptan',
  'tramadol',
  'methadone',
  'dextromethorphan',
  'lithium',
  'buspirone',
  'ondansetron',
  'amphetamine',
  'methylphenidate',
  'levodopa',
  'sinemet',
  'pramipexole',
  'quetiapine',
  'microgynon',
  'ciclosporin',
  'tacrolimus',
  'prednisolone',
  'efavirenz',
  'ritonavir',
  'warfarin',
  'apixaban',
  'aspirin',
  'digoxin',
  'levothyroxine',
  'lorazepam',
  'zolpidem',
  'levetiracetam',
  'metformin',
  'lisinopril',
  'atorvastatin',
  'omeprazole-not-in-catalog',
] as const;

const stopped = (name: string, days: number | undefined): MedicationInput =>
  days === undefined
    ? { name, status: 'stopped' }
    : { name, status: 'stopped', stoppedDaysAgo: days };

const medicationArb: fc.Arbitrary<MedicationInput> = fc.oneof(
  fc.constantFrom(...OTHER_DRUGS).map((name): MedicationInput => ({ name, status: 'active' })),
  fc
    .tuple(
      fc.constantFrom(...OTHER_DRUGS),
      fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
    )
    .map(([name, days]) => stopped(name, days)),
);

const ITEM = fc.integer({ min: 0, max: 3 });
const phq9Arb = (item9: fc.Arbitrary<number>): fc.Arbitrary<QuestionnaireInput> =>
  fc
    .tuple(fc.array(ITEM, { minLength: 8, maxLength: 8 }), item9)
    .map(([items, i9]) => ({ instrument: 'phq-9', items: [...items, i9] }));
const totalArb = (instrument: string, max: number): fc.Arbitrary<QuestionnaireInput> =>
  fc.integer({ min: 0, max }).map((total) => ({ instrument, total }));

const questionnairesArb = (item9: fc.Arbitrary<number>): fc.Arbitrary<QuestionnaireInput[]> =>
  fc
    .record({
      phq9: fc.option(phq9Arb(item9), { nil: undefined }),
      gad7: fc.option(totalArb('gad-7', 21), { nil: undefined }),
      isi: fc.option(totalArb('isi', 28), { nil: undefined }),
      pss10: fc.option(totalArb('pss-10', 40), { nil: undefined }),
      phq2: fc.option(totalArb('phq-2', 6), { nil: undefined }),
    })
    .map((q) => [q.phq9, q.gad7, q.isi, q.pss10, q.phq2].filter((x) => x !== undefined));

const serumArb: fc.Arbitrary<BiomarkerInput> = fc.oneof(
  fc.double({ min: 0.3, max: 1.3, noNaN: true }).map((value) => ({
    analyte: 'magnesium',
    value,
    unit: 'mmol/L',
    referenceRange: { low: 0.7, high: 1.0 },
  })),
  fc.integer({ min: 3, max: 300 }).map((value) => ({
    analyte: 'ferritin',
    value,
    unit: 'ng/mL',
    referenceRange: { low: 15, high: 150 },
  })),
  fc.integer({ min: 50, max: 900 }).map((value) => ({
    analyte: 'vitamin-b12',
    value,
    unit: 'pmol/L',
    referenceRange: { low: 150, high: 700 },
  })),
  fc.integer({ min: 2, max: 50 }).map((value) => ({
    analyte: 'folate',
    value,
    unit: 'nmol/L',
    referenceRange: { low: 7, high: 45 },
  })),
  fc.integer({ min: 5, max: 130 }).map((value) => ({
    analyte: 'egfr',
    value,
    unit: 'mL/min/1.73m2',
    referenceRange: { low: 60, high: 200 },
  })),
);
const urinaryArb: fc.Arbitrary<BiomarkerInput> = fc
  .tuple(
    fc.constantFrom('serotonin', 'dopamine', 'norepinephrine', 'gaba', 'glutamate', '5-hiaa'),
    fc.integer({ min: 1, max: 600 }),
  )
  .map(([analyte, value]) => ({
    analyte,
    value,
    unit: 'ug/g',
    referenceRange: { low: 50, high: 250 },
  }));

const SYMPTOMS = [...catalog.symptoms];
const CONDITIONS = [...catalog.conditions.keys()];

const agentArb: fc.Arbitrary<AgentInput> = fc.oneof(
  fc.constantFrom(...supplementIds).map((id) => ({ id })),
  fc
    .tuple(fc.constantFrom(...supplementIds), fc.integer({ min: 1, max: 4000 }))
    .map(([id, value]) => ({ id, dose: { value, unit: 'mg' as const } })),
);
const uniqueAgents = (
  arb: fc.Arbitrary<AgentInput>,
  maxLength: number,
): fc.Arbitrary<AgentInput[]> => fc.uniqueArray(arb, { maxLength, selector: (a) => a.id });

interface PatientOptions {
  readonly medications?: fc.Arbitrary<MedicationInput[]>;
  readonly attested?: fc.Arbitrary<boolean | undefined>;
  readonly item9?: fc.Arbitrary<number>;
  readonly pregnancy?: fc.Arbitrary<
    'pregnant' | 'not-pregnant' | 'postpartum' | 'unknown' | undefined
  >;
  readonly age?: fc.Arbitrary<number>;
  readonly urineOnly?: boolean;
}

/** A valid evaluation request; options pin the part of the patient a property is about. */
function patientArb(o: PatientOptions = {}): fc.Arbitrary<EvaluationRequest> {
  return fc
    .record({
      age: o.age ?? fc.integer({ min: 18, max: 90 }),
      sex: fc.constantFrom('female', 'male', 'other', 'unknown' as const),
      pregnancy:
        o.pregnancy ??
        fc.constantFrom('not-pregnant', 'pregnant', 'postpartum', 'unknown', undefined),
      lactating: fc.constantFrom(true, false, undefined),
      attested: o.attested ?? fc.constantFrom(true, true, true, false, undefined),
      medications: o.medications ?? fc.array(medicationArb, { maxLength: 4 }),
      questionnaires: o.urineOnly ? fc.constant([]) : questionnairesArb(o.item9 ?? ITEM),
      symptoms: o.urineOnly
        ? fc.constant([])
        : fc.uniqueArray(
            fc.record({
              id: fc.constantFrom(...SYMPTOMS),
              severity: fc.integer({ min: 0, max: 3 }),
            }),
            { maxLength: 4, selector: (s) => s.id },
          ),
      conditions: fc.uniqueArray(fc.constantFrom(...CONDITIONS), { maxLength: 3 }),
      serum: o.urineOnly ? fc.constant([]) : fc.array(serumArb, { maxLength: 3 }),
      urine: fc.array(urinaryArb, { maxLength: 3 }),
      supplements: uniqueAgents(
        fc.constantFrom(...supplementIds).map((id) => ({ id })),
        2,
      ),
      requested: uniqueAgents(agentArb, 5),
    })
    .map((p): EvaluationRequest => {
      const conditions: ConditionInput[] = p.conditions.map((id) => ({ id }));
      return {
        asOf: ASOF,
        patient: {
          age: p.age,
          sex: p.sex,
          ...(p.pregnancy === undefined ? {} : { pregnancy: p.pregnancy }),
          ...(p.lactating === undefined ? {} : { lactating: p.lactating }),
        },
        ...(p.attested === undefined
          ? {}
          : { medications: { attested: p.attested, items: p.medications } }),
        questionnaires: p.questionnaires,
        symptoms: p.symptoms,
        conditions,
        biomarkers: [...p.serum, ...p.urine],
        supplements: p.supplements,
        requested: p.requested,
      };
    });
}

async function answer(request: EvaluationRequest): Promise<EvaluationResponse> {
  // The generator must only produce requests the HTTP layer would accept.
  const valid = validator.validate(JSON.parse(JSON.stringify(request)));
  if (!valid.ok) throw new Error(`generated an invalid request: ${JSON.stringify(valid.errors)}`);
  const problems = requestProblems(catalog, request);
  if (problems.length > 0) throw new Error(`inconsistent request: ${JSON.stringify(problems)}`);
  return evaluate(ruleset, buildFacts(catalog, request), {
    evaluationId: 'property',
    asOf: ASOF,
    traceFull: false,
  });
}

const OFFERED: ReadonlySet<string> = new Set(['candidate', 'caution']);
const byId = (res: EvaluationResponse): Map<string, InterventionOut> =>
  new Map(res.interventions.map((i) => [i.id, i]));
const show = (i: InterventionOut | undefined): string =>
  i ? `${i.id}:${i.status}[${i.reasons.map((r) => r.code).join(',')}]` : 'absent';

const run = <T extends [unknown, ...unknown[]]>(
  property: fc.IAsyncProperty<T>,
  runs = RUNS,
): Promise<void> => fc.assert(property, { numRuns: runs, seed: SEED });

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

describe('safety invariants over generated patients (fast-check, seeded)', () => {
  it('the rule-derived agent sets the properties rely on are not empty', () => {
    expect(withTag('serotonergic').length).toBeGreaterThanOrEqual(4);
    expect(withTag('pressor').length).toBeGreaterThanOrEqual(3);
    for (const id of ['5-htp', 'st-johns-wort', 'mucuna', 'ashwagandha', 'saffron'])
      expect(interactionAgents).toContain(id);
    for (const id of ['ashwagandha', 'st-johns-wort', 'saffron', '5-htp', 'mucuna'])
      expect(pregnancyBlocked).toContain(id);
  });

  it('when a patient is on an MAOI or stopped one fewer than 14 days ago, then no serotonergic or pressor agent is candidate or caution', async () => {
    const maoi = fc.oneof(
      fc.constantFrom(...MAOI_NAMES).map((name): MedicationInput => ({ name, status: 'active' })),
      fc
        .tuple(
          fc.constantFrom(...MAOI_NAMES),
          fc.option(fc.integer({ min: 0, max: 13 }), { nil: undefined }),
        )
        .map(([name, days]) => stopped(name, days)),
    );
    const medications = fc
      .tuple(maoi, fc.array(medicationArb, { maxLength: 3 }))
      .map(([m, rest]) => [m, ...rest]);
    await run(
      fc.asyncProperty(patientArb({ medications, attested: fc.boolean() }), async (request) => {
        const got = byId(await answer(request));
        for (const id of new Set([
          ...SEROTONERGIC,
          ...PRESSOR,
          ...withTag('serotonergic'),
          ...withTag('pressor'),
        ])) {
          const i = got.get(id);
          expect([id, i?.status]).toEqual([id, 'blocked']);
        }
      }),
    );
  });

  it('when an MAOI was stopped exactly d days ago, then BLK-SERO-MAOI applies if and only if d < 14', async () => {
    await run(
      fc.asyncProperty(
        fc.constantFrom(...MAOI_NAMES),
        fc.integer({ min: 0, max: 40 }),
        async (name, days) => {
          const res = await answer({
            asOf: ASOF,
            patient: { age: 50, sex: 'male' },
            medications: { attested: true, items: [stopped(name, days)] },
            requested: ['5-htp', 'l-tyrosine'],
          });
          const got = byId(res);
          const codes = (id: string): string[] => got.get(id)?.reasons.map((r) => r.code) ?? [];
          expect(codes('5-htp').includes('BLK-SERO-MAOI')).toBe(days < 14);
          expect(codes('l-tyrosine').includes('BLK-PRESSOR-MAOI')).toBe(days < 14);
        },
      ),
      120,
    );
  });

  it('when PHQ-9 item 9 is 1 or more, then no supplement is candidate or caution', async () => {
    await run(
      fc.asyncProperty(
        patientArb({ item9: fc.integer({ min: 1, max: 3 }) }).filter((r) =>
          (r.questionnaires ?? []).some((q) => q.instrument === 'phq-9'),
        ),
        async (request) => {
          const res = await answer(request);
          expect(res.redFlags.map((f) => f.code)).toEqual(
            expect.arrayContaining([expect.stringMatching(/^RF-SI/)]),
          );
          for (const i of res.interventions)
            if (i.type === 'supplement') expect(OFFERED.has(i.status) ? show(i) : '').toBe('');
        },
      ),
    );
  });

  it('when the medication list is not attested, then no agent that has an interaction rule is a candidate', async () => {
    await run(
      fc.asyncProperty(
        patientArb({ attested: fc.constantFrom(false, undefined) }),
        async (request) => {
          const res = await answer(request);
          for (const i of res.interventions)
            if (interactionAgents.has(i.id))
              expect(i.status === 'candidate' || i.status === 'caution' ? show(i) : '').toBe('');
        },
      ),
    );
  });

  it('when the patient is pregnant, then no agent blocked for pregnancy is offered, and each one asked about is blocked', async () => {
    await run(
      fc.asyncProperty(patientArb({ pregnancy: fc.constant('pregnant') }), async (request) => {
        const got = byId(await answer(request));
        for (const id of pregnancyBlocked) {
          const i = got.get(id);
          if (i) expect(OFFERED.has(i.status) ? show(i) : '').toBe('');
        }
        for (const r of request.requested ?? []) {
          const id = typeof r === 'string' ? r : r.id;
          if (pregnancyBlocked.has(id)) expect(show(got.get(id))).toMatch(/:blocked\[/);
        }
      }),
    );
  });

  it('when any agents are asked about, then every one appears in the answer with a status and requested true', async () => {
    await run(
      fc.asyncProperty(patientArb(), async (request) => {
        const got = byId(await answer(request));
        for (const r of request.requested ?? []) {
          const id = typeof r === 'string' ? r : r.id;
          const i = got.get(id);
          expect(i?.requested).toBe(true);
          expect(['candidate', 'caution', 'blocked', 'deferred']).toContain(i?.status);
          expect(i?.reasons.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('when only urinary neurotransmitter values could indicate anything, then no supplement is proposed from them', async () => {
    await run(
      fc.asyncProperty(patientArb({ urineOnly: true }), async (request) => {
        const res = await answer(request);
        for (const i of res.interventions)
          if (i.type === 'supplement')
            expect(i.reasons.filter((r) => r.kind === 'indication').map((r) => r.code)).toEqual([]);
      }),
    );
  });

  it('when the patient is under 18, then every supplement in the answer is blocked with BLK-PEDS', async () => {
    await run(
      fc.asyncProperty(patientArb({ age: fc.integer({ min: 12, max: 17 }) }), async (request) => {
        const res = await answer(request);
        for (const i of res.interventions)
          if (i.type === 'supplement') expect(show(i)).toMatch(/:blocked\[(.*,)?BLK-PEDS(,.*)?\]$/);
      }),
      150,
    );
  });

  it('no answer contains a finding, red flag or reason without the rule or policy (id and version) behind it', async () => {
    await run(
      fc.asyncProperty(patientArb(), async (request) => {
        const res = await answer(request);
        for (const f of [...res.findings, ...res.redFlags]) {
          expect(typeof f.ruleId).toBe('string');
          expect(Number.isInteger(f.ruleVersion)).toBe(true);
        }
        for (const i of res.interventions)
          for (const r of i.reasons) {
            const byRule = typeof r.ruleId === 'string' && Number.isInteger(r.ruleVersion);
            const byPolicy = typeof r.policyId === 'string' && Number.isInteger(r.policyVersion);
            expect([r.code, byRule || byPolicy]).toEqual([r.code, true]);
          }
      }),
      150,
    );
  });
});

describe('static safety properties of the shipped rules', () => {
  it('no option rule reads a urinary neurotransmitter value or a finding derived from one', () => {
    const offending = active
      .filter((r) => r.kind === 'option')
      .filter(
        (r) =>
          readsUrinaryAnalyte(r) ||
          leaves(r.when).some(
            (l) =>
              (l.fact === 'finding' || l.fact === 'finding-band') &&
              urinaryFindings.has(String(l.params?.id)),
          ),
      )
      .map((r) => r.id);
    expect(urinaryFindings.size).toBeGreaterThan(0);
    expect(offending).toEqual([]);
  });

  it('every supplement in the catalog is covered by the paediatric block', () => {
    const rule = safetyRules.find((r) => r.id === 'safety.paediatric');
    const o = rule && outcomeOf(rule);
    const covered = new Set(o ? expandTargets(catalog, o.outcome) : []);
    expect(supplementIds.filter((id) => !covered.has(id))).toEqual([]);
  });

  it('every intervention with an upper limit has a BLK-UL rule', () => {
    const guarded = new Set(
      safetyRules.flatMap((r) => {
        const o = outcomeOf(r);
        return o?.outcome.code === 'BLK-UL' ? expandTargets(catalog, o.outcome) : [];
      }),
    );
    const withUl = [...catalog.interventions.values()].filter((i) => i.upperLimit).map((i) => i.id);
    expect(withUl.filter((id) => !guarded.has(id))).toEqual([]);
  });
});
