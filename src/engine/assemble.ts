import type { EvalState } from './state';
import type { FactModel } from '../facts/model';
import type { Catalog } from '../rules/catalog';
import type { Grade, HoldScope, Intervention } from '../rules/catalog-types';
import { expandTargets } from './compile';
import { policyConditionHolds } from './policy-conditions';
import type { Ruleset } from './ruleset';
import { childrenOf, isLeaf, outcomeOf } from '../rules/rule-types';
import type { Condition, ReasonOutcome, RuleDef } from '../rules/rule-types';
import type {
  DataIssueOut,
  EvaluationResponse,
  FindingOut,
  Hit,
  InterventionInfo,
  InterventionOut,
  InterventionStatus,
  ReasonOut,
  RedFlagOut,
  RuleRef,
} from './response-types';

interface AssembleExtras {
  readonly evaluationId: string;
  readonly asOf: string;
  readonly hits: readonly Hit[];
  readonly notFired?: readonly Hit[];
}

const URGENCY_ORDER = ['emergency', 'same-day', 'urgent', 'routine'] as const;
const TYPE_ORDER = ['referral', 'therapy', 'supplement'] as const;
/** String.prototype.localeCompare's order (same default locale), without a collator per call. */
const byId = new Intl.Collator().compare;

/** What assembly derives from the ruleset alone, computed once per ruleset (for speed). */
interface Plan {
  /** Each reason outcome's target interventions (`expandTargets`), filled as outcomes are met. */
  readonly targets: Map<ReasonOutcome, readonly string[]>;
  /**
   * Each intervention's place in the answer order (type, then id): equal places for ids the
   * comparator cannot tell apart, so a stable sort on places gives the comparator's own order.
   */
  readonly place: ReadonlyMap<string, number>;
  /** What each intervention's answer carries from the catalog: one frozen object, shared. */
  readonly info: ReadonlyMap<string, InterventionInfo>;
  /**
   * What each finding rule reports beside its band (its instrument's score, or its analyte's
   * value), filled as rules are met; null when it reads no single instrument or analyte.
   */
  readonly findingSource: Map<RuleDef, FindingSource | null>;
}

type FindingSource =
  { readonly instrument: string } | { readonly analyte: string; readonly unit: string };

const plans = new WeakMap<Ruleset, Plan>();

function planOf(ruleset: Ruleset): Plan {
  let plan = plans.get(ruleset);
  if (plan) return plan;
  const byAnswerOrder = (a: Intervention, b: Intervention): number =>
    TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || byId(a.id, b.id);
  const sorted = [...ruleset.catalog.interventions.values()].sort(byAnswerOrder);
  const place = new Map<string, number>();
  sorted.forEach((intervention, i) => {
    const prev = sorted[i - 1];
    const same = prev !== undefined && byAnswerOrder(prev, intervention) === 0;
    place.set(intervention.id, same ? (place.get(prev.id) ?? i) : i);
  });
  const info = new Map<string, InterventionInfo>();
  for (const i of ruleset.catalog.interventions.values()) info.set(i.id, infoOf(i));
  plan = { targets: new Map(), place, info, findingSource: new Map() };
  plans.set(ruleset, plan);
  return plan;
}

function infoOf(i: Intervention): InterventionInfo {
  const { name, mechanism, studiedDose, upperLimit, references } = i;
  return Object.freeze({
    name,
    ...(mechanism === undefined ? {} : { mechanism }),
    ...(studiedDose === undefined ? {} : { studiedDose }),
    ...(upperLimit === undefined ? {} : { upperLimit }),
    references,
  });
}

/**
 * The one questionnaire or analyte a finding is about: named by its id (`<instrument>-severity`,
 * `<analyte>-low`/`-high`), or else the only one its rule's conditions read (a named pattern).
 */
