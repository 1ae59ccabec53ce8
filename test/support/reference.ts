import { Fact } from 'json-rules-engine';
import type { RuleResult } from 'json-rules-engine';
import { FACTS, newEvalState } from '../facts/registry';
import type { EvalState, FactValue } from '../facts/registry';
import type { FactModel } from '../facts/model';
import type { Ruleset } from '../rules/load';
import { RULE_KINDS } from '../rules/catalog-types';
import type { RuleDef } from '../rules/rule-types';
import { assemble } from './assemble';
import type { EvaluateOptions } from './evaluate';
import { record } from './evaluate';
import type { EvaluationResponse, Hit } from './response-types';
import { buildHit } from './trace';

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
    const engine = compiled.engines.get(kind);
    if (!engine || (compiled.activeByKind.get(kind)?.length ?? 0) === 0) continue;
    const { results, failureResults } = await engine.run(facts);
    for (const result of [...results].sort(byOrder)) {
      const rule = ruleset.rulesById.get(result.name);
      if (!rule) continue;
      fired.push(rule);
      record(state, rule, model);
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
