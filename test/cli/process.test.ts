import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildCli,
  FIXTURE_CASES,
  FIXTURES,
  fixtureRules,
  removeTempDirs,
  ROOT,
  runChild,
  tempDir,
} from './support';

/** The compiled CLI and server as real child processes, as `npm run rules:*` and `npm run dev` run them. */
beforeAll(() => {
  buildCli();
}, 120000);
afterAll(removeTempDirs);

describe('the compiled CLI as a child process', () => {
  it('when validate runs on a good ruleset, then exit 0', () => {
    const r = runChild(['validate', '--rules', '.', '--cases', FIXTURE_CASES], fixtureRules());
    expect(r.stdout).toContain('no problems');
    expect(r.code).toBe(0);
  });

  it('when validate finds an unbumped change, then the file:line:column line is printed and exit 1', () => {
    const r = runChild(
      ['validate', '--rules', '.', '--cases', FIXTURE_CASES],
      fixtureRules('unbumped'),
    );
    expect(r.stdout).toMatch(
      /^red-flags\/pheochromocytoma\.yaml:4:14 {2}RULE-VERSION-NOT-BUMPED {2}red-flag\.pheochromocytoma: /m,
    );
    expect(r.code).toBe(1);
  });

  it('when test runs a failing case, then exit 1 with the differences', () => {
    const r = runChild(
      ['test', '--rules', fixtureRules(), '--cases', path.join(FIXTURES, 'failing-cases')],
      FIXTURES,
    );
    expect(r.stdout).toContain(
      '    intervention 5-htp: expected status candidate, got blocked (BLK-SERO-MAOI)',
    );
    expect(r.stdout).toContain('1 passed, 1 failed');
    expect(r.code).toBe(1);
  });

  it('when explain reads a request from standard input, then the tree is printed', () => {
    const r = runChild(
      ['explain', '-', '--rules', fixtureRules()],
      FIXTURES,
      JSON.stringify({
        patient: { age: 45, sex: 'male' },
        medications: { attested: true, items: [{ name: 'phenelzine', status: 'active' }] },
        requested: ['5-htp'],
      }),
    );
    expect(r.stdout).toContain(
      '✓ medication-class(class=maoi) in ["active","washout"]   saw "active"',
    );
    expect(r.code).toBe(0);
  });

  it('when coverage runs, then the HTML report is written and exit 0', () => {
    const out = tempDir();
    const r = runChild(
      ['coverage', '--rules', fixtureRules(), '--cases', FIXTURE_CASES, '--out', out],
      FIXTURES,
    );
    expect(r.stdout).toContain('Rule coverage: 100.0%');
    expect(fs.existsSync(path.join(out, 'index.html'))).toBe(true);
    expect(r.code).toBe(0);
  });

  it('when diff compares two versions, then it names the changed case', () => {
    const r = runChild(
      ['diff', fixtureRules(), fixtureRules('v2'), '--cases', FIXTURE_CASES, '--count', '100'],
      FIXTURES,
    );
    expect(r.stdout).toContain(
      'case 01-normetanephrine-2-5x-uln: red flag RF-PHEO (urgent): added',
    );
    expect(r.code).toBe(0);
  });

  it('when the locale is not UTF-8 (LC_ALL=C), then the marks are ASCII; with a UTF-8 locale they are ✓ and ✗', () => {
    const argv = ['explain', '-', '--rules', fixtureRules(), '--full'];
    const body = JSON.stringify({
      patient: { age: 45, sex: 'male' },
      medications: { attested: true, items: [{ name: 'phenelzine', status: 'active' }] },
      requested: ['5-htp'],
    });
    const ascii = runChild(argv, FIXTURES, body, { LC_ALL: 'C' });
    expect(ascii.code).toBe(0);
    expect(ascii.stdout).toContain('ok medication-class(class=maoi) in ["active","washout"]');
    expect(ascii.stdout).not.toMatch(/[^\t\n\r -~]/);
    const utf8 = runChild(argv, FIXTURES, body, { LC_ALL: 'en_US.UTF-8' });
    expect(utf8.stdout).toContain('✓ medication-class(class=maoi)');
    expect(utf8.stdout).toMatch(/✗/);
  });

  it('when asked for --version, then the compiled CLI prints the package version', () => {
    const r = runChild(['--version'], FIXTURES);
    expect(r.stdout.trim()).toMatch(/^ntcds \d+\.\d+\.\d+$/);
    expect(r.code).toBe(0);
  });

  it('when the command is unknown, then usage on stderr and exit 2', () => {
    const r = runChild(['frobnicate'], FIXTURES);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('Commands:');
    expect(r.code).toBe(2);
  });

  it('when validate runs on the shipped rules/, then they match rules/ruleset.lock and the regression cases', () => {
    const r = runChild(['validate'], ROOT);
    expect(
      r.stdout.split('\n').filter((l) => / {2}[A-Z]+(-[A-Z]+)* {2}(?!warning)/.test(l)),
    ).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe('the server with --watch-rules (npm run dev) as a child process', () => {
  let server: ChildProcess | undefined;
  afterEach(() => {
    if (server?.exitCode === null) server.kill('SIGTERM');
  });

  it('when a rule file is broken and then fixed, then /readyz reports the problem, stderr shows the line, and the fix clears it', async () => {
    const rules = fixtureRules();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const outDir = buildCli();
    let stderr = '';
    server = spawn(process.execPath, [path.join(outDir, 'src', 'main.js'), '--watch-rules'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        RULES_DIR: rules,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const readyz = async (): Promise<
      { status: number; body: Record<string, unknown> } | undefined
    > => {
      try {
        const res = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      } catch {
        return undefined;
      }
    };
    const until = async <T>(probe: () => Promise<T | undefined>): Promise<T> => {
      const deadline = Date.now() + 15000;
      for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out; server stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const first = await until(readyz);
    expect(first.status).toBe(200);
    const hash = (first.body.ruleset as { hash: string }).hash;

    fs.writeFileSync(path.join(rules, 'safety', 'sero-maoi.yaml'), 'rules: [\n');
    const broken = await until(async () => {
      const r = await readyz();
      return r?.body.lastReloadError ? r : undefined;
    });
    expect(broken.status).toBe(200);
    expect((broken.body.ruleset as { hash: string }).hash).toBe(hash);
    await until(() =>
      Promise.resolve(
        /rules\/safety\/sero-maoi\.yaml:\d+:\d+ {2}YAML-SYNTAX/.test(stderr) ? true : undefined,
      ),
    );

    fs.copyFileSync(
      path.join(FIXTURES, 'rules', 'safety', 'sero-maoi.yaml'),
      path.join(rules, 'safety', 'sero-maoi.yaml'),
    );
    const fixed = await until(async () => {
      const r = await readyz();
      return r && r.body.lastReloadError === undefined ? r : undefined;
    });
    expect((fixed.body.ruleset as { hash: string }).hash).toBe(hash);
  }, 60000);
});

describe('the server as a child process: batch limits from the environment', () => {
  let server: ChildProcess | undefined;
  afterEach(() => {
    if (server?.exitCode === null) server.kill('SIGTERM');
  });

  it('when BATCH_MAX_LINES=2 is set, then a batch of three gets two answers and TOO-MANY-LINES on line 3; when BATCH_MAX_BYTES is passed by Content-Length, then 413', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const outDir = buildCli();
    let stderr = '';
    server = spawn(process.execPath, [path.join(outDir, 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        BATCH_MAX_LINES: '2',
        BATCH_MAX_BYTES: '4096',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const url = `http://127.0.0.1:${String(port)}/v1/evaluations/batch`;
    const line = JSON.stringify({ patient: { age: 40, sex: 'female' } });
    const post = (body: string): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    const deadline = Date.now() + 20000;
    let res: Response | undefined;
    while (res === undefined) {
      try {
        res = await post(`${line}\n${line}\n${line}\n`);
      } catch {
        if (Date.now() > deadline) throw new Error(`the server did not start:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(res.status).toBe(200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; answer?: unknown; problem?: { code: string } });
    expect(lines.map((l) => [l.line, l.answer ? 'answer' : l.problem?.code])).toEqual([
      [1, 'answer'],
      [2, 'answer'],
      [3, 'TOO-MANY-LINES'],
    ]);
    const big = await post(`${line}\n`.repeat(200));
    expect(big.status).toBe(413);
  }, 60000);
});
