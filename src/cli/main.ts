#!/usr/bin/env node
import fs from 'node:fs';
import { coverageCommand, COVERAGE_HELP } from './commands/coverage';
import { diffCommand, DIFF_HELP } from './commands/diff';
import { explainCommand, EXPLAIN_HELP } from './commands/explain';
import { replayCommand, REPLAY_HELP } from './commands/replay';
import { testCommand, TEST_HELP } from './commands/test';
import { validateCommand, VALIDATE_HELP } from './commands/validate';
import { EXIT, UsageError } from './io';
import type { ExitCode, Io } from './io';

const USAGE = `ntcds — authoring tools for the neurotransmitter-cds ruleset

Usage: ntcds <command> [options]

Commands:
  validate   schema and semantic lint, version-bump check against rules/ruleset.lock
  test       run the regression cases, one line per case
  explain    evaluate one case or request and show the condition tree
  coverage   rule and condition coverage of the regression cases (HTML in coverage/rules/)
  diff       which cases change outcome between two rulesets (folders or git refs)
  replay     a population (NDJSON) through the rules, on every core; with --against, what changes

Common options: --rules DIR (default rules/), --cases DIR (default test/regression/cases/),
--json (machine-readable output), --help.
Exit codes: 0 all well, 1 problems found, 2 usage or internal error.`;

const HELP: Readonly<Record<string, string>> = {
  validate: VALIDATE_HELP,
  test: TEST_HELP,
  explain: EXPLAIN_HELP,
  coverage: COVERAGE_HELP,
  diff: DIFF_HELP,
  replay: REPLAY_HELP,
};

/** The CLI as a function: argv without node and script, output through io; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Io,
  stdin: () => string = () => fs.readFileSync(0, 'utf8'),
): Promise<ExitCode> {
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
      case 'replay':
        return await replayCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`ntcds: ${error.message}`);
      io.err('');
      io.err(command !== undefined && command in HELP ? (HELP[command] ?? USAGE) : USAGE);
      return EXIT.usage;
    }
    io.err(`ntcds: internal error: ${error instanceof Error ? error.message : String(error)}`);
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
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  };
  void main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
