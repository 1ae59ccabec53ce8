import type { EvalState } from './state';
import type { FactModel } from '../facts/model';
import type { Catalog } from '../rules/catalog';
import type { HoldScope, Intervention } from '../rules/catalog-types';
import { expandTargets } from './compile';
import type { Ruleset } from './ruleset';
import { outcomeOf } from '../rules/rule-types';
import type { ReasonOutcome, RuleDef } from '../rules/rule-types';
import type {
  DataIssueOut,
  EvaluationResponse,
  FindingOut,
  Hit,
  InterventionOut,
  InterventionStatus,
  ReasonOut,
  RedFlagOut,
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
}

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
  plan = { targets: new Map(), place };
  plans.set(ruleset, plan);
  return plan;
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
        findings.push(
          band === null
            ? { id, evidenceGrade, message, ruleId, ruleVersion }
            : { id, band, evidenceGrade, message, ruleId, ruleVersion },
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
    const out = toIntervention(catalog, intervention, list, model.requested.has(id));
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
): InterventionOut {
  let status: InterventionStatus | undefined;
  for (const [kind, s] of STATUS_BY_PRECEDENCE) {
    if (reasons.some((r) => r.kind === kind)) {
      status = s;
      break;
    }
  }
  const all = status === undefined ? [noIndication(catalog)] : reasons;
  return {
    id: intervention.id,
    type: intervention.type,
    status: status ?? 'caution',
    evidenceGrade: intervention.evidenceGrade,
    requested,
    reasons: all,
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
