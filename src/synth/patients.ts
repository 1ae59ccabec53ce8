/**
 * A seeded generator of valid, varied, clinically plausible evaluation requests.
 *
 * Used by the benchmark (`npm run bench`), the differential test of the optimised engine, and the
 * ruleset diff (`rules:diff`). Deterministic for a seed and a catalog: it draws only from its own
 * PRNG and reads ids, units, labs and limits from the catalog, so it keeps producing valid
 * requests as the catalog grows. Every request passes the request schema and `requestProblems`.
 */
import type { Catalog } from '../rules/catalog';
import type { Analyte, Questionnaire } from '../rules/catalog-types';
import { totalOf } from '../facts/questionnaires';
import { toCanonical } from '../facts/units';
import type {
  AgentInput,
  BiomarkerInput,
  ConditionInput,
  DoseUnit,
  EvaluationRequest,
  MedicationInput,
  QuestionnaireInput,
} from '../facts/request-types';

export interface GenerateOptions {
  readonly seed: number;
  readonly count: number;
}

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  /** Up to n distinct items, in random order. */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    const out: T[] = [];
    while (out.length < n && copy.length > 0) {
      const i = Math.floor(this.next() * copy.length);
      out.push(...copy.splice(i, 1));
    }
    return out;
  }
  /** Picks by weight: [[value, weight], ...]. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [value, w] of choices) {
      r -= w;
      if (r < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (last === undefined) throw new Error('weighted pick from an empty list');
    return last[0];
  }
}

/**
 * Typical reference intervals in each analyte's canonical unit, used when no lab profile in the
 * catalog has one. Values are broad adult intervals; an analyte missing here gets [10, 100].
 */
const TYPICAL_CANONICAL: Readonly<Record<string, readonly [number, number]>> = {
  serotonin: [50, 250],
  dopamine: [65, 400],
  norepinephrine: [15, 80],
  epinephrine: [2, 20],
  gaba: [1000, 4000],
  glutamate: [7000, 35000],
  glycine: [40000, 200000],
  histamine: [10, 60],
  pea: [50, 500],
  '5-hiaa': [1000, 6000],
  hva: [1000, 8000],
  vma: [1000, 6000],
  dopac: [500, 2500],
  normetanephrine: [50, 400],
  metanephrine: [20, 200],
  creatinine: [20, 300],
  cortisol: [1, 10],
  ferritin: [30, 300],
  hemoglobin: [12, 17],
  magnesium: [0.7, 1.0],
  'vitamin-b12': [150, 700],
  folate: [7, 45],
  tsh: [0.4, 4.5],
  alt: [7, 55],
  alp: [40, 130],
  bilirubin: [3, 21],
  egfr: [60, 120],
};

const WEIRD_UNITS = ['units', 'ng/dl?', 'per L', 'x10^3'] as const;

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Rounds to 3 significant figures, as lab reports print them. */
function sig3(value: number): number {
  if (value === 0) return 0;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return round(value, Math.min(digits, 6));
}

interface AnalytePlan {
  readonly analyte: Analyte;
  /** Unit spellings that convert, with the factor to canonical. */
  readonly units: readonly { readonly spelling: string; readonly factor: number }[];
  readonly notNormalised: readonly string[];
  readonly canonicalRange: readonly [number, number];
  readonly labs: readonly string[];
}

const planCache = new WeakMap<Catalog, AnalytePlan[]>();

