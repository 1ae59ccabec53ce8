import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRuleset } from '../../src/engine/ruleset';
import type { Ruleset } from '../../src/engine/ruleset';
import { RULES_DIR } from '../support/app';

function load(dir: string, snapshotDir: string): Ruleset {
  const result = loadRuleset(dir, () => new Date('2026-01-15T09:00:00Z'), { snapshotDir });
  if (!result.ok) throw new Error(result.issues.map((i) => i.code).join(', '));
  return result.ruleset;
}

function tempCopyOfRules(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-snap-rules-'));
  fs.cpSync(RULES_DIR, dir, { recursive: true });
  return dir;
}

describe('ruleset snapshots', () => {
  const snapshotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-snap-'));
  const rulesDir = tempCopyOfRules();
  afterAll(() => {
    fs.rmSync(snapshotDir, { recursive: true, force: true });
    fs.rmSync(rulesDir, { recursive: true, force: true });
  });

  it('when a ruleset loads, then a snapshot is written and replaying it gives the same ruleset', () => {
    const first = load(rulesDir, snapshotDir);
    const written = fs.readdirSync(snapshotDir).filter((f) => f.endsWith('.json'));
    expect(written).toHaveLength(1);
    const second = load(rulesDir, snapshotDir);
    expect(second.hash).toBe(first.hash);
    expect(second.manifest).toEqual(first.manifest);
    expect(second.rules).toEqual(first.rules);
    expect(second.catalog.files).toEqual(first.catalog.files);
    expect(second.files).toEqual(first.files);
    expect([...second.compiled.activeByKind].map(([k, r]) => [k, r.length])).toEqual(
      [...first.compiled.activeByKind].map(([k, r]) => [k, r.length]),
    );
  });

  it('when the snapshot exists for the same files and loader, then it is what gets loaded (no re-parse)', () => {
    const [name] = fs.readdirSync(snapshotDir).filter((f) => f.endsWith('.json'));
    const file = path.join(snapshotDir, name!);
    const original = fs.readFileSync(file, 'utf8');
    const snap = JSON.parse(original) as { rules: { title: string }[] };
    snap.rules[0]!.title = 'REPLAYED FROM SNAPSHOT';
    fs.writeFileSync(file, JSON.stringify(snap));
    try {
      expect(load(rulesDir, snapshotDir).rules[0]!.title).toBe('REPLAYED FROM SNAPSHOT');
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('when a rule file changes by one byte, then the old snapshot is ignored and the files are checked again', () => {
    const before = load(rulesDir, snapshotDir);
    const target = path.join(rulesDir, 'red-flags', 'paediatric.yaml');
    const text = fs.readFileSync(target, 'utf8');
    fs.writeFileSync(
      target,
      text.replace('title: Patient younger than 18', 'title: Patient younger than 18!'),
    );
    try {
      const after = load(rulesDir, snapshotDir);
      expect(after.hash).not.toBe(before.hash);
      expect(after.rulesById.get('red-flag.paediatric')?.title).toBe('Patient younger than 18!');
      // A broken edit is reported from the YAML, never masked by an old snapshot.
      fs.writeFileSync(target, text.replace('kind: red-flag', 'kind: red-flagg'));
      const broken = loadRuleset(rulesDir, undefined, { snapshotDir });
      expect(broken.ok).toBe(false);
    } finally {
      fs.writeFileSync(target, text);
    }
  });

  it('when the snapshot folder cannot be written, then the ruleset still loads', () => {
    const notADir = path.join(snapshotDir, 'file-not-dir');
    fs.writeFileSync(notADir, 'x');
    expect(load(rulesDir, path.join(notADir, 'sub')).rules.length).toBeGreaterThan(0);
  });
});
