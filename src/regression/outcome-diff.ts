import type { EvaluationResponse } from '../engine/response-types';
import { ruleContentHash } from '../rules/lock';
import type { Ruleset } from '../engine/ruleset';
import type { EvaluationResult } from './run';

/** What a reviewer compares between two rulesets: outcomes, not wording or trace. */
export interface OutcomeSignature {
  readonly rejected?: string;
  readonly redFlags: ReadonlyMap<string, string>;
  readonly findings: ReadonlyMap<string, string>;
  readonly interventions: ReadonlyMap<string, { status: string; reasons: readonly string[] }>;
  readonly dataIssues: ReadonlyMap<string, string>;
  readonly fired: ReadonlySet<string>;
}

const none: OutcomeSignature = {
  redFlags: new Map(),
  findings: new Map(),
  interventions: new Map(),
  dataIssues: new Map(),
  fired: new Set(),
};

export function signatureOf(result: EvaluationResult): OutcomeSignature {
  if (!result.ok) return { ...none, rejected: result.rejected.split(' ')[0] ?? 'refused' };
  const r: EvaluationResponse = result.response;
  return {
    redFlags: new Map(r.redFlags.map((f) => [f.code, f.urgency])),
    findings: new Map(r.findings.map((f) => [f.id, f.band ?? ''])),
    interventions: new Map(
      r.interventions.map((i) => [
        i.id,
        { status: i.status, reasons: [...new Set(i.reasons.map((x) => x.code))].sort() },
      ]),
    ),
    dataIssues: new Map(
      [...new Set(r.dataIssues.map((d) => d.code))].sort().map((c) => [c, c] as const),
    ),
    fired: new Set(r.hits.map((h) => h.ruleId)),
  };
}

/** One difference: the line a reviewer reads, and the codes or ids a rule outcome would name. */
export interface Change {
  readonly text: string;
  readonly keys: readonly string[];
}

function mapChanges(
  what: string,
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
  show: (v: string) => string,
): Change[] {
  const out: Change[] = [];
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) out.push({ text: `${what} ${k}${show(v)}: removed`, keys: [k] });
    else if (w !== v) out.push({ text: `${what} ${k}:${show(v)} →${show(w)}`, keys: [k] });
  }
  for (const [k, w] of b)
    if (!a.has(k)) out.push({ text: `${what} ${k}${show(w)}: added`, keys: [k] });
  return out;
}

/** One change per difference, in a stable order; empty when the outcome is the same. */
export function outcomeChanges(a: OutcomeSignature, b: OutcomeSignature): Change[] {
  if (a.rejected !== undefined || b.rejected !== undefined) {
    if (a.rejected === b.rejected) return [];
    return [
      { text: `request: ${a.rejected ?? 'accepted'} → ${b.rejected ?? 'accepted'}`, keys: [] },
    ];
  }
  const out = [
    ...mapChanges('red flag', a.redFlags, b.redFlags, (urgency) => ` (${urgency})`),
    ...mapChanges('finding', a.findings, b.findings, (band) => (band === '' ? '' : ` (${band})`)),
    ...mapChanges('data issue', a.dataIssues, b.dataIssues, () => ''),
  ];
  for (const [id, x] of a.interventions) {
    const y = b.interventions.get(id);
    if (!y) {
      out.push({ text: `intervention ${id}: ${x.status} → not offered`, keys: x.reasons });
      continue;
    }
    const gained = y.reasons.filter((r) => !x.reasons.includes(r));
    const lost = x.reasons.filter((r) => !y.reasons.includes(r));
    if (x.status === y.status && gained.length === 0 && lost.length === 0) continue;
    const reasons = [...gained.map((r) => `+${r}`), ...lost.map((r) => `-${r}`)].join(' ');
    out.push({
      text: `intervention ${id}: ${x.status} → ${y.status}${reasons === '' ? '' : ` (${reasons})`}`,
      keys: [...gained, ...lost],
    });
  }
  for (const [id, y] of b.interventions)
    if (!a.interventions.has(id))
      out.push({
        text: `intervention ${id}: not offered → ${y.status} (${y.reasons.map((r) => `+${r}`).join(' ')})`,
        keys: y.reasons,
      });
  return out;
}

export interface RuleChange {
  readonly id: string;
  readonly change: string;
}

export { producedKey } from '../rules/rule-types';
import { producedKey } from '../rules/rule-types';

/** The rules added, removed or changed from a to b, by id. */
export function ruleChanges(a: Ruleset, b: Ruleset): RuleChange[] {
  const out: RuleChange[] = [];
  for (const r of b.rules) {
    const old = a.rulesById.get(r.id);
    if (!old) out.push({ id: r.id, change: `new (${r.status}, v${String(r.version)})` });
    else if (ruleContentHash(old) !== ruleContentHash(r) || old.version !== r.version) {
      const status = old.status === r.status ? '' : `, ${old.status} → ${r.status}`;
      const version =
        old.version === r.version
          ? `v${String(r.version)}, content changed WITHOUT a version bump`
          : `v${String(old.version)} → v${String(r.version)}`;
      out.push({ id: r.id, change: `${version}${status}` });
    }
  }
  for (const r of a.rules) if (!b.rulesById.has(r.id)) out.push({ id: r.id, change: 'removed' });
  return out.sort((x, y) => x.id.localeCompare(y.id));
}

/**
 * The rules responsible for one patient's changes. Candidates: rules that fired on one side only,
 * or fired and changed. Responsible: those whose outcome names a code or id that changed (all
 * candidates when none does).
 */
export function responsibleRules(
  a: Ruleset,
  b: Ruleset,
  changedRules: readonly RuleChange[],
  sa: OutcomeSignature,
  sb: OutcomeSignature,
  changes: readonly Change[],
): string[] {
  const versionChanged = new Set(changedRules.map((c) => c.id));
  const produces = (id: string): string | undefined => {
    const rule = b.rulesById.get(id) ?? a.rulesById.get(id);
    return rule === undefined ? undefined : producedKey(rule);
  };
  const candidates = new Set<string>();
  for (const id of sa.fired) if (!sb.fired.has(id) || versionChanged.has(id)) candidates.add(id);
  for (const id of sb.fired) if (!sa.fired.has(id) || versionChanged.has(id)) candidates.add(id);
  const keys = new Set(changes.flatMap((c) => c.keys));
  const named = [...candidates].filter((id) => keys.has(produces(id) ?? ''));
  return (named.length > 0 ? named : [...candidates]).sort();
}
