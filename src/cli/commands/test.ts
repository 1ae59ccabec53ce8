import { compareOutcome } from '../../regression/case';
import type { RegressionCase } from '../../regression/case';
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
import type { CaseRun } from '../../regression/run';
import { EXIT, issueLine, plural, reportFailure, UsageError } from '../io';
import type { ExitCode, Io } from '../io';

export const TEST_HELP = `ntcds test [--rules DIR] [--cases DIR] [--filter TEXT] [--json]

Runs the regression cases in-process (the same validation, facts and engine as POST /v1/evaluations),
one line per case; a failing case shows expected versus actual for exactly the parts that differ.
  --filter TEXT   only cases whose name contains TEXT, or that fire or name the rule id TEXT
                  (a rule id prefix such as safety.sero-supplement also works)

Examples:
  $ ntcds test
  $ ntcds test --filter safety.sero-supplement
  $ ntcds test --filter maoi --json`;

function matchesRule(id: string, filter: string): boolean {
  return id === filter || id.startsWith(`${filter}.`);
}

function selected(run: CaseRun, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  const c: RegressionCase = run.case;
  if (c.name.includes(filter)) return true;
  const named = [...(c.expect.rulesFired ?? []), ...(c.absent?.rulesFired ?? [])];
  if (named.some((id) => matchesRule(id, filter))) return true;
  return run.result.ok && run.result.response.hits.some((h) => matchesRule(h.ruleId, filter));
}

export async function testCommand(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(argv, [...COMMON_VALUED, 'filter'], [...COMMON_BOOLEANS], 0);
  if (args.flags.has('help')) {
    io.out(TEST_HELP);
    return EXIT.ok;
  }
  const json = args.flags.has('json');
  const filter = stringFlag(args, 'filter');
  const loaded = loadRules(rulesDirOf(args, io), io);
  if (!loaded.ok) {
    reportFailure(io, json, {
      code: 'RULESET-DOES-NOT-LOAD',
      message: `the ruleset does not load (${plural(loaded.issues.length, 'problem')}); run validate`,
      issues: loaded.issues,
    });
    return EXIT.problems;
  }
  const { cases, issues } = loadCorpus(casesDirOf(args, io), io);
  const runs = (await runCases(createEvaluator(loaded.ruleset), cases, false)).filter((r) =>
    selected(r, filter),
  );
  if (filter !== undefined && runs.length === 0)
    throw new UsageError(`no regression case matches --filter ${filter}`);
  const results = runs.map((run) => ({
    name: run.case.name,
    file: run.case.file,
    differences: run.result.ok
      ? compareOutcome(run.case, run.result.response)
      : [`request refused: ${run.result.rejected}`],
  }));
  const failed = results.filter((r) => r.differences.length > 0);

  if (json) {
    io.out(
      JSON.stringify(
        {
          ok: failed.length === 0 && issues.length === 0,
          passed: results.length - failed.length,
          failed: failed.length,
          invalidCaseFiles: issues,
          cases: results.map((r) => ({ ...r, passed: r.differences.length === 0 })),
        },
        null,
        2,
      ),
    );
  } else {
    for (const i of issues) io.out(issueLine(i));
    for (const r of results) {
      if (r.differences.length === 0) {
        io.out(`✓ ${r.name}`);
        continue;
      }
      io.out(`✗ ${r.name}  (${r.file})`);
      for (const d of r.differences) io.out(`    ${d}`);
    }
    io.out(
      `${String(results.length - failed.length)} passed, ${String(failed.length)} failed` +
        (issues.length > 0 ? `, ${plural(issues.length, 'invalid case file problem')}` : ''),
    );
  }
  return failed.length === 0 && issues.length === 0 ? EXIT.ok : EXIT.problems;
}
