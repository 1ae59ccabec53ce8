import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/paths';
import { loadCases } from '../regression/case';
import type { RegressionCase } from '../regression/case';
import { loadRuleset } from '../engine/ruleset';
import type { Ruleset } from '../engine/ruleset';
import type { Issue } from '../lib/issue';
import type { ParsedArgs } from './args';
import { stringFlag } from './args';
import { relocate, UsageError } from './io';
import type { Io } from './io';

export const COMMON_VALUED = ['rules', 'cases'] as const;
export const COMMON_BOOLEANS = ['json', 'help'] as const;

export function rulesDirOf(args: ParsedArgs, io: Io): string {
  const given = stringFlag(args, 'rules');
  return given === undefined ? path.join(projectRoot(), 'rules') : path.resolve(io.cwd, given);
}

export function casesDirOf(args: ParsedArgs, io: Io): string {
  const given = stringFlag(args, 'cases');
  return given === undefined
    ? path.join(projectRoot(), 'test', 'regression', 'cases')
    : path.resolve(io.cwd, given);
}

export type Loaded = { ok: true; ruleset: Ruleset } | { ok: false; issues: Issue[] };

/** The ruleset under dir, its problems with paths relative to the working directory. */
export function loadRules(dir: string, io: Io, options: { snapshotDir?: string } = {}): Loaded {
  if (!fs.existsSync(dir)) throw new UsageError(`no rules folder at ${dir}`);
  const result = loadRuleset(dir, undefined, options);
  if (result.ok) return result;
  return { ok: false, issues: result.issues.map((i) => relocate(i, dir, io.cwd)) };
}

/** Cases under dir with their problems; file names relative to the CLI's working directory. */
export function loadCorpus(dir: string, io: Io): { cases: RegressionCase[]; issues: Issue[] } {
  if (!fs.existsSync(dir)) throw new UsageError(`no regression cases folder at ${dir}`);
  // loadCases names files relative to process.cwd(); re-base them on the CLI's own cwd.
  const rebase = (file: string): string =>
    path.relative(io.cwd, path.resolve(process.cwd(), file)).split(path.sep).join('/');
  const { cases, issues } = loadCases(dir);
  return {
    cases: cases.map((c) => ({ ...c, file: rebase(c.file) })),
    issues: issues.map((i) => (i.file === undefined ? i : { ...i, file: rebase(i.file) })),
  };
}
