import type { Catalog } from '../rules/catalog';
import type { VitalName } from '../rules/catalog-types';
import { VITALS } from '../rules/catalog-types';
import { biomarkerFacts } from './biomarkers';
import { doseFacts } from './doses';
import type { ResolvedMedication } from './medications';
import { classStates, resolveAtc } from './medications';
import type { DataProblem, FactModel, QuestionnaireFact } from './model';
import {
  anyModerateOrWorse,
  bandOf,
  itemsByNumber,
  questionnaireProblems,
  totalOf,
  unknownKeyItems,
} from './questionnaires';
import type {
  AgentInput,
  ConditionInput,
  EvaluationRequest,
  MedicationInput,
} from './request-types';
import { daysToAsOf, instantOf, olderThan, wholeDays } from './time';
import { convertMass, doseUnitToMass } from './units';

export interface RequestProblem {
  readonly pointer: string;
  readonly message: string;
}

/**
 * Checks what the JSON Schema cannot: questionnaire arithmetic, duplicate instruments, known
 * local condition ids, results dated after `asOf` (default: the request's own), one stop date per
 * medication. An inconsistent request is refused (422), never guessed at.
 */
export function requestProblems(
  catalog: Catalog,
  request: EvaluationRequest,
  asOf: string | undefined = request.asOf,
): RequestProblem[] {
  const problems: RequestProblem[] = [];
  if (asOf !== undefined) futureProblems(request, asOf, problems);
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
    const at = `/medications/items/${i}`;
    if (m.status === 'active' && m.stoppedDaysAgo !== undefined)
      problems.push({
        pointer: `${at}/stoppedDaysAgo`,
        message: 'an active medication has no stoppedDaysAgo',
      });
    if (m.status === 'active' && m.stoppedOn !== undefined)
      problems.push({
        pointer: `${at}/stoppedOn`,
        message: 'an active medication has no stoppedOn',
      });
    if (m.stoppedDaysAgo !== undefined && m.stoppedOn !== undefined)
      problems.push({
        pointer: `${at}/stoppedOn`,
        message: 'give stoppedOn or stoppedDaysAgo, not both',
      });
  });
  return problems;
}

/** A result or stop date after asOf describes a moment that has not happened yet. */
function futureProblems(
  request: EvaluationRequest,
  asOf: string,
  problems: RequestProblem[],
): void {
  // Plain loops, and asOf parsed only when something is dated (this runs for every request).
  let now: number | undefined;
  const biomarkers = request.biomarkers ?? [];
  for (let i = 0; i < biomarkers.length; i += 1) {
    const at = biomarkers[i]?.collectedAt;
    if (at === undefined) continue;
    now ??= instantOf(asOf);
    if (instantOf(at) > now)
      problems.push({
        pointer: `/biomarkers/${i}/collectedAt`,
        message: `collectedAt ${at} is after asOf ${asOf}`,
      });
  }
  const questionnaires = request.questionnaires ?? [];
  for (let i = 0; i < questionnaires.length; i += 1) {
    const at = questionnaires[i]?.completedAt;
    if (at === undefined) continue;
    now ??= instantOf(asOf);
    if (instantOf(at) > now)
      problems.push({
        pointer: `/questionnaires/${i}/completedAt`,
        message: `completedAt ${at} is after asOf ${asOf}`,
      });
  }
  const meds = request.medications?.items ?? [];
  for (let i = 0; i < meds.length; i += 1) {
    const on = meds[i]?.stoppedOn;
    if (on !== undefined && daysToAsOf(on, asOf) < 0)
      problems.push({
        pointer: `/medications/items/${i}/stoppedOn`,
        message: `stoppedOn ${on} is after the date of asOf ${asOf}`,
      });
  }
}

/**
 * Turns a validated, consistent request into the fact model. Never throws on data: problems
 * become DataProblems. Results are judged stale against `asOf` (default: the request's own;
 * answer() passes the one it answers for); without one, no result is judged stale.
 */
