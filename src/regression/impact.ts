import type { Ruleset } from '../engine/ruleset';
import { outcomeChanges, producedKey, ruleChanges, signatureOf } from './outcome-diff';
import type { OutcomeSignature, RuleChange } from './outcome-diff';

export type { RuleChange } from './outcome-diff';
import { createEvaluator } from './run';

/** One request both rulesets answer: a regression case or a synthetic patient. */
export interface ImpactInput {
  readonly source: 'regression' | 'synthetic';
  readonly name: string;
  readonly body: unknown;
}

/** The outcome of one side, as plain JSON (for a page to show before and after). */
export interface OutcomeJson {
  readonly rejected?: string;
  readonly redFlags: Record<string, string>;
  readonly findings: Record<string, string>;
  readonly interventions: Record<string, { status: string; reasons: readonly string[] }>;
  readonly dataIssues: readonly string[];
  readonly fired: readonly string[];
}

export interface Changed {
  readonly source: ImpactInput['source'];
  readonly name: string;
  readonly responsible: readonly string[];
  readonly changes: readonly string[];
  /** Present when compareRulesets was asked for outcomes (`outcomes: true`). */
  readonly before?: OutcomeJson;
  readonly after?: OutcomeJson;
}

export interface Impact {
  readonly ruleChanges: readonly RuleChange[];
  readonly changed: readonly Changed[];
  /** Changed inputs by responsible rule, most changes first. */
  readonly groups: readonly (readonly [string, readonly Changed[]])[];
}

/** Group name for changes no rule difference explains. */
export const NO_RULE_DIFFERENCE = '(no rule difference: catalog or engine)';

function outcomeJson(s: OutcomeSignature): OutcomeJson {
  return {
    ...(s.rejected === undefined ? {} : { rejected: s.rejected }),
    redFlags: Object.fromEntries(s.redFlags),
    findings: Object.fromEntries(s.findings),
    interventions: Object.fromEntries(s.interventions),
    dataIssues: [...s.dataIssues.keys()],
    fired: [...s.fired].sort(),
  };
}

/**
 * Every input through both rulesets (same clock); each whose outcome differs, with the rules
 * responsible: those that fired on one side only or fired and changed, narrowed to the ones whose
 * outcome names a changed code or id (all of them when none does).
 */
export async function compareRulesets(
  a: Ruleset,
  b: Ruleset,
  inputs: Iterable<ImpactInput>,
  options: { readonly now: Date; readonly outcomes?: boolean },
): Promise<Impact> {
  const ea = createEvaluator(a, () => options.now);
  const eb = createEvaluator(b, () => options.now);
  const rc = ruleChanges(a, b);
  const versionChanged = new Set(rc.map((c) => c.id));
  const produces = (id: string): string | undefined => {
    const rule = b.rulesById.get(id) ?? a.rulesById.get(id);
    return rule === undefined ? undefined : producedKey(rule);
  };
  const changed: Changed[] = [];
  for (const { source, name, body } of inputs) {
    const sa = signatureOf(await ea.run(body, name, false));
    const sb = signatureOf(await eb.run(body, name, false));
    const changes = outcomeChanges(sa, sb);
    if (changes.length === 0) continue;
    const candidates = new Set<string>();
    for (const id of sa.fired) if (!sb.fired.has(id) || versionChanged.has(id)) candidates.add(id);
    for (const id of sb.fired) if (!sa.fired.has(id) || versionChanged.has(id)) candidates.add(id);
    const keys = new Set(changes.flatMap((c) => c.keys));
    const named = [...candidates].filter((id) => keys.has(produces(id) ?? ''));
    changed.push({
      source,
      name,
      responsible: (named.length > 0 ? named : [...candidates]).sort(),
      changes: changes.map((c) => c.text),
      ...(options.outcomes === true ? { before: outcomeJson(sa), after: outcomeJson(sb) } : {}),
    });
  }
  const groups = new Map<string, Changed[]>();
  for (const c of changed)
    for (const id of c.responsible.length > 0 ? c.responsible : [NO_RULE_DIFFERENCE])
      groups.set(id, [...(groups.get(id) ?? []), c]);
  const ordered = [...groups.entries()].sort(
    (x, y) => y[1].length - x[1].length || x[0].localeCompare(y[0]),
  );
  return { ruleChanges: rc, changed, groups: ordered };
}
