import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { loadRuleset } from '../../src/engine/ruleset';
import { formatIssue } from '../../src/lib/issue';
import { computeLock, formatLock } from '../../src/rules/lock';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cli');
export const FIXTURE_CASES = path.join(FIXTURES, 'cases');

const made: string[] = [];

export function tempDir(prefix = 'ntcds-cli-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder tempDir() made in this test file. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** The shipped data checks every served ruleset needs (the codes the fact layer detects and the policies hold on). */
const DATA_CHECKS = [
  'biomarker-units.yaml',
  'reference-range.yaml',
  'medications.yaml',
  'phq9-item9.yaml',
  'condition-unknown.yaml',
  'time.yaml',
  'duplicate.yaml',
];

/**
 * A fixture ruleset in a fresh temporary folder: the shipped manifest, catalog and data checks
 * (every served ruleset must raise the codes the fact layer detects and the policies act on), the
 * fixture rules (test/fixtures/cli/rules/), and a lock that records that state as released; then
 * the files of `variant` laid over them (a change since that release).
 */
export function fixtureRules(variant?: string): string {
  const dir = path.join(tempDir(), 'rules');
  fs.mkdirSync(dir);
  fs.cpSync(path.join(ROOT, 'rules', 'catalog'), path.join(dir, 'catalog'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'));
  for (const name of DATA_CHECKS)
    fs.copyFileSync(path.join(ROOT, 'rules', 'data', name), path.join(dir, 'data', name));
  fs.copyFileSync(path.join(ROOT, 'rules', 'manifest.yaml'), path.join(dir, 'manifest.yaml'));
  fs.cpSync(path.join(FIXTURES, 'rules'), dir, { recursive: true });
  const base = loadRuleset(dir);
  if (!base.ok) throw new Error(base.issues.map(formatIssue).join('\n'));
  fs.writeFileSync(path.join(dir, 'ruleset.lock'), formatLock(computeLock(base.ruleset)));
  if (variant !== undefined)
    fs.cpSync(path.join(FIXTURES, 'variants', variant), dir, { recursive: true });
  return dir;
}

/** A copy of the fixture cases without the ones named. */
export function casesWithout(...names: string[]): string {
  const dir = tempDir();
  for (const f of fs.readdirSync(FIXTURE_CASES))
    if (!names.some((n) => f.startsWith(n)))
      fs.copyFileSync(path.join(FIXTURE_CASES, f), path.join(dir, f));
  return dir;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI's main() in this process, output captured (fast; most tests use it). */
export async function cli(argv: readonly string[], cwd: string, stdin = ''): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    { cwd, out: (t) => out.push(t), err: (t) => err.push(t) },
    () => stdin,
  );
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let built: string | undefined;

/**
 * Compiles src/ once for this test file into node_modules/.cache (not dist/, which the npm
 * scripts own), and returns the path of the compiled CLI. tsc emits even when some other file
 * fails to typecheck; the typecheck itself is CI's job.
 */
export function buildCli(): string {
  if (built !== undefined) return built;
  const outDir = path.join(ROOT, 'node_modules', '.cache', `ntcds-cli-test-${String(process.pid)}`);
  try {
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
      { cwd: ROOT, stdio: 'pipe' },
    );
  } catch {
    // Type errors elsewhere still emit JavaScript; a missing main.js below is the real failure.
  }
  const mainJs = path.join(outDir, 'src', 'cli', 'main.js');
  if (!fs.existsSync(mainJs)) throw new Error(`the CLI did not compile to ${mainJs}`);
  made.push(outDir);
  built = outDir;
  return outDir;
}

/** The compiled CLI as a real child process: `node <out>/src/cli/main.js ...argv` (env laid over this one's). */
export function runChild(
  argv: readonly string[],
  cwd: string,
  input?: string,
  env?: Readonly<Record<string, string>>,
): CliRun {
  const outDir = buildCli();
  const r = spawnSync(process.execPath, [path.join(outDir, 'src', 'cli', 'main.js'), ...argv], {
    cwd,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
    timeout: 60000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
