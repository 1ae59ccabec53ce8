import fs from 'node:fs';
import path from 'node:path';
import { isUtf8Locale, toAscii } from '../../src/cli/io';
import { ALL_HELP, main } from '../../src/cli/main';
import { cli, fixtureRules, removeTempDirs, ROOT } from './support';

afterAll(removeTempDirs);

const COMMANDS = ['validate', 'test', 'explain', 'coverage', 'diff'] as const;
const VERSION = (
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** Every `  $ ntcds …` line of every help text, as argv plus an optional `< file` for stdin. */
const EXAMPLES = Object.entries(ALL_HELP).flatMap(([topic, help]) =>
  [...help.matchAll(/^ {2}\$ ntcds (.*)$/gm)].map((m) => {
    const [command, input] = m[1]!.split(' < ');
    return { topic, line: m[1]!, argv: command!.trim().split(/\s+/), input };
  }),
);

/** main() with output captured and the terminal marked ASCII-only (LANG=C). */
async function asciiCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    cwd: ROOT,
    ascii: true,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('ntcds --version, help and arguments (node:util parseArgs)', () => {
  it('when asked for --version, then it prints the package version and exits 0', async () => {
    expect(await cli(['--version'], ROOT)).toEqual({
      code: 0,
      stdout: `ntcds ${VERSION}`,
      stderr: '',
    });
    const json = await cli(['--version', '--json'], ROOT);
    expect(JSON.parse(json.stdout)).toEqual({ version: VERSION });
  });

  it.each(COMMANDS)(
    'when asked for the help of %s (`ntcds <command> --help`, `-h`, `ntcds help <command>`), then each prints that command’s help and exits 0',
    async (command) => {
      const help = ALL_HELP[command]!;
      expect(help.startsWith(`ntcds ${command} `)).toBe(true);
      for (const argv of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ])
        expect(await cli(argv, ROOT)).toEqual({ code: 0, stdout: help, stderr: '' });
    },
  );

  it('when `ntcds help` names no command or an unknown one, then the general usage (exit 0) or a usage error (exit 2)', async () => {
    expect(await cli(['help'], ROOT)).toEqual({ code: 0, stdout: ALL_HELP.ntcds, stderr: '' });
    const unknown = await cli(['help', 'frobnicate'], ROOT);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });

  it.each([
    [['validate', 'extra']],
    [['test', 'a-case-name']],
    [['coverage', 'rules']],
    [['explain', 'examples/readme-request.json', 'another.json']],
    [['diff', 'HEAD', 'rules', 'third']],
    [['help', 'test', 'more']],
    [['--version', 'now']],
  ])(
    'when %j has an extra positional argument, then it is a usage error (exit 2)',
    async (argv) => {
      const r = await cli(argv, ROOT);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unexpected argument|takes (no|at most)/);
    },
  );

  it.each([
    [['validate', '--frobnicate'], 'unknown option --frobnicate'],
    [['validate', '-x'], 'unknown option -x'],
    [['test', '--filter'], '--filter needs a value'],
    [['test', '--filter', '--json'], '--filter needs a value'],
    [['test', '--filter='], '--filter needs a value'],
    [['validate', '--json=yes'], '--json takes no value'],
  ])('when the options are %j, then exit 2 with "%s"', async (argv, message) => {
    const r = await cli(argv, ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ntcds: ${message}`);
  });

  it('when the help texts are read, then every command shows at least one example', () => {
    for (const topic of ['ntcds', ...COMMANDS])
      expect(EXAMPLES.filter((e) => e.topic === topic).length).toBeGreaterThan(0);
  });

  it.each(EXAMPLES.map((e) => [e.topic, e.line, e] as const))(
    'when the %s help example `ntcds %s` is run, then it works (exit 0; --json prints JSON)',
    async (_topic, _line, example) => {
      const stdin =
        example.input === undefined ? '' : fs.readFileSync(path.join(ROOT, example.input), 'utf8');
      const r = await cli(example.argv, ROOT, stdin);
      if (r.code !== 0) throw new Error(`exit ${String(r.code)}\n${r.stdout}\n${r.stderr}`);
      if (example.argv.includes('--json'))
        expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
    },
    120000,
  );
});

describe('ntcds --json errors', () => {
  it('when a usage error happens with --json, then stdout has it as JSON (and stderr the human text), exit 2', async () => {
    const r = await cli(['validate', '--frobnicate', '--json'], ROOT);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      error: { code: 'usage', message: 'unknown option --frobnicate' },
    });
    expect(r.stderr).toContain('unknown option --frobnicate');
  });

  it('when the ruleset does not load, then test --json prints the error and its issues as JSON on stdout', async () => {
    const r = await cli(['test', '--rules', fixtureRules('schema'), '--json'], ROOT);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      error: { code: string; issues: { code: string }[] };
    };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('RULESET-DOES-NOT-LOAD');
    expect(out.error.issues.length).toBeGreaterThan(0);
  });

  it('when explain reads a body that is not JSON, then --json prints INVALID-INPUT on stdout', async () => {
    const r = await cli(['explain', '-', '--json'], ROOT, '{"patient": ');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'INVALID-INPUT' } });
  });

  it('when a file cannot be read, then explain --json says so as JSON on stdout (exit 2)', async () => {
    const r = await cli(['explain', 'no-such-file.json', '--json'], ROOT);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'usage' } });
  });
});

describe('ntcds on a terminal that is not UTF-8', () => {
  it.each([
    [{ LANG: 'en_US.UTF-8' }, true],
    [{ LANG: 'C.utf8' }, true],
    [{ LC_ALL: 'de_DE.UTF-8@euro' }, true],
    [{ LANG: 'C' }, false],
    [{ LANG: 'en_US.ISO-8859-1' }, false],
    [{ LC_ALL: 'C', LANG: 'en_US.UTF-8' }, false],
    [{ LC_CTYPE: 'POSIX', LANG: 'en_US.UTF-8' }, false],
    [{}, false],
  ])('when the locale is %j, then UTF-8 is %s', (env, utf8) => {
    expect(isUtf8Locale(env)).toBe(utf8);
  });

  it('when text is written for ASCII, then ✓ ✗ – — … → are spelt out and nothing outside ASCII remains', () => {
    expect(toAscii('✓ a — b … c → d ✗ e – f café ≥ 2 µg 漢')).toBe(
      'ok a - b ... c -> d x e - f cafe >= 2 ug ?',
    );
  });

  it('when test and explain run on an ASCII terminal, then every line is ASCII with ok/x for ✓/✗; --json output keeps its text as is', async () => {
    const tested = await asciiCli(['test', '--filter', 'maoi']);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/^ok /m);
    expect(tested.stdout).not.toMatch(/[^\t\n\r -~]/);
    const explained = await asciiCli([
      'explain',
      'test/regression/cases/005-item9-high-is-emergency.yaml',
      '--full',
    ]);
    expect(explained.stdout).toMatch(/^ {2}x /m);
    expect(explained.stdout).not.toMatch(/[^\t\n\r -~]/);
    const json = await asciiCli(['explain', 'examples/readme-request.json', '--json']);
    const utf8 = await cli(['explain', 'examples/readme-request.json', '--json'], ROOT);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(utf8.stdout));
  });
});
