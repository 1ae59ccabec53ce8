import fs from 'node:fs';
import path from 'node:path';
import { escapeHtml } from '../../lib/html';
import { measureCoverage } from '../../regression/coverage';
import type { RuleCoverage } from '../../regression/coverage';
import { createLocator, describeFact, describeTest } from '../../rules/lint';
import type { ConditionPath } from '../../rules/lint';
import type { RuleDef } from '../../rules/rule-types';
import { parseArgs, stringFlag } from '../args';
import {
  casesDirOf,
  COMMON_BOOLEANS,
  COMMON_VALUED,
  loadCorpus,
  loadRules,
  rulesDirOf,
} from '../context';
import { createEvaluator, runCases } from '../../regression/run';
import { EXIT, issueLine, plural, relocate, reportFailure } from '../io';
import type { ExitCode, Io } from '../io';

export const COVERAGE_HELP = `ntcds coverage [--rules DIR] [--cases DIR] [--out DIR] [--json]

Runs the regression cases and reports rule coverage (each active rule fires in at least one case)
and condition coverage (each leaf condition seen both true and false). Writes a text and an HTML
report under coverage/rules/ (or --out DIR). Exits 1 below 100% rule coverage.

Examples:
  $ ntcds coverage
  $ ntcds coverage --out coverage/rules --json`;

const pct = (n: number, d: number): string => (d === 0 ? '100.0' : ((100 * n) / d).toFixed(1));

