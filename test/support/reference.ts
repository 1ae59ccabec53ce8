import { Engine, Fact, Rule } from 'json-rules-engine';
import type { RuleResult, TopLevelCondition } from 'json-rules-engine';
import type { FactValue } from '../../src/facts/registry';
import { FACTS, newEvalState } from '../../src/engine/state';
import type { EvalState } from '../../src/engine/state';
import type { FactModel } from '../../src/facts/model';
import type { Ruleset } from '../../src/engine/ruleset';
import { RULE_KINDS } from '../../src/rules/catalog-types';
import type { RuleDef } from '../../src/rules/rule-types';
import { assemble } from '../../src/engine/assemble';
import type { EvaluateOptions } from '../../src/engine/evaluate';
import { record } from '../../src/engine/evaluate';
import type { EvaluationResponse, Hit } from '../../src/engine/response-types';
import { hitOf, normaliseFactValue } from '../../src/engine/trace';
import type { NodeResult, TraceNode } from '../../src/engine/response-types';

import type { RuleKind } from '../../src/rules/catalog-types';
import { CUSTOM_OPERATORS } from '../../src/rules/operators';

/** Facts here are flat values; a path is never needed. No JSONPath is ever evaluated. */
const pathResolver = (value: object, path: string): unknown =>
  (value as Record<string, unknown>)[path];

const enginesByRuleset = new WeakMap<Ruleset, ReadonlyMap<RuleKind, Engine>>();

/** One plain json-rules-engine engine per kind holding that kind's active rules, once per ruleset. */
function referenceEngines(ruleset: Ruleset): ReadonlyMap<RuleKind, Engine> {
  const cached = enginesByRuleset.get(ruleset);
  if (cached) return cached;
  const engines = new Map<RuleKind, Engine>();
  for (const kind of RULE_KINDS) {
    const engine = new Engine([], {
      allowUndefinedFacts: false,
      allowUndefinedConditions: false,
      replaceFactsInEventParams: false,
      pathResolver,
    });
    for (const operator of CUSTOM_OPERATORS) engine.addOperator(operator);
    for (const rule of ruleset.compiled.activeByKind.get(kind) ?? []) {
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
  enginesByRuleset.set(ruleset, engines);
  return engines;
}

/** Facts for one run: functions over the fact model and the state so far. Never the request. */
function runtimeFacts(model: FactModel, state: EvalState): Record<string, Fact> {
  const facts: Record<string, Fact> = {};
  for (const [id, impl] of Object.entries(FACTS)) {
    facts[id] = new Fact<FactValue>(id, (params) => impl(model, state, params), { cache: false });
  }
  return facts;
}

/**
 * The reference evaluation: every active rule of a kind run by plain json-rules-engine (one
 * engine per kind, see `referenceEngines`), with no index. `evaluate` must give the same answer;
 * test/perf/differential.test.ts holds it to that.
 */
export async function evaluateReference(
  ruleset: Ruleset,
  model: FactModel,
  options: EvaluateOptions,
): Promise<EvaluationResponse> {
  const { compiled } = ruleset;
  const state = newEvalState();
  const facts = runtimeFacts(model, state);
  const fired: RuleDef[] = [];
  const hits: Hit[] = [];
  const notFired: Hit[] = [];
  const byOrder = (a: RuleResult, b: RuleResult): number =>
    (compiled.order.get(a.name) ?? 0) - (compiled.order.get(b.name) ?? 0);

  for (const kind of RULE_KINDS) {
    const engine = referenceEngines(ruleset).get(kind);
    if (!engine || (compiled.activeByKind.get(kind)?.length ?? 0) === 0) continue;
    const { results, failureResults } = await engine.run(facts);
    for (const result of [...results].sort(byOrder)) {
      const rule = ruleset.rulesById.get(result.name);
      if (!rule) continue;
      fired.push(rule);
      record(ruleset, state, rule, model);
      hits.push(buildHit(rule, result, true));
    }
    if (options.traceFull) {
      for (const result of [...failureResults].sort(byOrder)) {
        const rule = ruleset.rulesById.get(result.name);
        if (rule) notFired.push(buildHit(rule, result, false));
      }
    }
  }

  return assemble(ruleset, model, state, fired, {
    evaluationId: options.evaluationId,
    asOf: options.asOf,
    hits,
    ...(options.traceFull ? { notFired } : {}),
  });
}

interface ResultNode {
  all?: ResultNode[];
  any?: ResultNode[];
  not?: ResultNode;
  fact?: string;
  params?: Record<string, string | number>;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  result?: boolean;
}

/** json-rules-engine leaves `result` unset on nodes it skipped: those are not-evaluated, never false. */
function resultOf(node: ResultNode): NodeResult {
  if (node.result === undefined) return 'not-evaluated';
  return node.result ? 'true' : 'false';
}

function toTrace(node: ResultNode): TraceNode {
  const result = resultOf(node);
  if (node.all) return { all: node.all.map(toTrace), result };
  if (node.any) return { any: node.any.map(toTrace), result };
  if (node.not) return { not: toTrace(node.not), result };
  const leaf = {
    fact: node.fact ?? '',
    ...(node.params ? { params: node.params } : {}),
    operator: node.operator ?? '',
    value: node.value as TraceNode extends { value: infer V } ? V : never,
    ...(result === 'not-evaluated' ? {} : { factValue: normaliseFactValue(node.factResult) }),
    result,
  };
  return leaf;
}

export function buildHit(rule: RuleDef, result: RuleResult, fired: boolean): Hit {
  return hitOf(rule, toTrace(result.conditions as unknown as ResultNode), fired);
}