export function buildFacts(
  catalog: Catalog,
  request: EvaluationRequest,
  asOf: string | undefined = request.asOf,
): FactModel {
  const problems: DataProblem[] = [];
  const now = asOf === undefined ? undefined : instantOf(asOf);
  const { facts: biomarkers, urinaryNeurotransmitterSent } = biomarkerFacts(
    catalog,
    request.biomarkers ?? [],
    now,
    problems,
  );

  const questionnaires = new Map<string, QuestionnaireFact>();
  const staleQuestionnaires = new Set<number>();
  (request.questionnaires ?? []).forEach((q, i) => {
    const def = catalog.questionnaires.get(q.instrument);
    if (!def) return;
    const pointer = `/questionnaires/${i}`;
    if (questionnaireStale(catalog, def.id, q.completedAt, now, pointer, problems)) {
      // Stale is unknown: no score, band or item reaches the rules.
      staleQuestionnaires.add(i);
      questionnaires.set(def.id, { total: null, band: null, items: null, pointer });
      return;
    }
    // Answers to some items give no total: it stays unknown unless it was sent.
    const total = q.items !== undefined ? totalOf(def, q.items) : (q.total ?? null);
    questionnaires.set(def.id, {
      total,
      band: total === null ? null : bandOf(def, total),
      items: itemsByNumber(def, q.items, q.answers),
      pointer,
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
    const stoppedDaysAgo = stoppedDaysAgoOf(m, asOf);
    meds.push({
      atc,
      status: m.status,
      ...(stoppedDaysAgo === undefined ? {} : { stoppedDaysAgo }),
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
  (request.conditions ?? []).forEach((c, i) => {
    const ids = conditionIds(catalog, c);
    for (const id of ids) conditions.add(id);
    // A code the catalog cannot map could be one a condition rule depends on: never dropped.
    if (ids.length === 0)
      problems.push({
        code: 'DATA-CONDITION-UNKNOWN',
        pointer: `/conditions/${String(i)}/${'icd10' in c ? 'icd10' : 'snomed'}`,
        detail: `${'icd10' in c ? 'ICD-10-CM code' : 'SNOMED CT concept'} not mapped to a catalog condition`,
      });
  });

  const requested = new Map<string, { pointer: string; overUpperLimit: boolean | null }>();
  (request.requested ?? []).forEach((r, i) => {
    const agent: AgentInput = typeof r === 'string' ? { id: r } : r;
    requested.set(agent.id, {
      pointer: `/requested/${i}`,
      overUpperLimit: overUpperLimit(catalog, agent),
    });
  });

  // A questionnaire with items that matter one by one (the catalog names them and the code):
  // stale, or sent without them (a total alone, or other items' answers), they are unknown.
  (request.questionnaires ?? []).forEach((q, i) => {
    const def = catalog.questionnaires.get(q.instrument);
    const code = def?.itemsMissingCode;
    if (def === undefined || code === undefined) return;
    if (staleQuestionnaires.has(i)) {
      problems.push({
        code,
        pointer: `/questionnaires/${i}/completedAt`,
        detail: `${q.instrument} is stale: items that matter on their own are unknown today`,
      });
      return;
    }
    if (q.items !== undefined) return;
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
    questionnaireModerateOrWorse: anyModerateOrWorse(catalog, questionnaires),
    symptoms,
    vitals,
    medicationClasses: classStates(catalog, meds),
    medicationsAttested,
    conditions,
    supplementsTaken,
    supplementTagsTaken: new Set(
      [...supplementsTaken].flatMap((id) => catalog.interventions.get(id)?.tags ?? []),
    ),
    requested,
    doses: doseFacts(catalog, request),
    problems,
    urinaryNeurotransmitterSent,
  };
}

/** The catalog conditions a reported condition maps to: ICD-10-CM by prefix, SNOMED CT exactly. */
function conditionIds(catalog: Catalog, c: ConditionInput): string[] {
  if ('id' in c) return [c.id];
  const ids: string[] = [];
  if ('icd10' in c) {
    const code = c.icd10.replace('.', '').toUpperCase();
    for (const cond of catalog.conditions.values())
      if (cond.icd10Prefixes.some((p) => code.startsWith(p.replace('.', '')))) ids.push(cond.id);
    return ids;
  }
  for (const cond of catalog.conditions.values())
    if (cond.snomed?.includes(c.snomed) === true) ids.push(cond.id);
  return ids;
}

/** A dated questionnaire older than its window (policy `staleAfter`) is reported. */
function questionnaireStale(
  catalog: Catalog,
  instrument: string,
  completedAt: string | undefined,
  asOf: number | undefined,
  pointer: string,
  problems: DataProblem[],
): boolean {
  const staleness = catalog.policies.staleness;
  const days = staleness?.questionnaireDays.get(instrument);
  if (completedAt === undefined || asOf === undefined || !staleness || days === undefined)
    return false;
  const at = instantOf(completedAt);
  if (!olderThan(at, asOf, days)) return false;
  const { policy } = staleness;
  problems.push({
    code: policy.staleAfter.code,
    pointer: `${pointer}/completedAt`,
    detail: `${instrument}: completed ${wholeDays(at, asOf)} days before asOf; window ${days} days (${policy.id} v${policy.version})`,
  });
  return true;
}

/** Days since a stopped medication was stopped, from stoppedDaysAgo or stoppedOn (to asOf's date). */
function stoppedDaysAgoOf(m: MedicationInput, asOf: string | undefined): number | undefined {
  if (m.stoppedDaysAgo !== undefined) return m.stoppedDaysAgo;
  // Without asOf the stop date cannot be placed: undefined counts as still in washout.
  if (m.stoppedOn === undefined || asOf === undefined) return undefined;
  return Math.max(0, daysToAsOf(m.stoppedOn, asOf));
}

function overUpperLimit(catalog: Catalog, agent: AgentInput): boolean | null {
  const ul = catalog.interventions.get(agent.id)?.upperLimit;
  if (agent.dose === undefined || ul === undefined) return false;
  return convertMass(agent.dose.value, doseUnitToMass(agent.dose.unit), ul.unit) > ul.value;
}
