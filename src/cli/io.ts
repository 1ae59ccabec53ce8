import path from 'node:path';
import { formatIssue } from '../lib/issue';
import type { Issue } from '../lib/issue';

/** Where a command writes and what it resolves paths against; injected so tests can run it in-process. */
export interface Io {
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes: 0 all well, 1 the check found problems, 2 usage or internal error. */
export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake on the command line: reported with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The loader names files `rules/<rel>`; a CLI run on another folder prints paths relative to the
 * working directory instead, so editors and CI can open them.
 */
export function relocate(issue: Issue, rulesDir: string, cwd: string): Issue {
  if (issue.file === undefined) return issue;
  const prefix = path.relative(cwd, rulesDir).split(path.sep).join('/');
  const under = (rest: string): string => (prefix === '' ? rest : `${prefix}/${rest}`);
  const file = issue.file.startsWith('rules/')
    ? under(issue.file.slice('rules/'.length))
    : issue.file === '.'
      ? prefix || '.'
      : issue.file;
  return { ...issue, file };
}

export function issueLine(issue: Issue): string {
  return formatIssue(issue);
}

export function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}
