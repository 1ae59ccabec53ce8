import fs from 'node:fs';
import path from 'node:path';
import type { Issue } from '../../lib/issue';
import { compareOutcome, requestOf } from '../../regression/case';
import type { RegressionCase } from '../../regression/case';
import { schemaIssues } from '../../rules/load';
import { createAjv, readSchema } from '../../lib/schemas';
import { parseYamlSource } from '../../rules/yaml-source';
import { parseArgs } from '../args';
import { COMMON_BOOLEANS, COMMON_VALUED, loadRules, rulesDirOf } from '../context';
import { createEvaluator } from '../../regression/run';
import { EXIT, reportFailure, UsageError } from '../io';
import type { ExitCode, Io } from '../io';
import { explainLines } from '../tree';

export const EXPLAIN_HELP = `ntcds explain <case.yaml | request.json | -> [--rules DIR] [--full] [--json]

Evaluates one regression case or one request body (a file, or - for standard input) and prints
red flags, findings, interventions with statuses and reasons, data issues, and every rule that
fired with its condition tree: ✓ true, ✗ false, – not evaluated, and the value each fact had.
  --full   also show every active rule that did not fire, and the leaf that stopped it

Examples:
  $ ntcds explain examples/readme-request.json
  $ ntcds explain test/regression/cases/005-item9-high-is-emergency.yaml --full
  $ ntcds explain - --json < examples/readme-request.json`;

type Input =
  | { kind: 'case'; case: RegressionCase }
  | { kind: 'request'; body: unknown }
  | { kind: 'invalid'; issues: Issue[] };

function isCaseShaped(data: unknown): boolean {
  return typeof data === 'object' && data !== null && 'request' in data && 'expect' in data;
}

function readInput(arg: string, io: Io, stdin: () => string): Input {
  const display = arg === '-' ? '<stdin>' : path.relative(io.cwd, path.resolve(io.cwd, arg));
  let text: string;
  try {
    text = arg === '-' ? stdin() : fs.readFileSync(path.resolve(io.cwd, arg), 'utf8');
  } catch {
    throw new UsageError(`cannot read ${display}`);
  }
  if (/\.json$/i.test(arg) || (arg === '-' && text.trimStart().startsWith('{'))) {
    try {
      const body: unknown = JSON.parse(text);
      if (!isCaseShaped(body)) return { kind: 'request', body };
    } catch {
      return {
        kind: 'invalid',
        issues: [
          { code: 'BAD-JSON', message: 'not valid JSON', file: display, line: 1, column: 1 },
        ],
      };
    }
  }
  const parsed = parseYamlSource(display, text);
  if (!parsed.source) return { kind: 'invalid', issues: [...parsed.issues] };
  const data = parsed.source.data;
  if (!isCaseShaped(data)) return { kind: 'request', body: data };
  const validate = createAjv().compile(readSchema('regression-case.schema.json'));
  if (!validate(data))
    return { kind: 'invalid', issues: schemaIssues(display, parsed.source, validate.errors ?? []) };
  const name = path.basename(display).replace(/\.ya?ml$/i, '');
  return {
    kind: 'case',
    case: { ...(data as Omit<RegressionCase, 'name' | 'file'>), name, file: display },
  };
}

export async function explainCommand(
  argv: readonly string[],
  io: Io,
  stdin: () => string,
): Promise<ExitCode> {
  const args = parseArgs(argv, [...COMMON_VALUED], [...COMMON_BOOLEANS, 'full'], 1);
  if (args.flags.has('help')) {
    io.out(EXPLAIN_HELP);
    return EXIT.ok;
  }
  const [target, ...extra] = args.positionals;
  if (target === undefined || extra.length > 0)
    throw new UsageError('explain takes one case file, request file, or - for standard input');
  const input = readInput(target, io, stdin);
  const json = args.flags.has('json');
  if (input.kind === 'invalid') {
    reportFailure(io, json, {
      code: 'INVALID-INPUT',
      message: `${target === '-' ? 'standard input' : target} is not a valid case or request`,
      issues: input.issues,
    });
    return EXIT.problems;
  }
  const loaded = loadRules(rulesDirOf(args, io), io);
  if (!loaded.ok) {
    reportFailure(io, json, {
      code: 'RULESET-DOES-NOT-LOAD',
      message: 'the ruleset does not load; run validate',
      issues: loaded.issues,
    });
    return EXIT.problems;
  }
  const body = input.kind === 'case' ? requestOf(input.case) : input.body;
  const result = await createEvaluator(loaded.ruleset).run(body, 'explain', args.flags.has('full'));
  if (!result.ok) {
    reportFailure(io, json, {
      code: 'REQUEST-REFUSED',
      message: `request refused: ${result.rejected}`,
    });
    return EXIT.problems;
  }
  const differences = input.kind === 'case' ? compareOutcome(input.case, result.response) : [];
  if (json) {
    io.out(
      JSON.stringify(
        {
          ...result.response,
          ...(input.kind === 'case'
            ? { expectation: { passed: differences.length === 0, differences } }
            : {}),
        },
        null,
        2,
      ),
    );
  } else {
    if (input.kind === 'case') io.out(`Case ${input.case.name}: ${input.case.description}`);
    const rulesDir = rulesDirOf(args, io);
    const rel = path.relative(io.cwd, rulesDir).split(path.sep).join('/');
    const source = (s: string): string => s.replace(/^rules\//, rel === '' ? '' : `${rel}/`);
    for (const line of explainLines(result.response, source)) io.out(line);
    if (input.kind === 'case') {
      io.out('');
      io.out(
        differences.length === 0
          ? '✓ matches the case expectations'
          : '✗ differs from the case expectations:',
      );
      for (const d of differences) io.out(`    ${d}`);
    }
  }
  return differences.length === 0 ? EXIT.ok : EXIT.problems;
}
