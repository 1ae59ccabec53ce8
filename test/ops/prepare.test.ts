import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, RULES_DIR } from '../support/app';
import { ensureBuilt } from './process';

const PREPARE = path.join(ROOT, 'dist', 'src', 'prepare.js');

function prepare(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [PREPARE], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('prepare (the image build step: check the rules, keep the snapshot)', () => {
  let tmp: string;
  beforeAll(() => {
    ensureBuilt();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-prepare-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('when the rules are good, then it writes a snapshot and exits 0, even as production without keys', () => {
    const dir = path.join(tmp, 'snapshots');
    const r = prepare({ NODE_ENV: 'production', RULESET_SNAPSHOT_DIR: dir });
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^ruleset ntcds-core \S+ \([0-9a-f]{12}\) checked/);
    expect(fs.readdirSync(dir).filter((f) => /^ruleset-[0-9a-f]{64}\.json$/.test(f))).toHaveLength(
      1,
    );
  });

  it('when a rule file is broken, then it names the place and exits 1, writing nothing', () => {
    const rules = path.join(tmp, 'rules');
    fs.cpSync(RULES_DIR, rules, { recursive: true });
    const file = path.join(rules, 'red-flags', 'serotonin-toxicity.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('kind: red-flag', 'kind: wrong'));
    const dir = path.join(tmp, 'broken-snapshots');
    const r = prepare({ RULES_DIR: rules, RULESET_SNAPSHOT_DIR: dir });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/serotonin-toxicity\.yaml:\d+:\d+/);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  it('when snapshots are turned off, then there is nothing to prepare (exit 2)', () => {
    expect(prepare({ RULESET_SNAPSHOT_DIR: 'off' }).status).toBe(2);
  });
});
