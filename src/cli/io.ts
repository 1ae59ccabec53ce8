import path from 'node:path';
import { formatIssue } from '../lib/issue';
import type { Issue } from '../lib/issue';

/** Where a command writes and what it resolves paths against; injected so tests can run it in-process. */
export interface Io {
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
  /** The terminal cannot show UTF-8 (see isUtf8Locale): human output is written in ASCII. */
  readonly ascii?: boolean;
}

/**
 * Whether the locale's character set is UTF-8: the first of LC_ALL, LC_CTYPE and LANG that is
 * set decides (POSIX precedence); none set is the C locale, which is ASCII.
 */
export function isUtf8Locale(env: Readonly<Record<string, string | undefined>>): boolean {
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '');
  return locale !== undefined && /\.utf-?8(@|$)/i.test(locale);
}

const NOT_ASCII = /[^\t\n\r -~]/gu;

/** The marks and punctuation the CLI prints, in ASCII. */
const ASCII: Readonly<Record<string, string>> = {
  '✓': 'ok',
  '✗': 'x',
  '–': '-',
  '—': '-',
  '…': '...',
  '→': '->',
  '×': 'x',
  '•': '*',
  '▸': '>',
  '≥': '>=',
  '≤': '<=',
  µ: 'u',
};

/**
 * Text for an ASCII terminal: the CLI's marks spelt out (✓ → ok, ✗ → x, – → -), accents
 * dropped, anything else outside ASCII shown as ?.
 */
export function toAscii(text: string): string {
  return text
    .replace(NOT_ASCII, (c) => ASCII[c] ?? c)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(NOT_ASCII, '?');
}

/**
 * A failure the command reports and stops on: its lines on stderr, and with --json also one
 * JSON object on stdout, `{"ok": false, "error": {code, message, issues}}`, so a script that
 * reads stdout sees it.
 */
export function reportFailure(
  io: Io,
  json: boolean,
  error: { code: string; message: string; issues?: readonly Issue[] },
): void {
  for (const i of error.issues ?? []) io.err(issueLine(i));
  io.err(`✗ ${error.message}`);
  if (json)
    io.out(
      JSON.stringify({
        ok: false,
        error: {
          code: error.code,
          message: error.message,
          ...(error.issues === undefined ? {} : { issues: error.issues }),
        },
      }),
    );
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
