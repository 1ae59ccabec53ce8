import type { Leaf, RuleDef } from '../rules/rule-types';
import type { Hit, NodeResult, TraceNode } from './response-types';

export function normaliseFactValue(value: unknown): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    // A shortcut for speed: an integer of up to 12 digits is its own 12-digit rounding (−0 is 0).
    if (Number.isInteger(value) && Math.abs(value) < 1e12) return value === 0 ? 0 : value;
    return Number.isFinite(value) ? Number(value.toPrecision(12)) : null;
  }
  return JSON.stringify(value);
}

export function labelOf(holds: boolean): NodeResult {
  return holds ? 'true' : 'false';
}

/** An evaluated leaf's trace: one literal per shape, so leaves share two hidden classes. */
export function leafTrace(
  leaf: Leaf,
  factValue: string | number | boolean | null,
  result: NodeResult,
): TraceNode {
  const { fact, params, operator, value } = leaf;
  return params
    ? { fact, params, operator, value, factValue, result }
    : { fact, operator, value, factValue, result };
}

/** The first evaluated leaf that was false, depth first. */
function firstFalseLeaf(node: TraceNode): TraceNode | undefined {
  if ('all' in node) return firstOf(node.all, firstFalseLeaf);
  if ('any' in node) return firstOf(node.any, firstFalseLeaf);
  if ('not' in node) return node.result === 'false' ? deepestTrue(node.not) : undefined;
  return node.result === 'false' ? node : undefined;
}

/** Under a failed `not`, the leaf that made the inner condition true. */
function deepestTrue(node: TraceNode): TraceNode | undefined {
  if ('all' in node) return firstOf(node.all, deepestTrue);
  if ('any' in node) return firstOf(node.any, deepestTrue);
  if ('not' in node) return firstFalseLeaf(node.not);
  return node.result === 'true' ? node : undefined;
}

/** The leaf `pick` finds in the first child that has one. */
function firstOf(
  children: readonly TraceNode[],
  pick: (node: TraceNode) => TraceNode | undefined,
): TraceNode | undefined {
  for (const child of children) {
    const leaf = pick(child);
    if (leaf !== undefined) return leaf;
  }
  return undefined;
}

/** "file:line:column" per rule, computed once (a hit is built for every rule that fires). */
const sources = new WeakMap<RuleDef, string>();

function sourceOf(rule: RuleDef): string {
  let source = sources.get(rule);
  if (source === undefined) {
    source = `${rule.source.file}:${rule.source.line}:${rule.source.column}`;
    sources.set(rule, source);
  }
  return source;
}

/** A hit from a rule and its condition trace. */
export function hitOf(rule: RuleDef, trace: TraceNode, fired: boolean): Hit {
  // json-rules-engine never sets the root's own result, yet the root was evaluated: its result is
  // the rule's. Left unset it would read not-evaluated, and a failed root `not` would lose its leaf.
  const result = fired ? 'true' : 'false';
  const conditions: TraceNode = trace.result === result ? trace : { ...trace, result };
  const failedLeaf = fired ? undefined : firstFalseLeaf(conditions);
  const { id: ruleId, version, kind, title } = rule;
  const source = sourceOf(rule);
  return failedLeaf
    ? { ruleId, version, kind, title, source, fired, conditions, failedLeaf }
    : { ruleId, version, kind, title, source, fired, conditions };
}
