import type { TraceNode } from '../engine/response-types';
import { walk } from '../rules/lint';
import type { ConditionPath } from '../rules/lint';
import { isLeaf } from '../rules/rule-types';
import type { Leaf, RuleDef } from '../rules/rule-types';
import type { CaseRun } from './run';

/** How often one leaf condition was seen true and false over the corpus. */
export interface LeafCoverage {
  readonly path: ConditionPath;
  readonly leaf: Leaf;
  readonly where: string;
  seenTrue: number;
  seenFalse: number;
}

/** Which cases fired one rule, and how each of its leaves was exercised. */
export interface RuleCoverage {
  readonly rule: RuleDef;
  readonly where: string;
  readonly firedIn: string[];
  readonly leaves: LeafCoverage[];
}

/** The trace node at a rule-condition path (`['when', 'all', 0, ...]`). */
function nodeAt(trace: TraceNode, p: ConditionPath): TraceNode | undefined {
  let node: TraceNode | undefined = trace;
  for (let i = 1; i < p.length && node; i += 1) {
    const step = p[i];
    if (step === 'not') node = 'not' in node ? node.not : undefined;
    else if (step === 'all' || step === 'any') {
      const index = Number(p[i + 1]);
      i += 1;
      node =
        step === 'all' && 'all' in node
          ? node.all[index]
          : step === 'any' && 'any' in node
            ? node.any[index]
            : undefined;
    } else node = undefined;
  }
  return node;
}

/**
 * Rule and condition coverage of `rules` over case runs made with the full trace. `where` names
 * a rule node's `file:line:column`. Runs the request was refused for are returned, not counted.
 */
export function measureCoverage(
  rules: readonly RuleDef[],
  runs: readonly CaseRun[],
  where: (rule: RuleDef, p: ConditionPath) => string,
): { rules: RuleCoverage[]; refused: CaseRun[] } {
  const coverage = new Map<string, RuleCoverage>();
  for (const rule of rules) {
    const leaves: LeafCoverage[] = [];
    walk(rule.when, ['when'], (node, p) => {
      if (isLeaf(node))
        leaves.push({ path: p, leaf: node, where: where(rule, p), seenTrue: 0, seenFalse: 0 });
    });
    coverage.set(rule.id, { rule, where: where(rule, []), firedIn: [], leaves });
  }
  const refused: CaseRun[] = [];
  for (const run of runs) {
    if (!run.result.ok) {
      refused.push(run);
      continue;
    }
    const { hits, notFired = [] } = run.result.response;
    for (const hit of [...hits, ...notFired]) {
      const c = coverage.get(hit.ruleId);
      if (!c) continue;
      if (hit.fired) c.firedIn.push(run.case.name);
      for (const l of c.leaves) {
        const node = nodeAt(hit.conditions, l.path);
        if (!node || !('fact' in node) || node.fact !== l.leaf.fact) continue;
        if (node.result === 'true') l.seenTrue += 1;
        else if (node.result === 'false') l.seenFalse += 1;
      }
    }
  }
  return { rules: [...coverage.values()], refused };
}
