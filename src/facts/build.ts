import type { Catalog } from '../rules/catalog';
import type { Analyte, VitalName } from '../rules/catalog-types';
import { VITALS } from '../rules/catalog-types';
import type { ResolvedMedication } from './medications';
import { classStates, resolveAtc } from './medications';
import type { BiomarkerFact, DataProblem, FactModel, QuestionnaireFact } from './model';
import {
  bandOf,
  itemsByNumber,
  questionnaireProblems,
  totalOf,
  unknownKeyItems,
} from './questionnaires';
import { classify, resolveRange } from './ranges';
import type { AgentInput, BiomarkerInput, EvaluationRequest } from './request-types';
import { convertMass, doseUnitToMass, toCanonical, toSignificant } from './units';

export interface RequestProblem {
  readonly pointer: string;
  readonly message: string;
}

/**
 * Checks what the JSON Schema cannot: questionnaire arithmetic, duplicate instruments, known
 * local condition ids. An inconsistent request is refused (422), never guessed at.
 */
export function requestProblems(catalog: Catalog, request: EvaluationRequest): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const seen = new Set<string>();
  (request.questionnaires ?? []).forEach((q, i) => {
    const def = catalog.questionnaires.get(q.instrument);
    if (!def) return;
    if (seen.has(q.instrument))
      problems.push({
        pointer: `/questionnaires/${i}/instrument`,
        message: `${q.instrument} is sent twice`,
      });
    seen.add(q.instrument);
    for (const p of questionnaireProblems(def, q.items, q.total, q.answers))
      problems.push({ pointer: `/questionnaires/${i}${p.path}`, message: p.message });
  });
  (request.conditions ?? []).forEach((c, i) => {
    if ('id' in c && !catalog.conditions.has(c.id))
      problems.push({ pointer: `/conditions/${i}/id`, message: `unknown condition id "${c.id}"` });
  });
  (request.medications?.items ?? []).forEach((m, i) => {
    if (m.status === 'active' && m.stoppedDaysAgo !== undefined)
      problems.push({
        pointer: `/medications/items/${i}/stoppedDaysAgo`,
        message: 'an active medication has no stoppedDaysAgo',
      });
  });
  return problems;
}

