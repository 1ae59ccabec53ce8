import fs from 'node:fs';
import path from 'node:path';
import type { Issue } from '../../lib/issue';
import { gateRuleset, isLockIssue } from '../../rules/gate';
import { computeLock, formatLock, LOCK_BLOCKING_CODES } from '../../rules/lock';
import { createLocator, lintRuleset, uncovered } from '../../rules/lint';
import type { LintIssue } from '../../rules/lint';
import { loadRuleset } from '../../engine/ruleset';
import type { Ruleset } from '../../engine/ruleset';
import { parseArgs, stringFlag } from '../args';
import { casesDirOf, COMMON_BOOLEANS, COMMON_VALUED, loadCorpus, rulesDirOf } from '../context';
import { createEvaluator, runCases } from '../../regression/run';
import { EXIT, issueLine, plural, relocate, UsageError } from '../io';
import type { ExitCode, Io } from '../io';

export const VALIDATE_HELP = `ntcds validate [--rules DIR] [--cases DIR] [--lock FILE] [--update-lock] [--no-cases] [--json]

Schema and semantic lint of the whole ruleset, one line per problem:
  file:line:column  CODE  message
Beyond the loader's checks: content changed without a version bump (against rules/ruleset.lock),
contradictory conditions inside one \`all\`, references to retired rules, and active rules that no
regression case fires (a warning here; an error in \`coverage\`).
  --update-lock   rewrite the lock after a version bump (refused while a bump is missing)
  --no-cases      skip running the regression cases (no RULE-UNCOVERED check)

Examples:
  $ ntcds validate
  $ ntcds validate --no-cases --json`;

const SEVERITY_ORDER = (i: LintIssue): string =>
  `${i.file ?? ''}\0${String(i.line ?? 0).padStart(6, '0')}\0${String(i.column ?? 0).padStart(6, '0')}`;

const asError = (i: Issue): LintIssue => ({ ...i, severity: 'error' });

function printIssues(issues: readonly LintIssue[], io: Io): void {
  for (const i of issues)
    io.out(
      issueLine({ ...i, message: i.severity === 'warning' ? `warning: ${i.message}` : i.message }),
    );
}

function toJson(i: LintIssue): Record<string, unknown> {
  return {
    severity: i.severity,
    code: i.code,
    message: i.message,
    ...(i.file === undefined ? {} : { file: i.file, line: i.line ?? 1, column: i.column ?? 1 }),
  };
}

async function coverageIssues(
  ruleset: Ruleset,
  casesDir: string,
  io: Io,
  locate: ReturnType<typeof createLocator>,
): Promise<LintIssue[]> {
  const { cases, issues } = loadCorpus(casesDir, io);
  const out: LintIssue[] = issues.map(asError);
  const runs = await runCases(createEvaluator(ruleset), cases, false);
  const fired = new Set<string>();
  for (const run of runs) {
    if (run.result.ok) for (const h of run.result.response.hits) fired.add(h.ruleId);
    else
      out.push({
        severity: 'error',
        code: 'CASE-REJECTED',
        message: `${run.case.name}: the request is refused by this ruleset (${run.result.rejected})`,
        file: run.case.file,
        line: 1,
        column: 1,
      });
  }
  out.push(...uncovered(ruleset, fired, locate, 'warning'));
  return out;
}

export async function validateCommand(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(
    argv,
    [...COMMON_VALUED, 'lock'],
    [...COMMON_BOOLEANS, 'update-lock', 'no-cases'],
    0,
  );
  if (args.flags.has('help')) {
    io.out(VALIDATE_HELP);
    return EXIT.ok;
  }
  const json = args.flags.has('json');
  const rulesDir = rulesDirOf(args, io);
  const lockPath = path.resolve(
    io.cwd,
    stringFlag(args, 'lock') ?? path.join(rulesDir, 'ruleset.lock'),
  );
  const lockDisplay = path.relative(io.cwd, lockPath).split(path.sep).join('/');
  if (!fs.existsSync(rulesDir)) throw new UsageError(`no rules folder at ${rulesDir}`);
  const loaded = loadRuleset(rulesDir);

  const report = (found: LintIssue[], ruleset?: Ruleset, note?: string): ExitCode => {
    const issues = found.map((i) => ({ ...relocate(i, rulesDir, io.cwd), severity: i.severity }));
    issues.sort((a, b) => SEVERITY_ORDER(a).localeCompare(SEVERITY_ORDER(b)));
    const errors = issues.filter((i) => i.severity === 'error').length;
    const warnings = issues.length - errors;
    if (json) {
      io.out(
        JSON.stringify(
          {
            ok: errors === 0,
            ...(ruleset
              ? {
                  ruleset: {
                    id: ruleset.manifest.id,
                    version: ruleset.manifest.version,
                    hash: ruleset.hash,
                  },
                }
              : {}),
            errors,
            warnings,
            issues: issues.map(toJson),
            ...(note === undefined ? {} : { note }),
          },
          null,
          2,
        ),
      );
    } else {
      printIssues(issues, io);
      if (note !== undefined) io.out(note);
      const what = ruleset
        ? `${ruleset.manifest.id} ${ruleset.manifest.version} (${plural(ruleset.rules.length, 'rule')})`
        : 'ruleset';
      io.out(
        errors + warnings === 0
          ? `✓ ${what}: no problems`
          : `${errors === 0 ? '✓' : '✗'} ${what}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
      );
    }
    return errors === 0 ? EXIT.ok : EXIT.problems;
  };

  if (!loaded.ok) return report(loaded.issues.map(asError));
  const { ruleset } = loaded;
  // Positions are found as `rules/...`; report() rewrites them once, relative to the cwd.
  const locate = createLocator(rulesDir);
  // The one gate that start-up, reload and the image build apply too (src/rules/gate.ts); its
  // lint errors and lock problems are kept apart so --update-lock can act on the latter.
  const gate = gateRuleset(ruleset, rulesDir, { lockPath, lockDisplay });
  const issues: LintIssue[] = [
    ...lintRuleset(ruleset, locate, rulesDir).filter((i) => i.severity !== 'error'),
    ...gate.issues.filter((i) => !isLockIssue(i.code)),
  ];
  let lockIssues: LintIssue[] = gate.issues.filter((i) => isLockIssue(i.code));

  let note: string | undefined;
  if (args.flags.has('update-lock')) {
    const blocking = lockIssues.filter((i) => LOCK_BLOCKING_CODES.has(i.code));
    if (blocking.length > 0) {
      note = `${lockDisplay} not written: bump the version of every changed rule and policy, and the ruleset's, first`;
      lockIssues = blocking;
    } else {
      fs.writeFileSync(lockPath, formatLock(computeLock(ruleset)));
      note = `wrote ${lockDisplay} (${plural(ruleset.rules.length, 'rule')})`;
      lockIssues = [];
    }
  }
  issues.push(...lockIssues);

  if (!args.flags.has('no-cases')) {
    const casesDir = casesDirOf(args, io);
    if (fs.existsSync(casesDir))
      issues.push(...(await coverageIssues(ruleset, casesDir, io, locate)));
  }
  return report(issues, ruleset, note);
}
