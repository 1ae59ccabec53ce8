import path from 'node:path';
import { cli, FIXTURE_CASES, FIXTURES, fixtureRules, removeTempDirs } from './support';

afterAll(removeTempDirs);

const FAILING = path.join(FIXTURES, 'failing-cases');

describe('ntcds test', () => {
  it('when every case matches, then one ✓ line per case and exit 0', async () => {
    const r = await cli(['test', '--rules', fixtureRules(), '--cases', FIXTURE_CASES], FIXTURES);
    expect(r.stdout.split('\n')).toEqual([
      '✓ 01-normetanephrine-2-5x-uln',
      '✓ 02-normetanephrine-3x-uln',
      '✓ 03-mild-depression-offers-saffron',
      '✓ 04-maoi-blocks-5-htp',
      '✓ 05-item9-raises-rf-si',
      '✓ 06-unattested-medications',
      '✓ 07-data-checks-units-and-range',
      '✓ 08-data-checks-medication-and-item9',
      '✓ 09-data-checks-stale-and-duplicate',
      '9 passed, 0 failed',
    ]);
    expect(r.code).toBe(0);
  });

  it('when a case fails, then exactly the differing parts are shown, expected versus actual, and exit 1', async () => {
    const r = await cli(['test', '--rules', fixtureRules(), '--cases', FAILING], FIXTURES);
    expect(r.stdout.split('\n')).toEqual([
      '✗ 01-maoi-expects-candidate  (failing-cases/01-maoi-expects-candidate.yaml)',
      '    red flag RF-SI: expected, got []',
      '    intervention 5-htp: expected status candidate, got blocked (BLK-SERO-MAOI)',
      '✓ 02-mild-depression-offers-saffron',
      '1 passed, 1 failed',
    ]);
    expect(r.code).toBe(1);
  });

  it('when --filter names a rule id, then only the cases that fire or name it run', async () => {
    const r = await cli(
      [
        'test',
        '--rules',
        fixtureRules(),
        '--cases',
        FIXTURE_CASES,
        '--filter',
        'red-flag.pheochromocytoma',
      ],
      FIXTURES,
    );
    expect(r.stdout.split('\n')).toEqual(['✓ 02-normetanephrine-3x-uln', '1 passed, 0 failed']);
    expect(r.code).toBe(0);
  });

  it('when --filter is part of a case name, then that case runs', async () => {
    const r = await cli(
      ['test', '--rules', fixtureRules(), '--cases', FIXTURE_CASES, '--filter', 'saffron'],
      FIXTURES,
    );
    expect(r.stdout.split('\n')).toEqual([
      '✓ 03-mild-depression-offers-saffron',
      '1 passed, 0 failed',
    ]);
  });

  it('when --filter matches nothing, then it is a usage error', async () => {
    const r = await cli(
      ['test', '--rules', fixtureRules(), '--cases', FIXTURE_CASES, '--filter', 'no-such-rule'],
      FIXTURES,
    );
    expect(r.stderr).toContain('no regression case matches --filter no-such-rule');
    expect(r.code).toBe(2);
  });

  it('when asked for --json, then each case carries its differences', async () => {
    const r = await cli(
      ['test', '--rules', fixtureRules(), '--cases', FAILING, '--json'],
      FIXTURES,
    );
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ ok: false, passed: 1, failed: 1 });
    expect(body.cases[0]).toMatchObject({ name: '01-maoi-expects-candidate', passed: false });
    expect(body.cases[0].differences).toHaveLength(2);
  });
});

describe('ntcds explain', () => {
  it('when given a case file, then it prints outcomes, each fired rule with ✓ leaves and the values seen, and the expectation check', async () => {
    const r = await cli(
      ['explain', 'cases/04-maoi-blocks-5-htp.yaml', '--rules', fixtureRules()],
      FIXTURES,
    );
    const out = r.stdout;
    expect(out).toContain('Case 04-maoi-blocks-5-htp: When a patient takes phenelzine');
    expect(out).toContain('  5-htp: blocked (requested), supplement, grade');
    expect(out).toContain(
      '      block BLK-SERO-MAOI (contraindicated) — Contraindicated with an MAOI.  [safety.sero-maoi v1]',
    );
    expect(out).toMatch(
      / {2}✓ safety\.sero-maoi v1 — Serotonergic agents with an MAOI {3}\S*safety\/sero-maoi\.yaml:3:5/,
    );
    expect(out).toContain(
      '      ✓ all of\n        ✓ medication-class(class=maoi) in ["active","washout"]   saw "active"',
    );
    expect(out).not.toContain('Rules that did not fire');
    expect(out).toContain('✓ matches the case expectations');
    expect(r.code).toBe(0);
  });

  it('when given a request on standard input with --full, then rules that did not fire show ✗ leaves and why', async () => {
    const request = JSON.stringify({
      patient: { age: 40, sex: 'male' },
      medications: { attested: true, items: [] },
      questionnaires: [{ instrument: 'phq-9', total: 15 }],
    });
    const r = await cli(['explain', '-', '--full', '--rules', fixtureRules()], FIXTURES, request);
    expect(r.stdout).toContain('  • phq-9-severity band moderately-severe (grade A)');
    expect(r.stdout).toContain('Rules that did not fire');
    expect(r.stdout).toContain(
      '  ✗ option.depressive-symptoms v1 — Mild to moderate depressive symptoms — saffron',
    );
    expect(r.stdout).toContain(
      '        ✗ finding-band(id=phq-9-severity) in ["mild","moderate"]   saw "moderately-severe"',
    );
    expect(r.code).toBe(0);
  });

  it('when the request is refused by the service rules, then the reason is shown and exit 1', async () => {
    const r = await cli(
      ['explain', '-', '--rules', fixtureRules()],
      FIXTURES,
      '{"patient":{"age":-3}}',
    );
    expect(r.stderr).toMatch(/request refused: INVALID-REQUEST/);
    expect(r.code).toBe(1);
  });

  it('when --json is asked, then the full evaluation response is printed', async () => {
    const r = await cli(
      ['explain', 'cases/02-normetanephrine-3x-uln.yaml', '--json', '--rules', fixtureRules()],
      FIXTURES,
    );
    const body = JSON.parse(r.stdout);
    expect(body.redFlags.map((f: { code: string }) => f.code)).toEqual(['RF-PHEO']);
    expect(body.hits[0].conditions.any[0]).toMatchObject({ factValue: 3, result: 'true' });
    expect(body.expectation).toEqual({ passed: true, differences: [] });
  });

  it('when no input is named, then it is a usage error', async () => {
    const r = await cli(['explain'], FIXTURES);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('explain takes one case file');
  });
});
