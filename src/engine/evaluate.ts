import { newEvalState } from '../facts/registry';
import type { EvalState, FactValue } from '../facts/registry';
import type { FactModel } from '../facts/model';
import type { Ruleset } from '../rules/load';
import { RULE_KINDS } from '../rules/catalog-types';
import type { RuleDef } from '../rules/rule-types';
import { assemble } from './assemble';
import { ALL, ANY, LEAF, NOT } from './network';
import type { KindNetwork, Node } from './network';
import type { EvaluationResponse, Hit, NodeResult, TraceNode } from './response-types';
import { hitOf, normaliseFactValue } from './trace';

export interface EvaluateOptions {
  readonly evaluationId: string;
  readonly asOf: string;
  /** Also report every active rule that did not fire, with the leaf that failed. */
  readonly traceFull: boolean;
}

export interface FiredRule {
  readonly rule: RuleDef;
}

/** Results of the rules that already ran, recorded as facts for the kinds after them. */
export function record(state: EvalState, rule: RuleDef, model: FactModel): void {
  const then = rule.then;
  if ('dataIssue' in then) {
    state.dataIssues.add(then.dataIssue.code);
    if (then.dataIssue.code.startsWith('DATA-CONFOUND-') && then.dataIssue.analyte !== undefined)
      state.confounded.add(then.dataIssue.analyte);
  } else if ('redFlag' in then) {
    state.redFlags.add(then.redFlag.code);
  } else if ('finding' in then) {
    const { id, bandOf } = then.finding;
    const band = bandOf === undefined ? null : (model.questionnaires.get(bandOf)?.band ?? null);
    if (!state.findings.has(id)) state.findings.set(id, band);
  }
}

const UNSET: unique symbol = Symbol('unset');
const TRUE = 1;
const FALSE = 2;

/**
 * One kind's run over one request: fact values and leaf results are computed at most once and
 * only when asked for. Within a kind the state is fixed (a kind never reads facts its own rules
 * produce), so memoising per kind matches json-rules-engine's uncached facts.
 */
class KindRun {
  private readonly facts: (FactValue | typeof UNSET)[];
  private readonly results: Uint8Array;

  constructor(
    private readonly net: KindNetwork,
    private readonly model: FactModel,
    private readonly state: EvalState,
  ) {
    this.facts = new Array<FactValue | typeof UNSET>(net.factKeys.length).fill(UNSET);
    this.results = new Uint8Array(net.leaves.length);
  }

  fact(id: number): FactValue {
    const cached = this.facts[id];
    if (cached !== UNSET && cached !== undefined) return cached;
    const key = this.net.factKeys[id];
    if (!key) throw new Error(`no fact key ${id}`);
    const value = key.impl(this.model, this.state, key.params);
    this.facts[id] = value;
    return value;
  }

  leaf(id: number): boolean {
    const r = this.results[id];
    if (r === TRUE) return true;
    if (r === FALSE) return false;
    const info = this.net.leaves[id];
    if (!info) throw new Error(`no leaf ${id}`);
    const value = info.operator.evaluate(this.fact(info.factKey), info.value) === true;
    this.results[id] = value ? TRUE : FALSE;
    return value;
  }

  /**
   * json-rules-engine's semantics with every condition at the default priority: an empty list
   * holds; a list of one is its only member; otherwise every member is evaluated (no
   * short-circuit inside one priority set) and combined with every/some on `=== true`.
   */
  node(n: Node): boolean {
    switch (n.t) {
      case LEAF:
        return this.leaf(n.leaf);
      case ALL: {
        let ok = true;
        for (const c of n.c) if (!this.node(c)) ok = false;
        return ok;
      }
      case ANY: {
        if (n.c.length === 0) return true;
        let ok = false;
        for (const c of n.c) if (this.node(c)) ok = true;
        return ok;
      }
      case NOT:
        return !this.node(n.c);
    }
  }

  /** The trace json-rules-engine's result would give: the root's own result is never set. */
  trace(root: Node): TraceNode {
    return this.traced(root, true).node;
  }

