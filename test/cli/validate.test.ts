import fs from 'node:fs';
import path from 'node:path';
import { casesWithout, cli, FIXTURE_CASES, fixtureRules, removeTempDirs } from './support';

afterAll(removeTempDirs);

/** The shipped manifest's version, which the fixture rulesets copy (and lock). */
const SHIPPED_VERSION = /^version:\s*(\S+)/m.exec(
  fs.readFileSync(path.join(__dirname, '..', '..', 'rules', 'manifest.yaml'), 'utf8'),
)?.[1];

/** validate on a fixture ruleset, run from inside its folder so paths read `red-flags/x.yaml:4:14`. */
async function validate(rules: string, ...extra: string[]) {
  return cli(['validate', '--rules', '.', '--cases', FIXTURE_CASES, ...extra], rules);
}

const lines = (text: string): string[] =>
  text.split('\n').filter((l) => /^\S+:\d+:\d+ {2}/.test(l));

describe('ntcds validate', () => {
  it('when the ruleset, its lock and its cases agree, then it exits 0 with no problems', async () => {
    const r = await validate(fixtureRules());
    expect(r.stdout).toContain('✓ ntcds-core');
    expect(r.stdout).toContain('(13 rules): no problems');
    expect(lines(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('when a threshold changes without a version bump, then RULE-VERSION-NOT-BUMPED points at the version line', async () => {
    const r = await validate(fixtureRules('unbumped'));
    expect(lines(r.stdout)).toEqual([
      `manifest.yaml:1:1  RULESET-VERSION-NOT-BUMPED  rule or catalog content changed since ruleset ${String(SHIPPED_VERSION)} was locked; raise version in rules/manifest.yaml (and add a rules/CHANGELOG.md entry), then run \`npm run rules:validate -- --update-lock\``,
      'red-flags/pheochromocytoma.yaml:4:14  RULE-VERSION-NOT-BUMPED  red-flag.pheochromocytoma: content changed since version 1 was locked; bump version to 2, then run `npm run rules:validate -- --update-lock`',
    ]);
    expect(r.code).toBe(1);
  });

  it('when the change is not bumped, then --update-lock refuses to write the lock', async () => {
    const rules = fixtureRules('unbumped');
    const before = fs.readFileSync(path.join(rules, 'ruleset.lock'), 'utf8');
    const r = await validate(rules, '--update-lock');
    expect(r.stdout).toContain('ruleset.lock not written');
    expect(r.stdout).toContain('RULE-VERSION-NOT-BUMPED');
    expect(fs.readFileSync(path.join(rules, 'ruleset.lock'), 'utf8')).toBe(before);
    expect(r.code).toBe(1);
  });

  it('when the version is bumped, then the lock is outdated until --update-lock records the new version', async () => {
    const rules = fixtureRules('v2');
    const first = await validate(rules);
    expect(lines(first.stdout)).toEqual([
      `manifest.yaml:1:1  RULESET-LOCK-OUTDATED  ruleset version raised ${String(SHIPPED_VERSION)} → 99.0.0; record it with \`npm run rules:validate -- --update-lock\``,
      'red-flags/pheochromocytoma.yaml:4:14  RULE-LOCK-OUTDATED  red-flag.pheochromocytoma: version bumped 1 → 2; record it with `npm run rules:validate -- --update-lock`',
    ]);
    expect(first.code).toBe(1);

    const update = await validate(rules, '--update-lock');
    expect(update.stdout).toContain('wrote ruleset.lock (13 rules)');
    expect(update.code).toBe(0);
    const lock = JSON.parse(fs.readFileSync(path.join(rules, 'ruleset.lock'), 'utf8'));
    expect(lock.rules['red-flag.pheochromocytoma'].version).toBe(2);
    expect(lock.ruleset.version).toBe('99.0.0');

    const again = await validate(rules);
    expect(again.code).toBe(0);
  });

  it('when two leaves of one `all` cannot both hold, then RULE-CONTRADICTION names them; consistent limits pass', async () => {
    const r = await validate(fixtureRules('contradiction'));
    const contradictions = lines(r.stdout).filter((l) => l.includes('RULE-CONTRADICTION'));
    expect(contradictions).toEqual([
      'options/contradiction.yaml:16:11  RULE-CONTRADICTION  option.contradiction.interval: questionnaire-total(instrument=phq-9) cannot be < 10 and > 20 at once; this `all` can never be true',
      'options/contradiction.yaml:37:15  RULE-CONTRADICTION  option.contradiction.equal: finding-band(id=phq-9-severity) cannot be = "mild" and = "severe" at once; this `all` can never be true',
    ]);
    expect(r.stdout).not.toContain('option.contradiction.consistent: questionnaire-total');
    expect(r.code).toBe(1);
  });

  it('when an active rule reads a finding produced only by a retired rule, then RULE-RETIRED-REFERENCE', async () => {
    const r = await validate(fixtureRules('retired-reference'));
    expect(lines(r.stdout)).toContain(
      'options/depressive-symptoms.yaml:15:11  RULE-RETIRED-REFERENCE  option.depressive-symptoms: reads finding phq-9-severity, produced only by finding.questionnaire-severity (retired)',
    );
    expect(r.code).toBe(1);
  });

  it('when a rule has no evidence grade, then the schema problem is reported at its place and nothing else runs', async () => {
    const r = await validate(fixtureRules('schema'));
    expect(lines(r.stdout)).toEqual([
      'safety/sero-maoi.yaml:10:7  SCHEMA  missing property "grade" at /rules/0/evidence',
    ]);
    expect(r.code).toBe(1);
  });

  it('when two rules share an id, then RULE-DUPLICATE-ID', async () => {
    const r = await validate(fixtureRules('duplicate-id'));
    expect(lines(r.stdout)).toEqual([
      'safety/sero-maoi.yaml:21:9  RULE-DUPLICATE-ID  safety.sero-maoi: id already used in rules/safety/sero-maoi.yaml',
    ]);
    expect(r.code).toBe(1);
  });

  it('when no case fires an active rule, then RULE-UNCOVERED is a warning and validate still passes', async () => {
    const r = await cli(
      ['validate', '--rules', '.', '--cases', casesWithout('02-')],
      fixtureRules(),
    );
    expect(lines(r.stdout)).toEqual([
      'red-flags/pheochromocytoma.yaml:3:5  RULE-UNCOVERED  warning: red-flag.pheochromocytoma: no regression case fires this active rule; add a case under test/regression/cases/',
    ]);
    expect(r.stdout).toContain('0 errors, 1 warning');
    expect(r.code).toBe(0);
  });

  it('when a rule file lacks the yaml-language-server schema line, then RULE-SCHEMA-HEADER at line 1', async () => {
    const rules = fixtureRules();
    const file = path.join(rules, 'options', 'depressive-symptoms.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split('\n').slice(1).join('\n'));
    const r = await validate(rules);
    expect(lines(r.stdout)).toEqual([
      'options/depressive-symptoms.yaml:1:1  RULE-SCHEMA-HEADER  the first line must be "# yaml-language-server: $schema=<relative path to schemas/rule-file.schema.json>" so editors validate the file',
    ]);
    expect(r.code).toBe(1);
  });

  it('when the lock is missing, then RULE-LOCK-MISSING tells how to create it', async () => {
    const rules = fixtureRules();
    fs.rmSync(path.join(rules, 'ruleset.lock'));
    const r = await validate(rules);
    expect(lines(r.stdout)[0]).toMatch(/^ruleset\.lock:1:1 {2}RULE-LOCK-MISSING {2}/);
    expect(r.code).toBe(1);
  });

  it('when asked for --json, then every problem comes with severity, code, file, line and column', async () => {
    const r = await validate(fixtureRules('unbumped'), '--json');
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ ok: false, errors: 2, warnings: 0 });
    expect(body.issues).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'RULESET-VERSION-NOT-BUMPED',
        file: 'manifest.yaml',
        line: 1,
        column: 1,
      }),
      expect.objectContaining({
        severity: 'error',
        code: 'RULE-VERSION-NOT-BUMPED',
        file: 'red-flags/pheochromocytoma.yaml',
        line: 4,
        column: 14,
      }),
    ]);
    expect(r.code).toBe(1);
  });

  it('when an option is unknown, then it is a usage error (exit 2)', async () => {
    const r = await cli(['validate', '--frobnicate'], fixtureRules());
    expect(r.stderr).toContain('unknown option --frobnicate');
    expect(r.code).toBe(2);
  });
});