function planAnalytes(catalog: Catalog): AnalytePlan[] {
  const cached = planCache.get(catalog);
  if (cached) return cached;
  const plans: AnalytePlan[] = [];
  for (const analyte of catalog.analytes.values()) {
    const family = catalog.unitFamilies.get(analyte.unitFamily);
    if (!family) continue;
    const units: { spelling: string; factor: number }[] = [];
    for (const unit of family.family.units) {
      for (const spelling of [unit.code, ...(unit.aliases ?? [])]) {
        const c = toCanonical(catalog, analyte, 1, spelling);
        if (c.ok) units.push({ spelling, factor: c.value });
      }
    }
    if (units.length === 0) continue;
    const labs: string[] = [];
    let range: [number, number] | undefined;
    for (const [labId, ranges] of catalog.labs) {
      const r = ranges.get(analyte.id);
      if (!r) continue;
      labs.push(labId);
      if (range === undefined && r.high !== undefined) {
        const hi = toCanonical(catalog, analyte, r.high, r.unit);
        const lo = r.low === undefined ? undefined : toCanonical(catalog, analyte, r.low, r.unit);
        if (hi.ok) range = [lo?.ok ? lo.value : hi.value / 4, hi.value];
      }
    }
    plans.push({
      analyte,
      units,
      notNormalised: family.family.notNormalised ?? [],
      canonicalRange: range ?? TYPICAL_CANONICAL[analyte.id] ?? [10, 100],
      labs,
    });
  }
  planCache.set(catalog, plans);
  return plans;
}

/** The typical canonical reference interval the generator draws each analyte around. */
export function typicalRanges(catalog: Catalog): Map<string, readonly [number, number]> {
  return new Map(planAnalytes(catalog).map((p) => [p.analyte.id, p.canonicalRange]));
}

function biomarker(rng: Rng, plan: AnalytePlan): BiomarkerInput {
  const [lo, hi] = plan.canonicalRange;
  const width = Math.max(hi - lo, hi * 0.1);
  const band = rng.weighted<'low' | 'normal' | 'high' | 'very-high'>([
    ['normal', 60],
    ['low', 15],
    ['high', 20],
    ['very-high', 5],
  ]);
  let canonical: number;
  if (band === 'normal') canonical = lo + rng.float() * (hi - lo);
  else if (band === 'low') canonical = lo * (0.2 + 0.79 * rng.float());
  else if (band === 'high') canonical = hi + width * 0.01 + rng.float() * hi;
  else canonical = hi * (3 + 4 * rng.float());
  if (canonical <= 0) canonical = hi * 0.05;

  const unitChoice = rng.weighted<'ok' | 'missing' | 'not-normalised' | 'weird'>([
    ['ok', 88],
    ['missing', 4],
    ['not-normalised', plan.notNormalised.length > 0 ? 4 : 0],
    ['weird', 4],
  ]);
  const base: { analyte: string; specimen: Analyte['specimen'] } = {
    analyte: plan.analyte.id,
    specimen: plan.analyte.specimen,
  };
  if (unitChoice !== 'ok') {
    const value = sig3(canonical);
    const unit =
      unitChoice === 'missing'
        ? undefined
        : unitChoice === 'not-normalised'
          ? rng.pick(plan.notNormalised)
          : rng.pick(WEIRD_UNITS);
    return {
      ...base,
      value,
      ...(unit === undefined ? {} : { unit }),
      ...(rng.chance(0.5) ? { referenceRange: { low: sig3(lo), high: sig3(hi) } } : {}),
    };
  }
  const unit = rng.pick(plan.units);
  const value = sig3(canonical / unit.factor);
  const rangeChoice = rng.weighted<'printed' | 'printed-own-unit' | 'high-only' | 'lab' | 'none'>([
    ['printed', 45],
    ['printed-own-unit', 10],
    ['high-only', 10],
    ['lab', plan.labs.length > 0 ? 20 : 0],
    ['none', 15],
  ]);
  const collectedAt = rng.chance(0.3) ? { collectedAt: '2026-01-10T08:00:00Z' } : {};
  switch (rangeChoice) {
    case 'printed':
      return {
        ...base,
        value,
        unit: unit.spelling,
        referenceRange: { low: sig3(lo / unit.factor), high: sig3(hi / unit.factor) },
        ...collectedAt,
      };
    case 'printed-own-unit': {
      const other = rng.pick(plan.units);
      return {
        ...base,
        value,
        unit: unit.spelling,
        referenceRange: {
          low: sig3(lo / other.factor),
          high: sig3(hi / other.factor),
          unit: other.spelling,
        },
      };
    }
    case 'high-only':
      return {
        ...base,
        value,
        unit: unit.spelling,
        referenceRange: { high: sig3(hi / unit.factor) },
      };
    case 'lab':
      return { ...base, value, unit: unit.spelling, lab: rng.pick(plan.labs), ...collectedAt };
    case 'none':
      return { ...base, value, unit: unit.spelling };
  }
}

