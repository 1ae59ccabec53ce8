import { Engine, Rule } from 'json-rules-engine';
import type { TopLevelCondition } from 'json-rules-engine';
import type { Catalog } from './catalog';
import type { RuleKind } from './catalog-types';
import { RULE_KINDS } from './catalog-types';
import { CUSTOM_OPERATORS } from './operators';
import { childrenOf, isLeaf } from './rule-types';
import type { Condition, ReasonOutcome, RuleDef } from './rule-types';

export interface CompiledRuleset {
  /** One engine per kind holding that kind's active rules, built once per ruleset. */
  readonly engines: ReadonlyMap<RuleKind, Engine>;
  readonly activeByKind: ReadonlyMap<RuleKind, readonly RuleDef[]>;
  /** Position of each active rule in file order, for a stable answer order. */
  readonly order: ReadonlyMap<string, number>;
  /**
   * Interventions that some active safety rule blocks or cautions on a medication fact: an
   * unattested or incomplete medication list holds (defers) them.
   */
  readonly interactionAgents: ReadonlySet<string>;
}

/** Facts here are flat values; a path is never needed. No JSONPath is ever evaluated. */
const pathResolver = (value: object, path: string): unknown =>
  (value as Record<string, unknown>)[path];

export function expandTargets(catalog: Catalog, outcome: ReasonOutcome): string[] {
  const ids = new Set(outcome.interventions ?? []);
  for (const tag of outcome.tags ?? [])
    for (const id of catalog.interventionsByTag.get(tag) ?? []) ids.add(id);
  return [...ids];
}

function readsFact(condition: Condition, fact: string): boolean {
  if (isLeaf(condition)) return condition.fact === fact;
  return childrenOf(condition).some((c) => readsFact(c, fact));
}

export function compileRuleset(rules: readonly RuleDef[], catalog: Catalog): CompiledRuleset {
  const active = rules.filter((r) => r.status === 'active');
  const engines = new Map<RuleKind, Engine>();
  const activeByKind = new Map<RuleKind, RuleDef[]>();
  for (const kind of RULE_KINDS) {
    const engine = new Engine([], {
      allowUndefinedFacts: false,
      allowUndefinedConditions: false,
      replaceFactsInEventParams: false,
      pathResolver,
    });
    for (const operator of CUSTOM_OPERATORS) engine.addOperator(operator);
    const ofKind = active.filter((r) => r.kind === kind);
    for (const rule of ofKind) {
      engine.addRule(
        new Rule({
          name: rule.id,
          // The schema guarantees json-rules-engine's own condition vocabulary.
          conditions: structuredClone(rule.when) as unknown as TopLevelCondition,
          event: { type: rule.kind, params: { ruleId: rule.id } },
        }),
      );
    }
    engines.set(kind, engine);
    activeByKind.set(kind, ofKind);
  }

  const interactionAgents = new Set<string>();
  for (const rule of active) {
    if (rule.kind !== 'safety' || !readsFact(rule.when, 'medication-class')) continue;
    const outcome =
      'block' in rule.then
        ? rule.then.block
        : 'caution' in rule.then
          ? rule.then.caution
          : undefined;
    if (outcome) for (const id of expandTargets(catalog, outcome)) interactionAgents.add(id);
  }

  return {
    engines,
    activeByKind,
    order: new Map(active.map((r, i) => [r.id, i])),
    interactionAgents,
  };
}
