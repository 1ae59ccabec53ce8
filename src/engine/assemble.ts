import type { EvalState } from '../facts/registry';
import type { FactModel } from '../facts/model';
import type { Intervention } from '../rules/catalog-types';
import { expandTargets } from '../rules/compile';
import type { Ruleset } from '../rules/load';
import type { RuleDef } from '../rules/rule-types';
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
/** Red flags of these urgencies take the supplement workflow off the table for now. */
const DEFERRING_URGENCIES: ReadonlySet<string> = new Set(['emergency', 'same-day']);
/**
 * Missing data that holds agents back until it is supplied: an incomplete medication list holds
 * every agent that has an interaction rule; an unknown PHQ-9 item 9 (self-harm) holds every
 * supplement, as a same-day red flag would, until item 9 is asked.
 */
const HOLDING_DATA: readonly {
  readonly code: string;
  readonly holds: 'interaction-agents' | 'supplements';
}[] = [
  { code: 'DATA-MEDS-UNATTESTED', holds: 'interaction-agents' },
  { code: 'DATA-MED-UNKNOWN', holds: 'interaction-agents' },
  { code: 'DATA-ITEM9-MISSING', holds: 'supplements' },
];

export function assemble(
  ruleset: Ruleset,
  model: FactModel,
  state: EvalState,
  fired: readonly RuleDef[],
  extras: AssembleExtras,
): EvaluationResponse {
  const { catalog } = ruleset;
  const ref = (rule: RuleDef): { ruleId: string; ruleVersion: number } => ({
    ruleId: rule.id,
    ruleVersion: rule.version,
  });

  const dataIssues = collectDataIssues(ruleset, model, fired);

  const redFlags: (RedFlagOut & { rule: RuleDef })[] = [];
  const findings: FindingOut[] = [];
  const reasons = new Map<string, ReasonOut[]>();
  const addReason = (id: string, reason: ReasonOut): void => {
    const list = reasons.get(id) ?? [];
    if (!list.some((r) => r.code === reason.code && r.ruleId === reason.ruleId)) list.push(reason);
    reasons.set(id, list);
  };

  for (const rule of fired) {
    const then = rule.then;
    if ('redFlag' in then) {
      const code = catalog.reasonCodes.get(then.redFlag.code);
      redFlags.push({
        code: then.redFlag.code,
        urgency: code?.urgency ?? 'emergency',
        message: then.redFlag.message,
        action: then.redFlag.action,
        ...(then.redFlag.referral === undefined ? {} : { referral: then.redFlag.referral }),
        ...ref(rule),
        rule,
      });
      if (then.redFlag.referral !== undefined)
        addReason(then.redFlag.referral, {
          code: then.redFlag.code,
          kind: 'indication',
          ...ref(rule),
          message: then.redFlag.action,
        });
    } else if ('finding' in then) {
      if (findings.some((f) => f.id === then.finding.id)) continue;
      const band = state.findings.get(then.finding.id) ?? null;
      findings.push({
        id: then.finding.id,
        ...(band === null ? {} : { band }),
        evidenceGrade: rule.evidence.grade,
        message: then.finding.message,
        ...ref(rule),
      });
    } else if ('propose' in then || 'block' in then || 'caution' in then || 'defer' in then) {
      const [kind, outcome] =
        'propose' in then
          ? (['indication', then.propose] as const)
          : 'block' in then
            ? (['block', then.block] as const)
            : 'caution' in then
              ? (['caution', then.caution] as const)
              : (['deferral', then.defer] as const);
      const severity = catalog.reasonCodes.get(outcome.code)?.severity;
      for (const id of expandTargets(catalog, outcome)) {
        addReason(id, {
          code: outcome.code,
          kind,
          ...(severity ? { severity } : {}),
          ...ref(rule),
          message: outcome.message,
        });
      }
    }
  }

  for (const id of model.requested.keys()) if (!reasons.has(id)) reasons.set(id, []);

  // Holds that come from the situation, not from one agent's rule.
  const deferringFlags = redFlags.filter((f) => DEFERRING_URGENCIES.has(f.urgency));
  // Detected by the fact layer, so the hold applies even if no data rule covers the code.
  const holdingData = HOLDING_DATA.filter(({ code }) =>
    model.problems.some((p) => p.code === code),
  ).map(({ code, holds }) => {
    const rule = fired.find((r) => 'dataIssue' in r.then && r.then.dataIssue.code === code);
    const message =
      rule && 'dataIssue' in rule.then
        ? rule.then.dataIssue.message
        : (catalog.reasonCodes.get(code)?.title ?? code);
    const reason: ReasonOut = { code, kind: 'deferral', ...(rule ? ref(rule) : {}), message };
    return { holds, reason };
  });
  for (const [id, list] of reasons) {
    const intervention = catalog.interventions.get(id);
    if (intervention?.type !== 'supplement') continue;
    for (const flag of deferringFlags)
      list.push({
        code: flag.code,
        kind: 'deferral',
        ...ref(flag.rule),
        message: `Held back: ${flag.action}`,
      });
    for (const { holds, reason } of holdingData) {
      if (holds === 'supplements' || ruleset.compiled.interactionAgents.has(id)) list.push(reason);
    }
  }

  const interventions: InterventionOut[] = [];
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
    interventions.push(toIntervention(intervention, list, model.requested.has(id)));
  }
  interventions.sort(
    (a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || byId(a.id, b.id),
  );

  redFlags.sort((a, b) => URGENCY_ORDER.indexOf(a.urgency) - URGENCY_ORDER.indexOf(b.urgency));

  const disclaimers = catalog.disclaimers
    .filter((d) => d.when === 'always' || model.urinaryNeurotransmitterSent)
    .map((d) => ({ id: d.id, text: d.text }));

  return {
    evaluationId: extras.evaluationId,
    asOf: extras.asOf,
    ruleset: { id: ruleset.manifest.id, version: ruleset.manifest.version, hash: ruleset.hash },
    redFlags: redFlags.map(({ rule: _rule, ...flag }) => flag),
    findings,
    interventions,
    dataIssues,
    hits: extras.hits,
    ...(extras.notFired ? { notFired: extras.notFired } : {}),
    disclaimers,
  };
}

const STATUS_BY_PRECEDENCE: readonly [ReasonOut['kind'], InterventionStatus][] = [
  ['block', 'blocked'],
  ['deferral', 'deferred'],
  ['caution', 'caution'],
  ['indication', 'candidate'],
];

/** Safety wins: blocked over deferred over caution over candidate. */
function toIntervention(
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
  const all =
    status === undefined
      ? [
          {
            code: 'CAU-NO-INDICATION',
            kind: 'caution' as const,
            severity: 'theoretical' as const,
            message:
              'Requested: no active rule blocks it, and no rule found an indication for it in the data supplied.',
          },
        ]
      : reasons;
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
    if (!('dataIssue' in rule.then)) continue;
    const issue = rule.then.dataIssue;
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
