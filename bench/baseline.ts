/**
 * The baseline: the same compiled rules run by json-rules-engine the way its README shows — one
 * engine with default options, rule priorities for the kind order, facts passed as one object
 * and read through JSONPath `path`s, results recorded from `success` events, no indexing.
 * It produces the same response as `evaluate` (the bench checks that on a sample).
 */
import { Engine } from 'json-rules-engine';
import type { RuleProperties, RuleResult, TopLevelCondition } from 'json-rules-engine';
import { assemble } from '../src/engine/assemble';
import { record } from '../src/engine/evaluate';
import type { EvaluateOptions } from '../src/engine/evaluate';
import type { EvaluationResponse, Hit } from '../src/engine/response-types';
import { buildHit } from '../test/support/reference';
import type { FactValue } from '../src/facts/registry';
import { FACTS, newEvalState } from '../src/engine/state';
import type { EvalState } from '../src/engine/state';
import type { FactModel } from '../src/facts/model';
import { RULE_KINDS } from '../src/rules/catalog-types';
import type { Ruleset } from '../src/engine/ruleset';
import { CUSTOM_OPERATORS } from '../src/rules/operators';
import { isLeaf } from '../src/rules/rule-types';
import type { Condition, RuleDef } from '../src/rules/rule-types';

interface RunContext {
  readonly model: FactModel;
  readonly state: EvalState;
}

type Params = Readonly<Record<string, string | number>>;
type Nested = { [key: string]: Nested | FactValue };

function paramOrder(params: Params): string[] {
  return Object.keys(params).sort();
}

function jsonPath(params: Params): string {
  return (
    '$' +
    paramOrder(params)
      .map((k) => `['${String(params[k])}']`)
      .join('')
  );
}

export interface Baseline {
  run(model: FactModel, options: EvaluateOptions): Promise<EvaluationResponse>;
}

export function buildBaseline(ruleset: Ruleset): Baseline {
  const active = ruleset.rules.filter((r) => r.status === 'active');
  const kindIndex = new Map(RULE_KINDS.map((k, i) => [k, i]));
  const rulesById = new Map(active.map((r) => [r.id, r]));
  const order = ruleset.compiled.order;

  // Every (fact, params) the rules read, per fact.
  const keysByFact = new Map<string, Params[]>();
  const seen = new Set<string>();
  const collect = (c: Condition): void => {
    if (!isLeaf(c)) {
      for (const child of 'all' in c ? c.all : 'any' in c ? c.any : [c.not]) collect(child);
      return;
    }
    const params = c.params ?? {};
    const key = `${c.fact} ${JSON.stringify(paramOrder(params).map((k) => params[k]))}`;
    if (seen.has(key)) return;
    seen.add(key);
    const list = keysByFact.get(c.fact) ?? [];
    list.push(params);
    keysByFact.set(c.fact, list);
  };
  for (const r of active) collect(r.when);

  const stateFacts = new Set(
    [...keysByFact.keys()].filter((f) => ruleset.catalog.facts.get(f)?.from !== 'data'),
  );

  /** One fact's values as an object: params in name order become nested keys. */
  const factObject = (fact: string, ctx: RunContext): FactValue | Nested => {
    const impl = FACTS[fact];
    const keys = keysByFact.get(fact) ?? [];
    if (!impl) return null;
    const first = keys[0];
    if (keys.length === 1 && first && Object.keys(first).length === 0)
      return impl(ctx.model, ctx.state, {});
    const root: Nested = {};
    for (const params of keys) {
      let node = root;
      const names = paramOrder(params);
      names.forEach((name, i) => {
        const k = String(params[name]);
        if (i === names.length - 1) node[k] = impl(ctx.model, ctx.state, params);
        else {
          const next = node[k];
          if (next !== null && typeof next === 'object') node = next;
          else {
            const created: Nested = {};
            node[k] = created;
            node = created;
          }
        }
      });
    }
    return root;
  };

  const rewrite = (c: Condition): unknown => {
    if (isLeaf(c)) {
      const hasParams = c.params !== undefined && Object.keys(c.params).length > 0;
      return {
        fact: c.fact,
        ...(hasParams ? { path: jsonPath(c.params ?? {}), params: c.params } : {}),
        operator: c.operator,
        value: c.value,
      };
    }
    if ('all' in c) return { all: c.all.map(rewrite) };
    if ('any' in c) return { any: c.any.map(rewrite) };
    return { not: rewrite(c.not) };
  };

  const engine = new Engine();
  for (const op of CUSTOM_OPERATORS) engine.addOperator(op);
  for (const rule of active) {
    const props: RuleProperties = {
      name: rule.id,
      priority: RULE_KINDS.length - (kindIndex.get(rule.kind) ?? 0),
      conditions: rewrite(rule.when) as TopLevelCondition,
      event: { type: rule.kind, params: { ruleId: rule.id, title: rule.title, then: rule.then } },
    };
    engine.addRule(props);
  }
  // The run in progress: state facts and the success handler read it (runs never overlap).
  let current: RunContext | undefined;
  const context = (): RunContext => {
    if (!current) throw new Error('no baseline run in progress');
    return current;
  };
  for (const fact of stateFacts) engine.addFact(fact, () => factObject(fact, context()));
  engine.on('success', (event) => {
    const ctx = context();
    const rule = rulesById.get(String(event.params?.ruleId));
    if (rule) record(ruleset, ctx.state, rule, ctx.model);
  });

  const sortKey = (r: RuleResult): number => {
    const rule = rulesById.get(r.name);
    return (kindIndex.get(rule?.kind ?? 'data') ?? 0) * 1e7 + (order.get(r.name) ?? 0);
  };

  return {
    async run(model, options) {
      if (current) throw new Error('baseline runs one evaluation at a time');
      const ctx: RunContext = { model, state: newEvalState() };
      const facts: Record<string, unknown> = {};
      for (const fact of keysByFact.keys())
        if (!stateFacts.has(fact)) facts[fact] = factObject(fact, ctx);
      current = ctx;
      let outcome;
      try {
        outcome = await engine.run(facts);
      } finally {
        current = undefined;
      }
      const { results, failureResults } = outcome;
      const fired: RuleDef[] = [];
      const hits: Hit[] = [];
      for (const result of [...results].sort((a, b) => sortKey(a) - sortKey(b))) {
        const rule = rulesById.get(result.name);
        if (!rule) continue;
        fired.push(rule);
        hits.push(buildHit(rule, result, true));
      }
      const notFired: Hit[] = [];
      if (options.traceFull)
        for (const result of [...failureResults].sort((a, b) => sortKey(a) - sortKey(b))) {
          const rule = rulesById.get(result.name);
          if (rule) notFired.push(buildHit(rule, result, false));
        }
      return assemble(ruleset, model, ctx.state, fired, {
        evaluationId: options.evaluationId,
        asOf: options.asOf,
        hits,
        ...(options.traceFull ? { notFired } : {}),
      });
    },
  };
}
