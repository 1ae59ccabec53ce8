/**
 * The activation network: each kind's rules compiled once per ruleset into
 *
 * - a table of distinct fact keys (fact + params) and distinct leaves (fact key + operator +
 *   value), so one request computes each fact value and each leaf result at most once per kind;
 * - condition trees over leaf numbers, evaluated with json-rules-engine's own semantics (see
 *   `evaluateNode`) and json-rules-engine's own operator objects;
 * - an alpha index in the spirit of Rete: for each rule a set of "trigger" leaves, at least one of
 *   which must hold for the rule to fire, indexed by fact key (hash maps for `equal`/`in`, sorted
 *   thresholds for numeric comparisons). A request looks up the facts, not the rules, so the work
 *   grows with the rules that can fire, not with all rules.
 *
 * The index only narrows which rules are evaluated; every candidate rule is then evaluated in
 * full, so results are those of json-rules-engine (checked by test/perf/differential.test.ts).
 */
import { buildFacts } from '../facts/build';
import type { FactValue, Params } from '../facts/registry';
import { engineOperators } from './jre-operators';
import type { OperatorLike } from './jre-operators';
import { FACTS, newEvalState } from './state';
import type { EvalState } from './state';
import type { FactModel } from '../facts/model';
import type { Catalog } from '../rules/catalog';
import { isLeaf } from '../rules/rule-types';
import type { Condition, Leaf, LeafValue, RuleDef, TopCondition } from '../rules/rule-types';

type FactImpl = (model: FactModel, state: EvalState, params: Params) => FactValue;

export interface FactKey {
  readonly fact: string;
  readonly params: Params;
  readonly impl: FactImpl;
}

export interface LeafInfo {
  readonly factKey: number;
  readonly operator: OperatorLike;
  readonly value: LeafValue;
  /** The leaf as written, for the trace. */
  readonly source: Leaf;
}

export const LEAF = 0;
export const ALL = 1;
export const ANY = 2;
export const NOT = 3;

export type Node =
  | { readonly t: typeof LEAF; readonly leaf: number }
  | { readonly t: typeof ALL | typeof ANY; readonly c: readonly Node[] }
  | { readonly t: typeof NOT; readonly c: Node };

export interface CompiledRule {
  readonly rule: RuleDef;
  readonly root: Node;
}

interface Threshold {
  readonly t: number;
  readonly rules: readonly number[];
}

/** Every trigger leaf on one fact key. */
export interface TriggerGroup {
  readonly factKey: number;
  /** `equal` and `in` leaves with primitive values: fact value → rules. */
  readonly eq: ReadonlyMap<unknown, readonly number[]> | null;
  /** Numeric comparisons, sorted by threshold ascending. */
  readonly gt: readonly Threshold[];
  readonly gte: readonly Threshold[];
  readonly lt: readonly Threshold[];
  readonly lte: readonly Threshold[];
  /** Any other trigger leaf, evaluated one by one. */
  readonly other: readonly { readonly leaf: number; readonly rules: readonly number[] }[];
}

export interface KindNetwork {
  readonly factKeys: readonly FactKey[];
  readonly leaves: readonly LeafInfo[];
  /** The kind's active rules in file order. */
  readonly rules: readonly CompiledRule[];
  /** Rules no trigger set covers: evaluated for every request. */
  readonly always: readonly number[];
  readonly groups: readonly TriggerGroup[];
}

function stableParams(params: Readonly<Record<string, string | number>> | undefined): string {
  if (params === undefined) return '';
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}

const NUMERIC_OPS: ReadonlyMap<string, 'gt' | 'gte' | 'lt' | 'lte'> = new Map([
  ['greaterThan', 'gt'],
  ['greaterThanInclusive', 'gte'],
  ['lessThan', 'lt'],
  ['lessThanInclusive', 'lte'],
] as const);

/**
 * The leaves that hold for a typical adult with an attested empty medication list and no data:
 * they make poor triggers, since they would wake their rules for almost every request.
 */
function typicalTruth(
  catalog: Catalog,
  leaves: readonly LeafInfo[],
  keys: readonly FactKey[],
): boolean[] {
  const model = buildFacts(catalog, {
    patient: { age: 40 },
    medications: { attested: true, items: [] },
  });
  const state = newEvalState();
  return leaves.map((l) => {
    const key = keys[l.factKey];
    if (!key) return true;
    try {
      return l.operator.evaluate(key.impl(model, state, key.params), l.value) === true;
    } catch {
      return true;
    }
  });
}