function findingSourceOf(
  plan: Plan,
  catalog: Catalog,
  rule: RuleDef,
  id: string,
): FindingSource | null {
  const cached = plan.findingSource.get(rule);
  if (cached !== undefined) return cached;
  const instruments = new Set<string>();
  const analytes = new Set<string>();
  const walk = (c: Condition): void => {
    if (!isLeaf(c)) {
      childrenOf(c).forEach(walk);
      return;
    }
    const { instrument, analyte } = c.params ?? {};
    if (c.fact.startsWith('questionnaire-') && typeof instrument === 'string')
      instruments.add(instrument);
    if (c.fact.startsWith('biomarker-') && typeof analyte === 'string') analytes.add(analyte);
  };
  walk(rule.when);
  const named = /^(.*)-(severity|low|high)$/.exec(id)?.[1];
  const instrument =
    named !== undefined && catalog.questionnaires.has(named)
      ? named
      : instruments.size === 1 && analytes.size === 0
        ? [...instruments][0]
        : undefined;
  const analyte =
    named !== undefined && catalog.analytes.has(named)
      ? named
      : analytes.size === 1 && instruments.size === 0
        ? [...analytes][0]
        : undefined;
  const unitFamily = analyte === undefined ? undefined : catalog.analytes.get(analyte)?.unitFamily;
  const unit =
    unitFamily === undefined ? undefined : catalog.unitFamilies.get(unitFamily)?.family.canonical;
  const source: FindingSource | null =
    instrument !== undefined
      ? { instrument }
      : analyte !== undefined && unit !== undefined
        ? { analyte, unit }
        : null;
  plan.findingSource.set(rule, source);
  return source;
}

/** A finding as the answer reports it: with its band, and its score or value where it has one. */
function findingOut(
  source: FindingSource | null,
  model: FactModel,
  base: { id: string; band: string | null; evidenceGrade: Grade; message: string } & RuleRef,
): FindingOut {
  const { id, band, evidenceGrade, message, ruleId, ruleVersion } = base;
  if (source !== null && 'instrument' in source) {
    const score = model.questionnaires.get(source.instrument)?.total;
    if (score !== undefined && score !== null)
      return band === null
        ? { id, score, evidenceGrade, message, ruleId, ruleVersion }
        : { id, band, score, evidenceGrade, message, ruleId, ruleVersion };
  } else if (source !== null) {
    const fact = model.biomarkers.get(source.analyte);
    if (fact !== undefined && fact.value !== null) {
      const { value, ulnMultiple } = fact;
      const { unit } = source;
      return ulnMultiple === null
        ? { id, value, unit, evidenceGrade, message, ruleId, ruleVersion }
        : { id, value, unit, ulnMultiple, evidenceGrade, message, ruleId, ruleVersion };
    }
  }
  return band === null
    ? { id, evidenceGrade, message, ruleId, ruleVersion }
    : { id, band, evidenceGrade, message, ruleId, ruleVersion };
}

function targetsOf(plan: Plan, ruleset: Ruleset, outcome: ReasonOutcome): readonly string[] {
  let ids = plan.targets.get(outcome);
  if (ids === undefined) {
    ids = expandTargets(ruleset.catalog, outcome);
    plan.targets.set(outcome, ids);
  }
  return ids;
}