/** Turns a validated, consistent request into the fact model. Never throws on data: problems become DataProblems. */
export function buildFacts(catalog: Catalog, request: EvaluationRequest): FactModel {
  const problems: DataProblem[] = [];
  const biomarkers = new Map<string, BiomarkerFact>();
  let urinaryNeurotransmitterSent = false;

  (request.biomarkers ?? []).forEach((b, i) => {
    const analyte = catalog.analytes.get(b.analyte);
    if (!analyte) return;
    if (analyte.urinaryNeurotransmitter === true) urinaryNeurotransmitterSent = true;
    // With repeated results for one analyte, the later entry in the list wins.
    biomarkers.set(analyte.id, biomarkerFact(catalog, analyte, b, `/biomarkers/${i}`, problems));
  });

  const questionnaires = new Map<string, QuestionnaireFact>();
  (request.questionnaires ?? []).forEach((q, i) => {
    const def = catalog.questionnaires.get(q.instrument);
    if (!def) return;
    // Answers to some items give no total: it stays unknown unless it was sent.
    const total = q.items !== undefined ? totalOf(def, q.items) : (q.total ?? null);
    questionnaires.set(def.id, {
      total,
      band: total === null ? null : bandOf(def, total),
      items: itemsByNumber(def, q.items, q.answers),
      pointer: `/questionnaires/${i}`,
    });
  });

  const symptoms = new Map<string, number>();
  for (const s of request.symptoms ?? [])
    symptoms.set(s.id, Math.max(s.severity, symptoms.get(s.id) ?? 0));

  const vitals: Partial<Record<VitalName, number>> = {};
  for (const name of VITALS) {
    const v = request.vitals?.[name];
    if (v !== undefined) vitals[name] = v;
  }

  const meds: ResolvedMedication[] = [];
  (request.medications?.items ?? []).forEach((m, i) => {
    const atc = resolveAtc(catalog, m.name, m.atc);
    if (atc === undefined) {
      problems.push({
        code: 'DATA-MED-UNKNOWN',
        pointer: `/medications/items/${i}/name`,
        detail: 'medication name not found in the catalog; give its ATC code',
      });
      return;
    }
    meds.push({
      atc,
      status: m.status,
      ...(m.stoppedDaysAgo === undefined ? {} : { stoppedDaysAgo: m.stoppedDaysAgo }),
    });
  });
  const supplementsTaken = new Set<string>();
  for (const s of request.supplements ?? []) {
    supplementsTaken.add(s.id);
    const atc = catalog.interventions.get(s.id)?.atc;
    // 5-HTP, tryptophan and St John's wort have ATC codes: taken now, they count as active drugs.
    if (atc !== undefined) meds.push({ atc, status: 'active' });
  }
  const medicationsAttested = request.medications?.attested === true;
  if (!medicationsAttested)
    problems.push({
      code: 'DATA-MEDS-UNATTESTED',
      pointer: request.medications ? '/medications/attested' : '/medications',
      detail: 'medication list not attested complete',
    });

  const conditions = new Set<string>();
  for (const c of request.conditions ?? []) {
    if ('id' in c) conditions.add(c.id);
    else {
      const code = c.icd10.replace('.', '').toUpperCase();
      for (const cond of catalog.conditions.values()) {
        if (cond.icd10Prefixes.some((p) => code.startsWith(p.replace('.', ''))))
          conditions.add(cond.id);
      }
    }
  }

  const requested = new Map<string, { pointer: string; overUpperLimit: boolean | null }>();
  (request.requested ?? []).forEach((r, i) => {
    const agent: AgentInput = typeof r === 'string' ? { id: r } : r;
    requested.set(agent.id, {
      pointer: `/requested/${i}`,
      overUpperLimit: overUpperLimit(catalog, agent),
    });
  });

  // A questionnaire with items that matter one by one (the catalog names them and the code).
  (request.questionnaires ?? []).forEach((q, i) => {
    const def = catalog.questionnaires.get(q.instrument);
    const code = def?.itemsMissingCode;
    if (def === undefined || code === undefined || q.items !== undefined) return;
    const unknown = unknownKeyItems(def, itemsByNumber(def, q.items, q.answers));
    if (unknown.length > 0)
      problems.push({
        code,
        pointer: `/questionnaires/${i}/${q.answers === undefined ? 'items' : 'answers'}`,
        detail: `${q.instrument} without item ${unknown.join(', ')}: items that matter on their own are unknown`,
      });
  });

  return {
    age: request.patient.age,
    sex: request.patient.sex ?? 'unknown',
    pregnancy: request.patient.pregnancy ?? 'unknown',
    lactating: request.patient.lactating ?? null,
    biomarkers,
    questionnaires,
    symptoms,
    vitals,
    medicationClasses: classStates(catalog, meds),
    medicationsAttested,
    conditions,
    supplementsTaken,
    requested,
    problems,
    urinaryNeurotransmitterSent,
  };
}

/** One biomarker's fact; what makes it uninterpretable is added to `problems`. */
function biomarkerFact(
  catalog: Catalog,
  analyte: Analyte,
  b: BiomarkerInput,
  pointer: string,
  problems: DataProblem[],
): BiomarkerFact {
  const value = toCanonical(catalog, analyte, b.value, b.unit);
  if (!value.ok) {
    problems.push({
      code: value.problem,
      pointer: `${pointer}/unit`,
      detail: `${analyte.id}: unit ${b.unit === undefined ? 'missing' : `"${b.unit}" not usable`}`,
    });
    return { status: 'uninterpretable', value: null, ulnMultiple: null, pointer };
  }
  if (value.converted)
    problems.push({
      code: 'DATA-UNIT-CONVERTED',
      pointer: `${pointer}/unit`,
      detail: `${analyte.id} converted to ${catalog.unitFamilies.get(analyte.unitFamily)?.family.canonical ?? ''}`,
    });
  const range = resolveRange(catalog, analyte, b);
  if (!range.ok) {
    problems.push({
      code: range.problem,
      pointer:
        range.problem === 'DATA-RI-MISSING'
          ? `${pointer}/referenceRange`
          : `${pointer}/referenceRange/unit`,
      detail: `${analyte.id}: no usable reference range`,
    });
    return { status: 'uninterpretable', value: value.value, ulnMultiple: null, pointer };
  }
  const high = range.range.high;
  return {
    status: classify(value.value, range.range),
    value: value.value,
    // A ratio of two separately rounded values can land a hair under N (2.99999999999): 9
    // significant figures keep "exactly 3× ULN" at 3 whatever the unit.
    ulnMultiple: high !== undefined && high > 0 ? toSignificant(value.value / high, 9) : null,
    pointer,
  };
}

function overUpperLimit(catalog: Catalog, agent: AgentInput): boolean | null {
  const ul = catalog.interventions.get(agent.id)?.upperLimit;
  if (agent.dose === undefined || ul === undefined) return false;
  return convertMass(agent.dose.value, doseUnitToMass(agent.dose.unit), ul.unit) > ul.value;
}
