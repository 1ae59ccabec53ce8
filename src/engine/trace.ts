import type { RuleResult } from 'json-rules-engine';
import type { RuleDef } from '../rules/rule-types';
import type { Hit, NodeResult, TraceNode } from './response-types';

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

export function normaliseFactValue(value: unknown): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number')
    return Number.isFinite(value) ? Number(value.toPrecision(12)) : null;
  return JSON.stringify(value);
}

/** The first evaluated leaf that was false, depth first. */
function firstFalseLeaf(node: TraceNode): TraceNode | undefined {
  if ('all' in node) return node.all.map(firstFalseLeaf).find((x) => x !== undefined);
  if ('any' in node) return node.any.map(firstFalseLeaf).find((x) => x !== undefined);
  if ('not' in node) return node.result === 'false' ? deepestTrue(node.not) : undefined;
  return node.result === 'false' ? node : undefined;
}

/** Under a failed `not`, the leaf that made the inner condition true. */
function deepestTrue(node: TraceNode): TraceNode | undefined {
  if ('all' in node) return node.all.map(deepestTrue).find((x) => x !== undefined);
  if ('any' in node) return node.any.map(deepestTrue).find((x) => x !== undefined);
  if ('not' in node) return firstFalseLeaf(node.not);
  return node.result === 'true' ? node : undefined;
}

export function buildHit(rule: RuleDef, result: RuleResult, fired: boolean): Hit {
  return hitOf(rule, toTrace(result.conditions as unknown as ResultNode), fired);
}

/** A hit from a rule and its condition trace. */
export function hitOf(rule: RuleDef, trace: TraceNode, fired: boolean): Hit {
  // json-rules-engine never sets the root's own result, yet the root was evaluated: its result is
  // the rule's. Left unset it would read not-evaluated, and a failed root `not` would lose its leaf.
  const conditions: TraceNode = { ...trace, result: fired ? 'true' : 'false' };
  const failedLeaf = fired ? undefined : firstFalseLeaf(conditions);
  return {
    ruleId: rule.id,
    version: rule.version,
    kind: rule.kind,
    title: rule.title,
    source: `${rule.source.file}:${rule.source.line}:${rule.source.column}`,
    fired,
    conditions,
    ...(failedLeaf ? { failedLeaf } : {}),
  };
}
