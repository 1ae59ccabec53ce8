import type { Catalog } from '../rules/catalog';
import type { RuleKind } from '../rules/catalog-types';
import { RULE_KINDS } from '../rules/catalog-types';
import { childrenOf, isLeaf, outcomeOf } from '../rules/rule-types';
import type { Condition, ReasonOutcome, RuleDef } from '../rules/rule-types';
import { buildKindNetwork } from './network';
import type { KindNetwork } from './network';

export interface CompiledRuleset {
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
  /**
   * Interventions that some active safety rule blocks or cautions on a condition fact: a condition
   * code the catalog cannot map holds (defers) them.
   */
  readonly conditionAgents: ReadonlySet<string>;
}

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

/** Agents some active safety rule, whose `when` reads `fact`, blocks or cautions. */
function guardedAgents(catalog: Catalog, active: readonly RuleDef[], fact: string): Set<string> {
  const ids = new Set<string>();
  for (const rule of active) {
    if (rule.kind !== 'safety' || !readsFact(rule.when, fact)) continue;
    const o = outcomeOf(rule);
    if (o.type === 'block' || o.type === 'caution')
      for (const id of expandTargets(catalog, o.reason)) ids.add(id);
  }
  return ids;
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

  const interactionAgents = guardedAgents(catalog, active, 'medication-class');
  const conditionAgents = guardedAgents(catalog, active, 'condition');

  return {
    network,
    activeByKind,
    order: new Map(active.map((r, i) => [r.id, i])),
    interactionAgents,
    conditionAgents,
  };
}