export function assemble(
  ruleset: Ruleset,
  model: FactModel,
  state: EvalState,
  fired: readonly RuleDef[],
  extras: AssembleExtras,
): EvaluationResponse {
  const { catalog } = ruleset;
  const plan = planOf(ruleset);

  const dataIssues = collectDataIssues(ruleset, model, fired);

  const redFlags: { flag: RedFlagOut; rule: RuleDef }[] = [];
  const findings: FindingOut[] = [];
  const reasons = new Map<string, ReasonOut[]>();
  const addReason = (id: string, reason: ReasonOut): void => {
    const list = reasons.get(id);
    if (list === undefined) reasons.set(id, [reason]);
    else if (!list.some((r) => r.code === reason.code && r.ruleId === reason.ruleId))
      list.push(reason);
  };

  for (const rule of fired) {
    const o = outcomeOf(rule);
    // Output objects are written out whole, without spreads: this runs for every fired rule.
    const { id: ruleId, version: ruleVersion } = rule;
    switch (o.type) {
      case 'redFlag': {
        const { code, message, action, referral } = o.redFlag;
        const urgency = catalog.reasonCodes.get(code)?.urgency ?? 'emergency';
        const flag: RedFlagOut =
          referral === undefined
            ? { code, urgency, message, action, ruleId, ruleVersion }
            : { code, urgency, message, action, referral, ruleId, ruleVersion };
        redFlags.push({ flag, rule });
        if (referral !== undefined)
          addReason(referral, { code, kind: 'indication', ruleId, ruleVersion, message: action });
        break;
      }
      case 'finding': {
        const { id, message } = o.finding;
        if (findings.some((f) => f.id === id)) break;
        const band = state.findings.get(id) ?? null;
        const evidenceGrade = rule.evidence.grade;
        const source = findingSourceOf(plan, catalog, rule, id);
        findings.push(
          findingOut(source, model, { id, band, evidenceGrade, message, ruleId, ruleVersion }),
        );
        break;
      }
      case 'propose':
      case 'block':
      case 'caution':
      case 'defer': {
        const outcome = o.reason;
        const { code, message, detail } = outcome;
        const reasonCode = catalog.reasonCodes.get(code);
        const severity =
          (detail === undefined
            ? undefined
            : reasonCode?.details?.find((d) => d.id === detail)?.severity) ?? reasonCode?.severity;
        const reason: ReasonOut = {
          code,
          ...(detail === undefined ? {} : { detail }),
          kind: REASON_KIND[o.type],
          ...(severity === undefined ? {} : { severity }),
          ruleId,
          ruleVersion,
          message,
        };
        for (const id of targetsOf(plan, ruleset, outcome)) addReason(id, reason);
        break;
      }
      case 'dataIssue':
        break;
    }
  }

  for (const id of model.requested.keys()) if (!reasons.has(id)) reasons.set(id, []);
  // Every supplement the patient takes is reported, with its safety status (a review, not an offer).
  for (const id of model.supplementsTaken) if (!reasons.has(id)) reasons.set(id, []);

  // Holds that come from the situation, not from one agent's rule: catalog policies acting on
  // the red flags and data issues that rules raised. Each names the rule and the policy.
  const holds = situationHolds(catalog, redFlags, fired);
  if (holds.length > 0) {
    for (const [id, list] of reasons) {
      const intervention = catalog.interventions.get(id);
      for (const { scope, reason } of holds)
        if (inScope(ruleset, intervention, id, scope)) list.push(reason);
    }
  }

  // With none of a hold-without-data policy's needs known, options nothing indicates are held.
  for (const { scope, reasons: held } of withoutDataHolds(catalog, model, state)) {
    for (const [id, list] of reasons) {
      if (list.some((r) => r.kind === 'indication')) continue;
      if (inScope(ruleset, catalog.interventions.get(id), id, scope)) list.push(...held);
    }
  }

  const placed: { place: number; out: InterventionOut }[] = [];
  for (const [id, list] of reasons) {
    const intervention = catalog.interventions.get(id);
    if (!intervention) continue;
    // A caution or hold on an agent nobody asked about, takes or has an indication for would
    // read as an offer; blocks are always shown, as safety information.
    const relevant =
      model.requested.has(id) ||
      model.supplementsTaken.has(id) ||
      list.some((r) => r.kind === 'indication' || r.kind === 'block');
    if (!relevant) continue;
    const out = toIntervention(
      catalog,
      intervention,
      list,
      model.requested.has(id),
      model.supplementsTaken.has(id),
      plan.info.get(id) ?? infoOf(intervention),
    );
    placed.push({ place: plan.place.get(id) ?? 0, out });
  }
  // By type, then id, through the precomputed places (the collator is slow per comparison).
  const interventions = placed.sort((a, b) => a.place - b.place).map((p) => p.out);

  redFlags.sort(
    (a, b) => URGENCY_ORDER.indexOf(a.flag.urgency) - URGENCY_ORDER.indexOf(b.flag.urgency),
  );

  const disclaimers = catalog.disclaimers
    .filter((d) => d.when === 'always' || model.urinaryNeurotransmitterSent)
    .map((d) => ({ id: d.id, text: d.text }));

  const { evaluationId, asOf, hits, notFired } = extras;
  const rulesetRef = {
    id: ruleset.manifest.id,
    version: ruleset.manifest.version,
    hash: ruleset.hash,
  };
  const flags = redFlags.map((f) => f.flag);
  // Two literals rather than a spread or an undefined notFired: each keeps one fixed shape, the
  // one JSON.stringify serialises fastest, with the keys in the documented order.
  return notFired
    ? {
        evaluationId,
        asOf,
        ruleset: rulesetRef,
        redFlags: flags,
        findings,
        interventions,
        dataIssues,
        hits,
        notFired,
        disclaimers,
      }
    : {
        evaluationId,
        asOf,
        ruleset: rulesetRef,
        redFlags: flags,
        findings,
        interventions,
        dataIssues,
        hits,
        disclaimers,
      };
}

