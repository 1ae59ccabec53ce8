import type { TraceNode } from './response-types';
import { OP_TEXT } from '../rules/operator-text';

// No Node.js imports: the rule studio's front end bundles this module too.

/** A trace leaf as an author reads it: `questionnaire-item(instrument=phq-9, item=9) ≥ 1`. */
export function leafTest(node: Extract<TraceNode, { fact: string }>): string {
  const params = Object.entries(node.params ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  const fact = params === '' ? node.fact : `${node.fact}(${params})`;
  return `${fact} ${OP_TEXT[node.operator] ?? node.operator} ${JSON.stringify(node.value)}`;
}

/** What the leaf saw: `saw 1`, `saw nothing`, or `(not evaluated)`. */
export function leafSeen(node: Extract<TraceNode, { fact: string }>): string {
  return node.result === 'not-evaluated'
    ? '(not evaluated)'
    : `saw ${node.factValue === undefined ? 'nothing' : JSON.stringify(node.factValue)}`;
}

/**
 * json-rules-engine records results on leaves but not always on the boolean nodes above them;
 * those follow from their children (a leaf it skipped stays "not evaluated").
 */
export function effectiveResult(node: TraceNode): TraceNode['result'] {
  if (node.result !== 'not-evaluated' || 'fact' in node) return node.result;
  if ('not' in node) {
    const inner = effectiveResult(node.not);
    return inner === 'not-evaluated' ? inner : inner === 'true' ? 'false' : 'true';
  }
  const results = ('all' in node ? node.all : node.any).map(effectiveResult);
  const [win, lose] = 'all' in node ? (['false', 'true'] as const) : (['true', 'false'] as const);
  if (results.includes(win)) return win;
  if (results.length > 0 && results.every((r) => r === lose)) return lose;
  return 'not-evaluated';
}