function questionnaire(rng: Rng, q: Questionnaire, severity: number): QuestionnaireInput {
  const items: number[] = [];
  for (let i = 1; i <= q.itemCount; i++) {
    let answer: number;
    if (q.id === 'phq-9' && i === 9) {
      answer = rng.weighted([
        [0, 88],
        [1, 7],
        [2, 3],
        [3, 2],
      ]);
    } else {
      const centre = q.itemMin + severity * (q.itemMax - q.itemMin);
      answer = Math.round(centre + (rng.float() - 0.5) * 2);
    }
    items.push(Math.min(q.itemMax, Math.max(q.itemMin, answer)));
  }
  const form = rng.weighted<'items' | 'total' | 'both'>([
    ['items', 70],
    ['total', 20],
    ['both', 10],
  ]);
  if (form === 'items') return { instrument: q.id, items };
  const total = totalOf(q, items);
  if (form === 'total') return { instrument: q.id, total };
  return { instrument: q.id, items, total };
}

function medications(
  rng: Rng,
  catalog: Catalog,
): { attested: boolean; items?: MedicationInput[] } | undefined {
  if (rng.chance(0.12)) return undefined;
  const drugs = catalog.files.medications.drugs;
  const count = rng.weighted([
    [0, 40],
    [1, 30],
    [2, 18],
    [3, 12],
  ]);
  const items: MedicationInput[] = [];
  for (let i = 0; i < count && drugs.length > 0; i++) {
    const drug = rng.pick(drugs);
    const how = rng.weighted<'name' | 'synonym' | 'atc' | 'atc-lower' | 'unknown'>([
      ['name', 40],
      ['synonym', drug.synonyms && drug.synonyms.length > 0 ? 10 : 0],
      ['atc', 35],
      ['atc-lower', 5],
      ['unknown', 5],
    ]);
    const ident =
      how === 'name'
        ? { name: rng.chance(0.2) ? drug.name.toUpperCase() : drug.name }
        : how === 'synonym'
          ? { name: rng.pick(drug.synonyms ?? [drug.name]) }
          : how === 'atc'
            ? { atc: drug.atc }
            : how === 'atc-lower'
              ? { atc: drug.atc.toLowerCase() }
              : { name: rng.pick(['herbal tea blend', 'unknown-pill', 'zzfictitiol']) };
    if (rng.chance(0.7)) {
      items.push({ ...ident, status: 'active' });
      continue;
    }
    const cls = catalog.files.medications.classes.find((c) =>
      c.atcPrefixes.some((p) => drug.atc.startsWith(p)),
    );
    const washout = drug.washoutDays ?? cls?.washoutDays ?? 14;
    const stopped = rng.weighted<number | undefined>([
      [washout - 1, 25],
      [washout, 25],
      [washout + 1, 15],
      [rng.int(0, washout * 3), 25],
      [undefined, 10],
    ]);
    items.push({
      ...ident,
      status: 'stopped',
      ...(stopped === undefined ? {} : { stoppedDaysAgo: Math.max(0, stopped) }),
    });
  }
  const attested = rng.chance(0.82);
  return count === 0 && rng.chance(0.3) ? { attested } : { attested, items };
}