/** The kind of reason each reason-giving outcome type gives. */
const REASON_KIND: Readonly<Record<'propose' | 'block' | 'caution' | 'defer', ReasonOut['kind']>> =
  {
    propose: 'indication',
    block: 'block',
    caution: 'caution',
    defer: 'deferral',
  };

const STATUS_BY_PRECEDENCE: readonly [ReasonOut['kind'], InterventionStatus][] = [
  ['block', 'blocked'],
  ['deferral', 'deferred'],
  ['caution', 'caution'],
  ['indication', 'candidate'],
];

interface Hold {
  readonly scope: HoldScope;
  readonly reason: ReasonOut;
}

/** The holds catalog policies put on options, given the red flags and data rules that fired. */
function situationHolds(
  catalog: Catalog,
  redFlags: readonly { flag: RedFlagOut }[],
  fired: readonly RuleDef[],
): Hold[] {
  const { policies } = catalog;
  const holds: Hold[] = [];
  for (const policy of policies.redFlagHolds) {
    const { urgencies, holds: scope } = policy.holdOnRedFlag;
    for (const { flag } of redFlags) {
      if (!urgencies.includes(flag.urgency)) continue;
      holds.push({
        scope,
        reason: {
          code: flag.code,
          kind: 'deferral',
          ruleId: flag.ruleId,
          ruleVersion: flag.ruleVersion,
          policyId: policy.id,
          policyVersion: policy.version,
          message: `Held back: ${flag.action}`,
        },
      });
    }
  }
  if (policies.dataHolds.size > 0) {
    const seen = new Set<string>();
    for (const rule of fired) {
      const o = outcomeOf(rule);
      if (o.type !== 'dataIssue') continue;
      const { code, message } = o.dataIssue;
      const policy = policies.dataHolds.get(code);
      if (policy === undefined || seen.has(code)) continue;
      seen.add(code);
      holds.push({
        scope: policy.holdOnDataIssue.holds,
        reason: {
          code,
          kind: 'deferral',
          ruleId: rule.id,
          ruleVersion: rule.version,
          policyId: policy.id,
          policyVersion: policy.version,
          message,
        },
      });
    }
  }
  return holds;
}

/** The holds of hold-without-data policies none of whose needs is known in this request. */
function withoutDataHolds(
  catalog: Catalog,
  model: FactModel,
  state: EvalState,
): { scope: HoldScope; reasons: ReasonOut[] }[] {
  const out: { scope: HoldScope; reasons: ReasonOut[] }[] = [];
  for (const policy of catalog.policies.withoutData) {
    const { code, holds, needs } = policy.holdWithoutData;
    if (needs.some((need) => policyConditionHolds(need.knownWhen, model, state))) continue;
    out.push({
      scope: holds,
      reasons: needs.map((need) => ({
        code,
        detail: need.detail,
        kind: 'deferral',
        policyId: policy.id,
        policyVersion: policy.version,
        message: need.message,
      })),
    });
  }
  return out;
}

