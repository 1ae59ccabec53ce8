import type { EvaluationResponse, Hit, TraceNode } from '../engine/response-types';
import { effectiveResult, leafSeen, leafTest } from '../engine/trace-text';

const MARK: Readonly<Record<TraceNode['result'], string>> = {
  true: '✓',
  false: '✗',
  'not-evaluated': '–',
};

function leafText(node: Extract<TraceNode, { fact: string }>): string {
  return `${leafTest(node)}   ${leafSeen(node)}`;
}

/** The condition tree, one node a line, marked ✓ true, ✗ false, – not evaluated. */
export function conditionLines(node: TraceNode, indent: string): string[] {
  const mark = MARK[effectiveResult(node)];
  if ('all' in node || 'any' in node) {
    const [word, children] = 'all' in node ? ['all', node.all] : ['any', node.any];
    return [
      `${indent}${mark} ${word} of`,
      ...children.flatMap((c) => conditionLines(c, `${indent}  `)),
    ];
  }
  if ('not' in node) return [`${indent}${mark} not`, ...conditionLines(node.not, `${indent}  `)];
  return [`${indent}${mark} ${leafText(node)}`];
}

function hitLines(hit: Hit, source: (s: string) => string): string[] {
  const head = `  ${hit.fired ? '✓' : '✗'} ${hit.ruleId} v${String(hit.version)} — ${hit.title}   ${source(hit.source)}`;
  const failed =
    !hit.fired && hit.failedLeaf && 'fact' in hit.failedLeaf
      ? [`      because: ${leafText(hit.failedLeaf)}`]
      : [];
  return [head, ...failed, ...conditionLines(hit.conditions, '      ')];
}

/**
 * The evaluation as an author reads it: outcomes first, then each rule with its conditions.
 * `source` maps a rule's `rules/...:line:column` to the path the author opened.
 */
export function explainLines(
  r: EvaluationResponse,
  source: (s: string) => string = (s) => s,
): string[] {
  const lines: string[] = [];
  const section = (title: string, body: string[]): void => {
    lines.push('', title, ...(body.length === 0 ? ['  (none)'] : body));
  };
  lines.push(
    `Ruleset ${r.ruleset.id} ${r.ruleset.version} (hash ${r.ruleset.hash.slice(0, 12)}), as of ${r.asOf}`,
  );
  section(
    'Red flags',
    r.redFlags.map(
      (f) =>
        `  ! ${f.code} (${f.urgency}) — ${f.message}  → ${f.action}  [${f.ruleId} v${String(f.ruleVersion)}]`,
    ),
  );
  section(
    'Findings',
    r.findings.map(
      (f) =>
        `  • ${f.id}${f.band === undefined ? '' : ` band ${f.band}`} (grade ${f.evidenceGrade}) — ${f.message}  [${f.ruleId} v${String(f.ruleVersion)}]`,
    ),
  );
  section(
    'Interventions',
    r.interventions.flatMap((i) => [
      `  ${i.id}: ${i.status}${i.requested ? ' (requested)' : ''}, ${i.type}, grade ${i.evidenceGrade}`,
      ...i.reasons.map(
        (reason) =>
          `      ${reason.kind} ${reason.code}${reason.severity === undefined ? '' : ` (${reason.severity})`} — ${reason.message}${reason.ruleId === undefined ? '' : `  [${reason.ruleId} v${String(reason.ruleVersion ?? '')}]`}`,
      ),
    ]),
  );
  section(
    'Data issues',
    r.dataIssues.map(
      (d) =>
        `  ? ${d.code} at ${d.pointer} — ${d.message}${d.detail === undefined ? '' : ` (${d.detail})`}`,
    ),
  );
  section(
    'Rules that fired',
    r.hits.flatMap((h) => hitLines(h, source)),
  );
  if (r.notFired)
    section(
      'Rules that did not fire',
      r.notFired.flatMap((h) => hitLines(h, source)),
    );
  return lines;
}
