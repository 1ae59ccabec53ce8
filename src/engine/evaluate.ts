import { Fact } from 'json-rules-engine';
import type { RuleResult } from 'json-rules-engine';
import { FACTS, newEvalState } from '../facts/registry';
import type { EvalState, FactValue } from '../facts/registry';
import type { FactModel } from '../facts/model';
import type { Ruleset } from '../rules/load';
import { RULE_KINDS } from '../rules/catalog-types';
import type { RuleDef } from '../rules/rule-types';
import { assemble } from './assemble';
import type { EvaluationResponse, Hit } from './response-types';
import { buildHit } from './trace';

export interface EvaluateOptions {
  readonly evaluationId: string;
  readonly asOf: string;
  /** Also report every active rule that did not fire, with the leaf that failed. */
  readonly traceFull: boolean;
}

export interface FiredRule {
  readonly rule: RuleDef;
}

/** Facts for one run: functions over the fact model and the state so far. Never the request. */
function runtimeFacts(model: FactModel, state: EvalState): Record<string, Fact> {
  const facts: Record<string, Fact> = {};
  for (const [id, impl] of Object.entries(FACTS)) {
    facts[id] = new Fact<FactValue>(id, (params) => impl(model, state, params), { cache: false });
  }
  return facts;
}

function record(state: EvalState, rule: RuleDef): void {
  const then = rule.then;
  if ('dataIssue' in then) {
    state.dataIssues.add(then.dataIssue.code);
    if (then.dataIssue.code.startsWith('DATA-CONFOUND-') && then.dataIssue.analyte !== undefined)
      state.confounded.add(then.dataIssue.analyte);
  } else if ('redFlag' in then) {
    state.redFlags.add(then.redFlag.code);
  }
}

/**
 * Runs the kinds in order (data → red-flag → finding → option → safety); each kind sees the
 * results of the kinds before it as facts.
 */
export async function evaluate(
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
      record(state, rule);
      if (kind === 'finding' && 'finding' in rule.then) {
        const { id, bandOf } = rule.then.finding;
        const band = bandOf === undefined ? null : (model.questionnaires.get(bandOf)?.band ?? null);
        if (!state.findings.has(id)) state.findings.set(id, band);
      }
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