function inScope(
  ruleset: Ruleset,
  intervention: Intervention | undefined,
  id: string,
  scope: HoldScope,
): boolean {
  switch (scope) {
    case 'supplements':
      return intervention?.type === 'supplement';
    case 'interaction-agents':
      return intervention?.type === 'supplement' && ruleset.compiled.interactionAgents.has(id);
    case 'condition-agents':
      return intervention?.type === 'supplement' && ruleset.compiled.conditionAgents.has(id);
  }
}

/** Safety wins: blocked over deferred over caution over candidate. */
function toIntervention(
  catalog: Catalog,
  intervention: Intervention,
  reasons: ReasonOut[],
  requested: boolean,
  current: boolean,
  info: InterventionInfo,
): InterventionOut {
  let status: InterventionStatus | undefined;
  for (const [kind, s] of STATUS_BY_PRECEDENCE) {
    if (reasons.some((r) => r.kind === kind)) {
      status = s;
      break;
    }
  }
  const all = status === undefined ? [noIndication(catalog)] : reasons;
  const { id, type, evidenceGrade } = intervention;
  // Two literals, each of one fixed shape (see the answer's own literals below).
  return current
    ? {
        id,
        type,
        status: status ?? 'caution',
        evidenceGrade,
        requested,
        current: true,
        reasons: all,
        catalog: info,
      }
    : {
        id,
        type,
        status: status ?? 'caution',
        evidenceGrade,
        requested,
        reasons: all,
        catalog: info,
      };
}

/**
 * Every data issue a data rule raised, pointed at where it is in the request; and every problem
 * the fact layer detected that no rule covered, so nothing is lost.
 */
function collectDataIssues(
  ruleset: Ruleset,
  model: FactModel,
  fired: readonly RuleDef[],
): DataIssueOut[] {
  const out: DataIssueOut[] = [];
  const covered = new Set<string>();
  for (const rule of fired) {
    const o = outcomeOf(rule);
    if (o.type !== 'dataIssue') continue;
    const issue = o.dataIssue;
    const ref = { ruleId: rule.id, ruleVersion: rule.version };
    covered.add(issue.code);
    if (issue.analyte !== undefined) {
      out.push({
        code: issue.code,
        pointer: model.biomarkers.get(issue.analyte)?.pointer ?? '/biomarkers',
        message: issue.message,
        ...ref,
      });
      continue;
    }
    if (issue.instrument !== undefined) {
      out.push({
        code: issue.code,
        pointer: model.questionnaires.get(issue.instrument)?.pointer ?? '/questionnaires',
        message: issue.message,
        ...ref,
      });
      continue;
    }
    const detected = model.problems.filter((p) => p.code === issue.code);
    if (detected.length === 0)
      out.push({ code: issue.code, pointer: '', message: issue.message, ...ref });
    for (const p of detected)
      out.push({
        code: issue.code,
        pointer: p.pointer,
        message: issue.message,
        detail: p.detail,
        ...ref,
      });
  }
  for (const p of model.problems) {
    if (covered.has(p.code)) continue;
    const title = ruleset.catalog.reasonCodes.get(p.code)?.title ?? p.code;
    out.push({ code: p.code, pointer: p.pointer, message: title, detail: p.detail });
  }
  return out;
}

/** The no-indication caution, as its catalog policy words it. */
function noIndication(catalog: Catalog): ReasonOut {
  const policy = catalog.policies.noIndication;
  // The loader refuses a catalog without exactly one noIndication policy.
  if (policy === undefined) throw new Error('the catalog has no noIndication policy');
  const { code, message } = policy.noIndication;
  const severity = catalog.reasonCodes.get(code)?.severity;
  return {
    code,
    kind: 'caution',
    ...(severity === undefined ? {} : { severity }),
    policyId: policy.id,
    policyVersion: policy.version,
    message,
  };
}
