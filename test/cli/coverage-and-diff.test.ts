import fs from 'node:fs';
import path from 'node:path';
import {
  casesWithout,
  cli,
  FIXTURE_CASES,
  FIXTURES,
  fixtureRules,
  removeTempDirs,
  tempDir,
  ROOT,
} from './support';

afterAll(removeTempDirs);

describe('ntcds coverage', () => {
  it('when every active rule fires in a case, then 100% rule coverage, condition coverage per leaf, text and HTML reports, exit 0', async () => {
    const out = tempDir();
    const r = await cli(
      ['coverage', '--rules', fixtureRules(), '--cases', FIXTURE_CASES, '--out', out],
      FIXTURES,
    );
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      'Rule coverage: 100.0% (16/16 active rules fire in at least one of 9 cases)',
    );
    expect(lines[1]).toBe('Condition coverage: 100.0% (16/16 leaves seen both true and false)');
    expect(r.stdout).toContain(
      '✓ red-flag.pheochromocytoma  fired in 1 case; conditions 1/1 both ways',
    );
    // medications-attested = false is true only in case 06 and false everywhere else: both ways.
    expect(r.stdout).toContain(
      '✓ data.medications.unattested  fired in 1 case; conditions 1/1 both ways',
    );
    const html = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).toContain('<b>red-flag.pheochromocytoma</b>');
    expect(html).toContain('Rules: <b>100.0%</b>');
    expect(fs.readFileSync(path.join(out, 'coverage.txt'), 'utf8')).toContain(
      'Rule coverage: 100.0%',
    );
    const json = JSON.parse(fs.readFileSync(path.join(out, 'coverage.json'), 'utf8'));
    expect(json.summary).toMatchObject({ rules: 16, rulesCovered: 16, cases: 9 });
    expect(r.code).toBe(0);
  });

  it('when a leaf is never seen true, then it is listed with its place and the side never seen', async () => {
    const r = await cli(
      ['coverage', '--rules', fixtureRules(), '--cases', casesWithout('02-'), '--out', tempDir()],
      FIXTURES,
    );
    expect(r.stdout).toContain('Condition coverage: 93.8% (15/16 leaves seen both true and false)');
    expect(r.stdout).toMatch(
      /\S*red-flags\/pheochromocytoma\.yaml:15:11 {2}never true: biomarker-uln-multiple-max\(analyte=normetanephrine\) ≥ 3/,
    );
  });

  it('when an active rule fires in no case, then RULE-UNCOVERED and exit 1 (the CI gate)', async () => {
    const r = await cli(
      ['coverage', '--rules', fixtureRules(), '--cases', casesWithout('02-'), '--out', tempDir()],
      FIXTURES,
    );
    expect(r.stdout).toContain('Rule coverage: 93.8% (15/16 active rules');
    expect(r.stdout).toMatch(
      /\S*red-flags\/pheochromocytoma\.yaml:3:5 {2}RULE-UNCOVERED {2}red-flag\.pheochromocytoma: no regression case fires this active rule/,
    );
    expect(r.stdout).toContain('✗ rule coverage is below 100%');
    expect(r.code).toBe(1);
  });
});

describe('ntcds diff', () => {
  it('when the pheochromocytoma limit drops from 3× to 2×, then exactly the 2.5× case changes, under that rule, with counts', async () => {
    const oldRules = fixtureRules();
    const newRules = fixtureRules('v2');
    const r = await cli(
      ['diff', oldRules, newRules, '--cases', FIXTURE_CASES, '--count', '300', '--json'],
      FIXTURES,
    );
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.ruleChanges).toEqual([{ id: 'red-flag.pheochromocytoma', change: 'v1 → v2' }]);
    expect(body.population).toEqual({ regressionCases: 9, synthetic: 300, seed: 1 });
    const regression = body.cases.filter((c: { source: string }) => c.source === 'regression');
    expect(regression).toEqual([
      {
        source: 'regression',
        name: '01-normetanephrine-2-5x-uln',
        responsible: ['red-flag.pheochromocytoma'],
        changes: [
          'red flag RF-PHEO (urgent): added',
          'intervention referral-endocrinology: not offered → candidate (+RF-PHEO)',
        ],
      },
    ]);
    // Whatever synthetic patients change, the only rule that changed is the one responsible.
    expect(body.groups.map((g: { rule: string }) => g.rule)).toEqual(['red-flag.pheochromocytoma']);
    expect(body.groups[0].regression).toEqual(['01-normetanephrine-2-5x-uln']);
    for (const c of body.cases) expect(c.changes).toContain('red flag RF-PHEO (urgent): added');
  });

  it('when read by a person, then the report groups the changed cases under the rule with a tally', async () => {
    const r = await cli(
      ['diff', fixtureRules(), fixtureRules('v2'), '--cases', FIXTURE_CASES, '--count', '0'],
      FIXTURES,
    );
    expect(r.stdout).toContain('Rules changed (1):\n  red-flag.pheochromocytoma: v1 → v2');
    expect(r.stdout).toContain(
      'Outcomes changed: 1 of 9 regression cases, 0 of 0 synthetic patients (seed 1)',
    );
    expect(r.stdout).toContain(
      '▸ red-flag.pheochromocytoma [v1 → v2]: 1 regression case, 0 synthetic',
    );
    expect(r.stdout).toContain('         1× red flag RF-PHEO (urgent): added');
    expect(r.stdout).toContain(
      '    case 01-normetanephrine-2-5x-uln: red flag RF-PHEO (urgent): added; intervention referral-endocrinology: not offered → candidate (+RF-PHEO)',
    );
  });

  it('when the content changed without a bump, then the rule change says so', async () => {
    const r = await cli(
      [
        'diff',
        fixtureRules(),
        fixtureRules('unbumped'),
        '--cases',
        FIXTURE_CASES,
        '--count',
        '0',
        '--fail-on-change',
      ],
      FIXTURES,
    );
    expect(r.stdout).toContain(
      'red-flag.pheochromocytoma: v1, content changed WITHOUT a version bump',
    );
    expect(r.code).toBe(1);
  });

  it('when both sides are the same git ref, then nothing changes and the ref is resolved to its commit', async () => {
    const r = await cli(['diff', 'HEAD', 'HEAD', '--count', '20', '--json'], ROOT);
    expect(r.stderr).toBe('');
    const body = JSON.parse(r.stdout);
    expect(body.old.source).toMatch(/^HEAD \([0-9a-f]{12}\)$/);
    expect(body.changed).toEqual({ regression: 0, synthetic: 0 });
    expect(r.code).toBe(0);
  });

  it('when a side is neither a folder nor a git ref, then it is a usage error', async () => {
    const r = await cli(['diff', 'no-such-ref-or-folder', fixtureRules()], ROOT);
    expect(r.stderr).toContain('"no-such-ref-or-folder" is neither a folder nor a git ref');
    expect(r.code).toBe(2);
  });
});