export function buildKindNetwork(catalog: Catalog, rules: readonly RuleDef[]): KindNetwork {
  const operators = engineOperators();
  const factKeys: FactKey[] = [];
  const factKeyIndex = new Map<string, number>();
  const leaves: LeafInfo[] = [];
  const leafIndex = new Map<string, number>();

  const leafOf = (leaf: Leaf): number => {
    const pk = `${leaf.fact}\u0000${stableParams(leaf.params)}`;
    let fk = factKeyIndex.get(pk);
    if (fk === undefined) {
      const impl = FACTS[leaf.fact];
      if (!impl) throw new Error(`fact ${leaf.fact} has no implementation`);
      fk = factKeys.length;
      factKeys.push({ fact: leaf.fact, params: leaf.params ?? {}, impl });
      factKeyIndex.set(pk, fk);
    }
    const lk = `${fk}\u0000${leaf.operator}\u0000${JSON.stringify(leaf.value)}`;
    let id = leafIndex.get(lk);
    if (id === undefined) {
      const operator = operators.get(leaf.operator);
      if (!operator) throw new Error(`operator ${leaf.operator} is unknown`);
      id = leaves.length;
      leaves.push({ factKey: fk, operator, value: leaf.value, source: leaf });
      leafIndex.set(lk, id);
    }
    return id;
  };

  const nodeOf = (c: Condition): Node => {
    if (isLeaf(c)) return { t: LEAF, leaf: leafOf(c) };
    if ('all' in c) return { t: ALL, c: c.all.map(nodeOf) };
    if ('any' in c) return { t: ANY, c: c.any.map(nodeOf) };
    return { t: NOT, c: nodeOf(c.not) };
  };
  const topOf = (c: TopCondition): Node => nodeOf(c);

  const compiled: CompiledRule[] = rules.map((rule) => ({ rule, root: topOf(rule.when) }));

  // Trigger selection: the cheapest sound set of leaves per rule.
  const typical = typicalTruth(catalog, leaves, factKeys);
  const leafCost = (id: number): number => {
    if (typical[id] === true) return 1;
    const l = leaves[id];
    if (!l) return 1;
    const op = l.source.operator;
    if (op === 'equal') return 0.02;
    if (op === 'in' && Array.isArray(l.value)) return 0.02 * l.value.length;
    if (NUMERIC_OPS.has(op) || op === 'between') return 0.2;
    return 0.6;
  };
  /** Leaves at least one of which holds whenever the node holds; null when none can be named. */
  const triggers = (n: Node): { leaves: number[]; cost: number } | null => {
    switch (n.t) {
      case LEAF:
        return { leaves: [n.leaf], cost: leafCost(n.leaf) };
      case ALL: {
        let best: { leaves: number[]; cost: number } | null = null;
        for (const child of n.c) {
          const t = triggers(child);
          if (t && (best === null || t.cost < best.cost)) best = t;
        }
        return best;
      }
      case ANY: {
        if (n.c.length === 0) return null;
        const out: number[] = [];
        let cost = 0;
        for (const child of n.c) {
          const t = triggers(child);
          if (!t) return null;
          out.push(...t.leaves);
          cost += t.cost;
        }
        return { leaves: [...new Set(out)], cost };
      }
      case NOT:
        return null;
    }
  };

  const always: number[] = [];
  const rulesByTrigger = new Map<number, number[]>();
  compiled.forEach((r, i) => {
    const t = triggers(r.root);
    // A trigger set that would wake the rule for most requests is no better than none.
    if (!t || t.cost >= 1) {
      always.push(i);
      return;
    }
    for (const leaf of t.leaves) {
      const list = rulesByTrigger.get(leaf) ?? [];
      list.push(i);
      rulesByTrigger.set(leaf, list);
    }
  });

  interface MutableGroup {
    eq: Map<unknown, number[]> | null;
    gt: Map<number, number[]>;
    gte: Map<number, number[]>;
    lt: Map<number, number[]>;
    lte: Map<number, number[]>;
    other: { leaf: number; rules: number[] }[];
  }
  const groups = new Map<number, MutableGroup>();
  const addTo = (m: Map<unknown, number[]>, key: unknown, rs: readonly number[]): void => {
    const list = m.get(key) ?? [];
    for (const r of rs) if (!list.includes(r)) list.push(r);
    m.set(key, list);
  };
  const isPrimitive = (v: unknown): boolean =>
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && !Number.isNaN(v));
  for (const [leafId, rs] of rulesByTrigger) {
    const leaf = leaves[leafId];
    if (!leaf) continue;
    let g = groups.get(leaf.factKey);
    if (!g) {
      g = { eq: null, gt: new Map(), gte: new Map(), lt: new Map(), lte: new Map(), other: [] };
      groups.set(leaf.factKey, g);
    }
    const op = leaf.source.operator;
    const numeric = NUMERIC_OPS.get(op);
    if (op === 'equal' && isPrimitive(leaf.value)) {
      g.eq ??= new Map();
      addTo(g.eq, leaf.value, rs);
    } else if (op === 'in' && Array.isArray(leaf.value) && leaf.value.every(isPrimitive)) {
      g.eq ??= new Map();
      for (const v of leaf.value) addTo(g.eq, v, rs);
    } else if (
      numeric !== undefined &&
      typeof leaf.value === 'number' &&
      !Number.isNaN(leaf.value)
    ) {
      addTo(g[numeric], leaf.value, rs);
    } else {
      g.other.push({ leaf: leafId, rules: rs });
    }
  }
  const sorted = (m: Map<number, number[]>): Threshold[] =>
    [...m.entries()].sort((a, b) => a[0] - b[0]).map(([t, rules]) => ({ t, rules }));

  return {
    factKeys,
    leaves,
    rules: compiled,
    always,
    groups: [...groups.entries()].map(([factKey, g]) => ({
      factKey,
      eq: g.eq,
      gt: sorted(g.gt),
      gte: sorted(g.gte),
      lt: sorted(g.lt),
      lte: sorted(g.lte),
      other: g.other,
    })),
  };
}
