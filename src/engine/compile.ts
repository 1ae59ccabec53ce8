import { Engine, Rule } from 'json-rules-engine';
import { buildKindNetwork } from '../engine/network';
import type { KindNetwork } from '../engine/network';
import type { TopLevelCondition } from 'json-rules-engine';
import type { Catalog } from './catalog';
import type { RuleKind } from './catalog-types';
import { RULE_KINDS } from './catalog-types';
import { CUSTOM_OPERATORS } from './operators';
import { childrenOf, isLeaf } from './rule-types';
import type { Condition, ReasonOutcome, RuleDef } from './rule-types';

export interface CompiledRuleset {
  /**
   * One plain json-rules-engine engine per kind holding that kind's active rules: the reference
   * the activation network is checked against. Built on first use, once per ruleset.
   */
  readonly engines: ReadonlyMap<RuleKind, Engine>;
  /** The activation network per kind, which `evaluate` runs (src/engine/network.ts). */
  readonly network: ReadonlyMap<RuleKind, KindNetwork>;
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

function buildEngines(active: readonly RuleDef[]): Map<RuleKind, Engine> {
  const engines = new Map<RuleKind, Engine>();
  for (const kind of RULE_KINDS) {
    const engine = new Engine([], {
      allowUndefinedFacts: false,
      allowUndefinedConditions: false,
      replaceFactsInEventParams: false,
      pathResolver,
    });
    for (const operator of CUSTOM_OPERATORS) engine.addOperator(operator);
    for (const rule of active) {
      if (rule.kind !== kind) continue;
      engine.addRule(
        new Rule({
          name: rule.id,
          // The schema guarantees json-rules-engine's own condition vocabulary.
          conditions: structuredClone(rule.when) as unknown as TopLevelCondition,
          event: { type: rule.kind },
        }),
      );
    }
    engines.set(kind, engine);
  }
  return engines;
}

export function compileRuleset(rules: readonly RuleDef[], catalog: Catalog): CompiledRuleset {
  const active = rules.filter((r) => r.status === 'active');
  const activeByKind = new Map<RuleKind, RuleDef[]>();
  const network = new Map<RuleKind, KindNetwork>();
  for (const kind of RULE_KINDS) {
    const ofKind = active.filter((r) => r.kind === kind);
    activeByKind.set(kind, ofKind);
    network.set(kind, buildKindNetwork(catalog, ofKind));
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

  let engines: Map<RuleKind, Engine> | undefined;
  return {
    get engines(): ReadonlyMap<RuleKind, Engine> {
      engines ??= buildEngines(active);
      return engines;
    },
    network,
    activeByKind,
    order: new Map(active.map((r, i) => [r.id, i])),
    interactionAgents,
  };
}