function conditions(rng: Rng, catalog: Catalog): ConditionInput[] | undefined {
  const all = [...catalog.conditions.values()];
  const n = rng.weighted([
    [0, 60],
    [1, 28],
    [2, 12],
  ]);
  if (n === 0 || all.length === 0) return undefined;
  return rng.sample(all, n).map((c) => {
    const prefix = c.icd10Prefixes.length > 0 ? rng.pick(c.icd10Prefixes) : undefined;
    if (prefix !== undefined && rng.chance(0.45)) {
      const withDetail =
        !prefix.includes('.') && rng.chance(0.5) ? `${prefix}.${rng.int(0, 9)}` : prefix;
      return { icd10: withDetail };
    }
    return { id: c.id };
  });
}

const DOSE_UNITS: readonly DoseUnit[] = ['g', 'mg', 'ug', 'mcg', 'µg', 'μg'];
const IN_UG: Readonly<Record<DoseUnit, number>> = {
  g: 1e6,
  mg: 1e3,
  ug: 1,
  mcg: 1,
  µg: 1,
  μg: 1,
};
const MASS_IN_UG = { g: 1e6, mg: 1e3, ug: 1 } as const;

function agent(rng: Rng, catalog: Catalog, id: string): AgentInput {
  const intervention = catalog.interventions.get(id);
  const ref = intervention?.upperLimit ?? intervention?.studiedDose;
  if (!ref || rng.chance(0.3)) return { id };
  const refValue = 'value' in ref ? ref.value : ref.max;
  const refUg = refValue * MASS_IN_UG[ref.unit];
  const multiple = rng.weighted([
    [0.5, 40],
    [1, 15],
    [1.5, 25],
    [3, 20],
  ]);
  // Mostly the reference unit; sometimes a finer spelling of the same amount.
  const unit: DoseUnit = rng.chance(0.7)
    ? ref.unit
    : rng.pick(DOSE_UNITS.filter((u) => IN_UG[u] <= MASS_IN_UG[ref.unit]));
  const value = round((refUg * multiple) / IN_UG[unit], 3);
  if (value > 1_000_000)
    return {
      id,
      dose: { value: round((refUg * multiple) / MASS_IN_UG[ref.unit], 3), unit: ref.unit },
    };
  return value > 0 ? { id, dose: { value, unit } } : { id };
}

