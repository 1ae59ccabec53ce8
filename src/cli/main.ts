#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/paths';
import { coverageCommand, COVERAGE_HELP } from './commands/coverage';
import { diffCommand, DIFF_HELP } from './commands/diff';
import { docCommand, DOC_HELP } from './commands/doc';
import { explainCommand, EXPLAIN_HELP } from './commands/explain';
import { replayCommand, REPLAY_HELP } from './commands/replay';
import { testCommand, TEST_HELP } from './commands/test';
import { validateCommand, VALIDATE_HELP } from './commands/validate';
import { EXIT, isUtf8Locale, toAscii, UsageError } from './io';
import type { ExitCode, Io } from './io';

const USAGE = `ntcds — authoring tools for the neurotransmitter-cds ruleset

Usage: ntcds <command> [options]
       ntcds help <command>      (or ntcds <command> --help): that command's options and examples
       ntcds --version

Commands:
  validate   schema and semantic lint, version-bump check against rules/ruleset.lock
  test       run the regression cases, one line per case
  explain    evaluate one case or request and show the condition tree
  coverage   rule and condition coverage of the regression cases (HTML in coverage/rules/)
  diff       which cases change outcome between two rulesets (folders or git refs)
  doc        the rule book (/rules) as a static site (default site/rules/)
  replay     a population (NDJSON) through the rules, on every core; with --against, what changes

Common options: --rules DIR (default rules/), --cases DIR (default test/regression/cases/),
--json (machine-readable output; errors too, as {"ok": false, "error": …} on stdout), --help.
Exit codes: 0 all well, 1 problems found, 2 usage or internal error.

Examples:
  $ ntcds validate
  $ ntcds help test
  $ ntcds --version`;

const HELP: Readonly<Record<string, string>> = {
  validate: VALIDATE_HELP,
  test: TEST_HELP,
  explain: EXPLAIN_HELP,
  coverage: COVERAGE_HELP,
  diff: DIFF_HELP,
  doc: DOC_HELP,
  replay: REPLAY_HELP,
};

/** The general usage and every command's help, for tests that run each example shown. */
export const ALL_HELP: Readonly<Record<string, string>> = { ntcds: USAGE, ...HELP };

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** With --json anywhere before `--`, output is JSON (errors included) and is never transliterated. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** The CLI as a function: argv without node and script, output through io; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  terminal: Io,
  stdin: () => string = () => fs.readFileSync(0, 'utf8'),
): Promise<ExitCode> {
  const json = wantsJson(argv);
  const io: Io =
    terminal.ascii === true
      ? {
          cwd: terminal.cwd,
          out: (text) => {
            terminal.out(json ? text : toAscii(text));
          },
          err: (text) => {
            terminal.err(toAscii(text));
          },
        }
      : terminal;
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(rest, io);
      case 'test':
        return await testCommand(rest, io);
      case 'explain':
        return await explainCommand(rest, io, stdin);
      case 'coverage':
        return await coverageCommand(rest, io);
      case 'diff':
        return await diffCommand(rest, io);
      case '--version':
      case '-V':
        if (rest.some((arg) => arg !== '--json'))
          throw new UsageError('--version takes no arguments');
        io.out(json ? JSON.stringify({ version: version() }) : `ntcds ${version()}`);
        return EXIT.ok;
      case 'help': {
        const [topic, ...extra] = rest;
        if (extra.length > 0) throw new UsageError('help takes at most one command');
        if (topic !== undefined && !(topic in HELP))
          throw new UsageError(`unknown command "${topic}"`);
        io.out(topic === undefined ? USAGE : (HELP[topic] ?? USAGE));
        return EXIT.ok;
      }
      case 'doc':
        return await docCommand(rest, io);
      case 'replay':
        return await replayCommand(rest, io);
      case undefined:
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const usage = error instanceof UsageError;
    const message = usage
      ? error.message
      : `internal error: ${error instanceof Error ? error.message : String(error)}`;
    if (json)
      io.out(JSON.stringify({ ok: false, error: { code: usage ? 'usage' : 'internal', message } }));
    io.err(`ntcds: ${message}`);
    if (usage) {
      io.err('');
      io.err(command !== undefined && command in HELP ? (HELP[command] ?? USAGE) : USAGE);
    }
    return EXIT.usage;
  }
}

if (require.main === module) {
  // `ntcds explain x | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const io: Io = {
    cwd: process.cwd(),
    ascii: !isUtf8Locale(process.env),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  };
  void main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
