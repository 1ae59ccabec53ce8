import fs from 'node:fs';
import path from 'node:path';
import { createLocator, lintRuleset } from './lint';
import type { LintIssue } from './lint';
import { checkLock, parseLock } from './lock';
import type { LocatePolicy, RulesetLock } from './lock';
import type { CheckedRuleset } from './load';

export interface GateOptions {
  /** The lock file (default: ruleset.lock inside the rules folder: the lock travels with the rules). */
  readonly lockPath?: string;
  /** How the lock file is named in messages (default `rules/ruleset.lock`). */
  readonly lockDisplay?: string;
}

export interface GateResult {
  /** Every problem that keeps the ruleset from serving: lint errors and version/lock problems. */
  readonly issues: readonly LintIssue[];
  /** The lock as read, when it could be read. */
  readonly lock: RulesetLock | undefined;
}

/** A gate issue about versions and the lock (which `--update-lock` can act on), not lint. */
export function isLockIssue(code: string): boolean {
  return /(LOCK|VERSION)/.test(code);
}

/** Positions of policies: the `- id:` line of each in rules/catalog/policies.yaml. */
function policyLocator(rulesDir: string): LocatePolicy {
  let lines: string[] | undefined;
  return (policy) => {
    lines ??= readLines(path.join(rulesDir, 'catalog', 'policies.yaml'));
    const index = lines.findIndex((l) => new RegExp(`^\\s*- id: ${policy.id}\\s*$`).test(l));
    return {
      code: '',
      message: '',
      file: 'rules/catalog/policies.yaml',
      line: index < 0 ? 1 : index + 1,
      column: 1,
    };
  };
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/**
 * Whether a loaded ruleset may serve: the one check that `ntcds validate`, start-up, live reload
 * and the image build (`prepare.js`) all apply, beyond the loader's own (schema, references,
 * semantics): contradictions and the other lint errors, and the version-bump rule against the
 * lock (a changed rule or policy needs a higher version; any changed content a higher ruleset
 * version). Warnings do not gate.
 */
export function gateRuleset(
  ruleset: CheckedRuleset,
  rulesDir: string,
  options: GateOptions = {},
): GateResult {
  const lockPath = options.lockPath ?? path.join(rulesDir, 'ruleset.lock');
  const lockDisplay = options.lockDisplay ?? 'rules/ruleset.lock';
  const locate = createLocator(rulesDir);
  const issues: LintIssue[] = lintRuleset(ruleset, locate, rulesDir).filter(
    (i) => i.severity === 'error',
  );
  const asError = (i: Omit<LintIssue, 'severity'>): LintIssue => ({ ...i, severity: 'error' });
  const at = { file: lockDisplay, line: 1, column: 1 };
  let text: string | undefined;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    issues.push(
      asError({
        ...at,
        code: 'RULE-LOCK-MISSING',
        message: `${lockDisplay} does not exist; create it with \`npm run rules:validate -- --update-lock\``,
      }),
    );
    return { issues, lock: undefined };
  }
  const parsed = parseLock(text);
  if (!parsed.ok) {
    issues.push(asError({ ...at, code: 'RULE-LOCK-INVALID', message: parsed.message }));
    return { issues, lock: undefined };
  }
  issues.push(
    ...checkLock(ruleset, parsed.lock, locate, policyLocator(rulesDir), lockDisplay).map(asError),
  );
  return { issues, lock: parsed.lock };
}