function html(rules: readonly RuleCoverage[], summary: Record<string, string | number>): string {
  const rows = rules
    .map((r) => {
      const leafRows = r.leaves
        .map((l) => {
          const both = l.seenTrue > 0 && l.seenFalse > 0;
          return `<tr class="${both ? 'ok' : 'miss'}"><td></td><td><code>${escapeHtml(`${describeFact(l.leaf)} ${describeTest(l.leaf)}`)}</code><br><small>${escapeHtml(l.where)}</small></td><td>${String(l.seenTrue)}× true</td><td>${String(l.seenFalse)}× false</td></tr>`;
        })
        .join('\n');
      return `<tr class="${r.firedIn.length > 0 ? 'ok' : 'miss'} rule"><td>${r.firedIn.length > 0 ? '✓' : '✗'}</td><td><b>${escapeHtml(r.rule.id)}</b> v${String(r.rule.version)} — ${escapeHtml(r.rule.title)}<br><small>${escapeHtml(r.where)}</small></td><td colspan="2">fired in ${String(r.firedIn.length)} case(s)${r.firedIn.length > 0 ? `: ${escapeHtml(r.firedIn.join(', '))}` : ''}</td></tr>\n${leafRows}`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rule coverage</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}td{border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top}tr.miss td{background:#fde8e8}tr.ok.rule td{background:#e8f6ea}small{color:#666}</style>
</head><body>
<h1>Rule coverage — ${escapeHtml(String(summary.ruleset))}</h1>
<p>Rules: <b>${escapeHtml(String(summary.rulePercent))}%</b> (${String(summary.rulesCovered)}/${String(summary.rules)} active rules fire in a case).
Conditions: <b>${escapeHtml(String(summary.conditionPercent))}%</b> (${String(summary.leavesCovered)}/${String(summary.leaves)} leaves seen both true and false) over ${String(summary.cases)} cases.</p>
<table>
${rows}
</table></body></html>
`;
}

export async function coverageCommand(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(argv, [...COMMON_VALUED, 'out'], [...COMMON_BOOLEANS], 0);
  if (args.flags.has('help')) {
    io.out(COVERAGE_HELP);
    return EXIT.ok;
  }
  const rulesDir = rulesDirOf(args, io);
  const loaded = loadRules(rulesDir, io);
  if (!loaded.ok) {
    reportFailure(io, args.flags.has('json'), {
      code: 'RULESET-DOES-NOT-LOAD',
      message: 'the ruleset does not load; run validate',
      issues: loaded.issues,
    });
    return EXIT.problems;
  }
  const { ruleset } = loaded;
  const { cases, issues } = loadCorpus(casesDirOf(args, io), io);
  for (const i of issues) io.err(issueLine(i));
  const runs = await runCases(createEvaluator(ruleset), cases, true);

  const locateRaw = createLocator(rulesDir);
  const where = (rule: RuleDef, p: ConditionPath): string => {
    const at = relocate(locateRaw(rule, p), rulesDir, io.cwd);
    return `${at.file ?? ''}:${String(at.line ?? 1)}:${String(at.column ?? 1)}`;
  };
  const measured = measureCoverage(
    ruleset.rules.filter((r) => r.status === 'active'),
    runs,
    where,
  );
  for (const run of measured.refused)
    if (!run.result.ok)
      io.err(`${run.case.file}:1:1  CASE-REJECTED  ${run.case.name}: ${run.result.rejected}`);
  const refused = measured.refused.length;
  const rules = measured.rules;
  const covered = rules.filter((r) => r.firedIn.length > 0);
  const leaves = rules.flatMap((r) => r.leaves);
  const leavesCovered = leaves.filter((l) => l.seenTrue > 0 && l.seenFalse > 0);
  const summary = {
    ruleset: `${ruleset.manifest.id} ${ruleset.manifest.version}`,
    cases: runs.length,
    rules: rules.length,
    rulesCovered: covered.length,
    rulePercent: pct(covered.length, rules.length),
    leaves: leaves.length,
    leavesCovered: leavesCovered.length,
    conditionPercent: pct(leavesCovered.length, leaves.length),
  };

  const text: string[] = [
    `Rule coverage: ${summary.rulePercent}% (${String(covered.length)}/${String(rules.length)} active rules fire in at least one of ${plural(runs.length, 'case')})`,
    `Condition coverage: ${summary.conditionPercent}% (${String(leavesCovered.length)}/${String(leaves.length)} leaves seen both true and false)`,
    '',
  ];
  for (const r of rules) {
    const both = r.leaves.filter((l) => l.seenTrue > 0 && l.seenFalse > 0).length;
    text.push(
      `${r.firedIn.length > 0 ? '✓' : '✗'} ${r.rule.id}  fired in ${plural(r.firedIn.length, 'case')}; conditions ${String(both)}/${String(r.leaves.length)} both ways`,
    );
    for (const l of r.leaves) {
      if (l.seenTrue > 0 && l.seenFalse > 0) continue;
      const missing = [l.seenTrue === 0 ? 'true' : '', l.seenFalse === 0 ? 'false' : '']
        .filter(Boolean)
        .join(' or ');
      text.push(
        `    ${l.where}  never ${missing}: ${describeFact(l.leaf)} ${describeTest(l.leaf)}`,
      );
    }
  }
  const uncoveredLines = rules
    .filter((r) => r.firedIn.length === 0)
    .map(
      (r) => `${r.where}  RULE-UNCOVERED  ${r.rule.id}: no regression case fires this active rule`,
    );

  const outDir = path.resolve(io.cwd, stringFlag(args, 'out') ?? path.join('coverage', 'rules'));
  fs.mkdirSync(outDir, { recursive: true });
  const report = {
    summary,
    rules: rules.map((r) => ({
      id: r.rule.id,
      version: r.rule.version,
      source: r.where,
      firedIn: r.firedIn,
      leaves: r.leaves.map((l) => ({
        source: l.where,
        condition: `${describeFact(l.leaf)} ${describeTest(l.leaf)}`,
        seenTrue: l.seenTrue,
        seenFalse: l.seenFalse,
      })),
    })),
  };
  fs.writeFileSync(path.join(outDir, 'coverage.txt'), [...text, ...uncoveredLines, ''].join('\n'));
  fs.writeFileSync(path.join(outDir, 'coverage.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'index.html'), html(rules, summary));

  const outRel = path.relative(io.cwd, outDir) || '.';
  if (args.flags.has('json'))
    io.out(JSON.stringify({ ok: uncoveredLines.length === 0, ...report }, null, 2));
  else {
    for (const line of text) io.out(line);
    for (const line of uncoveredLines) io.out(line);
    io.out(`Report: ${outRel}/index.html`);
  }
  const ok = uncoveredLines.length === 0 && issues.length === 0 && refused === 0;
  if (!ok && !args.flags.has('json'))
    io.out('✗ rule coverage is below 100% (or a case could not run)');
  return ok ? EXIT.ok : EXIT.problems;
}
