import type { FactValue } from '../facts/registry';
import { newEvalState } from './state';
import type { EvalState } from './state';
import type { FactModel } from '../facts/model';
import type { Ruleset } from './ruleset';
import { RULE_KINDS } from '../rules/catalog-types';
import { outcomeOf } from '../rules/rule-types';
import type { RuleDef } from '../rules/rule-types';
import { assemble } from './assemble';
import { ALL, ANY, LEAF, NOT } from './network';
import type { KindNetwork, Node } from './network';
import type { EvaluationResponse, Hit, TraceNode } from './response-types';
import { hitOf, labelOf, leafTrace, normaliseFactValue } from './trace';

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
export function record(ruleset: Ruleset, state: EvalState, rule: RuleDef, model: FactModel): void {
  const o = outcomeOf(rule);
  switch (o.type) {
    case 'dataIssue': {
      const { code, analyte } = o.dataIssue;
      state.dataIssues.add(code);
      // Which codes confound an analyte is catalog policy (policies.yaml, confoundOnDataIssue).
      if (analyte !== undefined && ruleset.catalog.policies.confounding.has(code))
        state.confounded.add(analyte);
      return;
    }
    case 'redFlag':
      state.redFlags.add(o.redFlag.code);
      return;
    case 'finding': {
      const { id, bandOf } = o.finding;
      const band = bandOf === undefined ? null : (model.questionnaires.get(bandOf)?.band ?? null);
      if (!state.findings.has(id)) state.findings.set(id, band);
      return;
    }
    case 'propose':
    case 'block':
    case 'caution':
    case 'defer':
      return;
  }
}

const TRUE = 1;
const FALSE = 2;

/** A run's working memory: fact values, and flags over fact keys, leaves and rules. */
interface Scratch {
  /** Fact values by fact key, valid only where `known` is set. */
  readonly facts: FactValue[];
  /** The one buffer the three views below share, so a run clears them with one fill. */
  readonly flags: Uint8Array;
  readonly known: Uint8Array;
  readonly results: Uint8Array;
  readonly mark: Uint8Array;
}

/**
 * Working memory per network, reused by every run for speed (typed arrays are slow to allocate).
 * Safe because a run is synchronous and runs never nest: each run clears it before use.
 */
const scratches = new WeakMap<KindNetwork, Scratch>();

function scratchFor(net: KindNetwork): Scratch {
  let scratch = scratches.get(net);
  if (scratch === undefined) {
    const f = net.factKeys.length;
    const l = net.leaves.length;
    const flags = new Uint8Array(f + l + net.rules.length);
    scratch = {
      facts: [],
      flags,
      known: flags.subarray(0, f),
      results: flags.subarray(f, f + l),
      mark: flags.subarray(f + l),
    };
    scratches.set(net, scratch);
  } else {
    scratch.flags.fill(0);
  }
  return scratch;
}

/**
 * One kind's run over one request: fact values and leaf results are computed at most once and
 * only when asked for. Within a kind the state is fixed (a kind never reads facts its own rules
 * produce), so memoising per kind matches json-rules-engine's uncached facts.
 */
class KindRun {
  private readonly facts: FactValue[];
  private readonly known: Uint8Array;
  private readonly results: Uint8Array;
  private readonly mark: Uint8Array;

  constructor(
    private readonly net: KindNetwork,
    private readonly model: FactModel,
    private readonly state: EvalState,
  ) {
    const scratch = scratchFor(net);
    this.facts = scratch.facts;
    this.known = scratch.known;
    this.results = scratch.results;
    this.mark = scratch.mark;
  }

  fact(id: number): FactValue {
    if (this.known[id] === 1) return this.facts[id] ?? null;
    const key = this.net.factKeys[id];
    if (!key) throw new Error(`no fact key ${id}`);
    const value = key.impl(this.model, this.state, key.params);
    this.facts[id] = value;
    this.known[id] = 1;
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

  /**
   * The trace json-rules-engine's result would give, except that the root carries its result too
   * (json-rules-engine leaves it unset; `hitOf` would set it to the rule's, which it equals).
   */
  trace(root: Node): TraceNode {
    return this.traced(root);
  }

  /**
   * One pass: each node's trace, combined as `node` combines it. For speed, a child's result is
   * read back from its trace, and each node is one object literal (no spreads, few hidden classes).
   */
  private traced(n: Node): TraceNode {
    switch (n.t) {
      case LEAF: {
        const info = this.net.leaves[n.leaf];
        if (!info) throw new Error(`no leaf ${n.leaf}`);
        const result = labelOf(this.leaf(n.leaf));
        return leafTrace(info.source, normaliseFactValue(this.fact(info.factKey)), result);
      }
      case ALL: {
        const all = n.c.map((c) => this.traced(c));
        return { all, result: labelOf(all.every((t) => t.result === 'true')) };
      }
      case ANY: {
        const any = n.c.map((c) => this.traced(c));
        return { any, result: labelOf(any.length === 0 || any.some((t) => t.result === 'true')) };
      }
      case NOT: {
        const not = this.traced(n.c);
        return { not, result: labelOf(not.result !== 'true') };
      }
    }
  }

  /** Indices of the rules whose trigger leaves hold (plus those without triggers), ascending. */
  candidates(): number[] {
    const net = this.net;
    // Marks, then one scan: ascending without a sort, and no closure per run (for speed).
    const mark = this.mark;
    wake(mark, net.always);
    for (const g of net.groups) {
      const v = this.fact(g.factKey);
      if (g.eq !== null && !(typeof v === 'number' && Number.isNaN(v))) {
        const rs = g.eq.get(v);
        if (rs) wake(mark, rs);
      }
      if (g.gt.length + g.gte.length + g.lt.length + g.lte.length > 0) {
        if (typeof v === 'number') {
          if (!Number.isNaN(v)) {
            for (const th of g.gt) {
              if (!(v > th.t)) break;
              wake(mark, th.rules);
            }
            for (const th of g.gte) {
              if (!(v >= th.t)) break;
              wake(mark, th.rules);
            }
            for (let i = g.lt.length - 1; i >= 0; i--) {
              const th = g.lt[i];
              if (!th || !(v < th.t)) break;
              wake(mark, th.rules);
            }
            for (let i = g.lte.length - 1; i >= 0; i--) {
              const th = g.lte[i];
              if (!th || !(v <= th.t)) break;
              wake(mark, th.rules);
            }
          }
        } else if (v !== null) {
          // Not a number: json-rules-engine's number validator decides, leaf by leaf.
          for (const list of [g.gt, g.gte, g.lt, g.lte])
            for (const th of list) wake(mark, th.rules);
        }
      }
      for (const o of g.other) if (this.leaf(o.leaf)) wake(mark, o.rules);
    }
    const out: number[] = [];
    for (let i = 0; i < mark.length; i++) if (mark[i] === 1) out.push(i);
    return out;
  }
}

function wake(mark: Uint8Array, rules: readonly number[]): void {
  for (const r of rules) mark[r] = 1;
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
      if (r) record(ruleset, state, r.rule, model);
    }
  }

  const { evaluationId, asOf, traceFull } = options;
  return assemble(
    ruleset,
    model,
    state,
    fired,
    traceFull ? { evaluationId, asOf, hits, notFired } : { evaluationId, asOf, hits },
  );
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