  /** One pass: each node's trace and whether it held (same combination as `node`). */
  private traced(n: Node, root: boolean): { node: TraceNode; holds: boolean } {
    const label = (holds: boolean): NodeResult =>
      root ? 'not-evaluated' : holds ? 'true' : 'false';
    switch (n.t) {
      case LEAF: {
        const info = this.net.leaves[n.leaf];
        if (!info) throw new Error(`no leaf ${n.leaf}`);
        const holds = this.leaf(n.leaf);
        const leaf = info.source;
        return {
          node: {
            fact: leaf.fact,
            ...(leaf.params ? { params: leaf.params } : {}),
            operator: leaf.operator,
            value: leaf.value,
            factValue: normaliseFactValue(this.fact(info.factKey)),
            result: label(holds),
          },
          holds,
        };
      }
      case ALL:
      case ANY: {
        const children = n.c.map((c) => this.traced(c, false));
        const holds =
          n.t === ALL
            ? children.every((c) => c.holds)
            : children.length === 0 || children.some((c) => c.holds);
        const nodes = children.map((c) => c.node);
        return {
          node:
            n.t === ALL
              ? { all: nodes, result: label(holds) }
              : { any: nodes, result: label(holds) },
          holds,
        };
      }
      case NOT: {
        const inner = this.traced(n.c, false);
        return { node: { not: inner.node, result: label(!inner.holds) }, holds: !inner.holds };
      }
    }
  }

  /** Indices of the rules whose trigger leaves hold (plus those without triggers), ascending. */
  candidates(): number[] {
    const net = this.net;
    const mark = new Uint8Array(net.rules.length);
    const out: number[] = [];
    const add = (rules: readonly number[]): void => {
      for (const r of rules) {
        if (mark[r] === 0) {
          mark[r] = 1;
          out.push(r);
        }
      }
    };
    add(net.always);
    for (const g of net.groups) {
      const v = this.fact(g.factKey);
      if (g.eq !== null && !(typeof v === 'number' && Number.isNaN(v))) {
        const rs = g.eq.get(v);
        if (rs) add(rs);
      }
      if (g.gt.length + g.gte.length + g.lt.length + g.lte.length > 0) {
        if (typeof v === 'number') {
          if (!Number.isNaN(v)) {
            for (const th of g.gt) {
              if (!(v > th.t)) break;
              add(th.rules);
            }
            for (const th of g.gte) {
              if (!(v >= th.t)) break;
              add(th.rules);
            }
            for (let i = g.lt.length - 1; i >= 0; i--) {
              const th = g.lt[i];
              if (!th || !(v < th.t)) break;
              add(th.rules);
            }
            for (let i = g.lte.length - 1; i >= 0; i--) {
              const th = g.lte[i];
              if (!th || !(v <= th.t)) break;
              add(th.rules);
            }
          }
        } else if (v !== null) {
          // Not a number: json-rules-engine's number validator decides, leaf by leaf.
          for (const list of [g.gt, g.gte, g.lt, g.lte]) for (const th of list) add(th.rules);
        }
      }
      for (const o of g.other) if (this.leaf(o.leaf)) add(o.rules);
    }
    return out.sort((a, b) => a - b);
  }
}

/** The synchronous core of `evaluate`, for callers that run many patients in a loop. */
export function evaluateSync(
  ruleset: Ruleset,
  model: FactModel,
  options: EvaluateOptions,
): EvaluationResponse {
  const { compiled } = ruleset;
  const state = newEvalState();
  const fired: RuleDef[] = [];
  const hits: Hit[] = [];
  const notFired: Hit[] = [];

  for (const kind of RULE_KINDS) {
    const net = compiled.network.get(kind);
    if (!net || net.rules.length === 0) continue;
    const run = new KindRun(net, model, state);
    const which = options.traceFull ? net.rules.map((_r, i) => i) : run.candidates();
    const firedHere: number[] = [];
    for (const i of which) {
      const r = net.rules[i];
      if (!r) continue;
      if (run.node(r.root)) firedHere.push(i);
      else if (options.traceFull) notFired.push(hitOf(r.rule, run.trace(r.root), false));
    }
    for (const i of firedHere) {
      const r = net.rules[i];
      if (!r) continue;
      fired.push(r.rule);
      hits.push(hitOf(r.rule, run.trace(r.root), true));
    }
    // Record after the whole kind ran: json-rules-engine evaluates a kind's rules together.
    for (const i of firedHere) {
      const r = net.rules[i];
      if (r) record(state, r.rule, model);
    }
  }

  return assemble(ruleset, model, state, fired, {
    evaluationId: options.evaluationId,
    asOf: options.asOf,
    hits,
    ...(options.traceFull ? { notFired } : {}),
  });
}

/**
 * Runs the kinds in order (data → red-flag → finding → option → safety); each kind sees the
 * results of the kinds before it as facts. Same results as json-rules-engine on the compiled
 * rules (src/engine/reference.ts), through the activation network.
 */
export function evaluate(
  ruleset: Ruleset,
  model: FactModel,
  options: EvaluateOptions,
): Promise<EvaluationResponse> {
  try {
    return Promise.resolve(evaluateSync(ruleset, model, options));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