function patient(
  rng: Rng,
  catalog: Catalog,
  plans: readonly AnalytePlan[],
  index: number,
): EvaluationRequest {
  const age = rng.weighted<() => number>([
    [() => rng.int(18, 45), 45],
    [() => rng.int(46, 70), 30],
    [() => rng.int(71, 95), 10],
    [() => rng.int(12, 17), 10],
    [() => rng.int(0, 11), 5],
  ])();
  const sex = rng.weighted<'female' | 'male' | 'other' | 'unknown' | undefined>([
    ['female', 50],
    ['male', 40],
    ['other', 3],
    ['unknown', 3],
    [undefined, 4],
  ]);
  const fertile = sex !== 'male' && age >= 13 && age <= 50;
  const pregnancy = fertile
    ? rng.weighted<'pregnant' | 'not-pregnant' | 'postpartum' | 'unknown' | undefined>([
        ['not-pregnant', 65],
        ['pregnant', 12],
        ['postpartum', 6],
        ['unknown', 7],
        [undefined, 10],
      ])
    : rng.chance(0.5)
      ? 'not-pregnant'
      : undefined;
  const lactating =
    pregnancy === 'postpartum'
      ? rng.chance(0.6)
      : fertile && rng.chance(0.3)
        ? rng.chance(0.1)
        : undefined;

  const request: {
    -readonly [K in keyof EvaluationRequest]: EvaluationRequest[K];
  } = {
    patient: {
      age,
      ...(sex === undefined ? {} : { sex }),
      ...(pregnancy === undefined ? {} : { pregnancy }),
      ...(lactating === undefined ? {} : { lactating }),
    },
  };
  if (rng.chance(0.9)) {
    const day = 1 + (index % 28);
    request.asOf = `2026-02-${String(day).padStart(2, '0')}T09:00:00Z`;
  }

  // A latent mood severity in [0, 1] shared by the questionnaires, so scores co-vary.
  const severity = Math.min(1, Math.max(0, rng.float() ** 1.5 + (rng.float() - 0.5) * 0.2));
  const questionnaires: QuestionnaireInput[] = [];
  for (const q of catalog.questionnaires.values()) {
    const p = q.id === 'phq-9' ? 0.65 : q.id === 'phq-2' ? 0.1 : 0.4;
    if (rng.chance(p)) questionnaires.push(questionnaire(rng, q, severity));
  }
  if (questionnaires.length > 0) request.questionnaires = questionnaires;

  const symptomIds = [...catalog.symptoms];
  const nSymptoms = rng.weighted([
    [0, 30],
    [1, 20],
    [2, 20],
    [3, 15],
    [5, 10],
    [8, 5],
  ]);
  if (nSymptoms > 0 && symptomIds.length > 0)
    request.symptoms = rng.sample(symptomIds, nSymptoms).map((id) => ({
      id,
      severity: rng.weighted([
        [0, 10],
        [1, 40],
        [2, 35],
        [3, 15],
      ]),
    }));

  if (rng.chance(0.35)) {
    const vitals: {
      temperatureC?: number;
      heartRate?: number;
      systolic?: number;
      diastolic?: number;
    } = {};
    if (rng.chance(0.7)) vitals.temperatureC = round(36 + rng.float() ** 3 * 4.5, 1);
    if (rng.chance(0.8)) vitals.heartRate = rng.int(48, 100 + (rng.chance(0.15) ? 60 : 0));
    if (rng.chance(0.8)) {
      const systolic = rng.int(95, 150 + (rng.chance(0.1) ? 70 : 0));
      vitals.systolic = systolic;
      vitals.diastolic = Math.min(
        200,
        Math.max(20, Math.round(systolic * (0.55 + rng.float() * 0.15))),
      );
    }
    request.vitals = vitals;
  }

  const nBiomarkers = rng.weighted([
    [0, 20],
    [2, 20],
    [4, 25],
    [6, 20],
    [10, 15],
  ]);
  if (nBiomarkers > 0 && plans.length > 0) {
    const chosen = rng.sample(plans, nBiomarkers);
    // Now and then a repeated result for the same analyte (the later one wins).
    if (rng.chance(0.05) && chosen[0] !== undefined) chosen.push(chosen[0]);
    request.biomarkers = chosen.map((plan) => biomarker(rng, plan));
  }

  const meds = medications(rng, catalog);
  if (meds !== undefined) request.medications = meds;
  const conds = conditions(rng, catalog);
  if (conds !== undefined) request.conditions = conds;

  const all = [...catalog.interventions.values()];
  const supplementIds = all.filter((i) => i.type === 'supplement').map((i) => i.id);
  const nSupplements = rng.weighted([
    [0, 65],
    [1, 25],
    [2, 10],
  ]);
  if (nSupplements > 0 && supplementIds.length > 0)
    request.supplements = rng
      .sample(supplementIds, nSupplements)
      .map((id) => (rng.chance(0.6) ? { id } : agent(rng, catalog, id)));

  const nRequested = rng.weighted([
    [0, 25],
    [1, 35],
    [2, 25],
    [4, 15],
  ]);
  if (nRequested > 0 && all.length > 0)
    request.requested = rng
      .sample(
        all.map((i) => i.id),
        nRequested,
      )
      .map((id) => (rng.chance(0.4) ? id : agent(rng, catalog, id)));

  return request;
}

/** `count` requests for `seed`; the same catalog and seed give the same requests. */
export function generatePatients(catalog: Catalog, options: GenerateOptions): EvaluationRequest[] {
  const rng = new Rng(options.seed);
  const plans = planAnalytes(catalog);
  const out: EvaluationRequest[] = [];
  for (let i = 0; i < options.count; i++) out.push(patient(rng, catalog, plans, i));
  return out;
}
