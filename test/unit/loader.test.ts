import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FACTS } from '../../src/engine/state';
import { formatIssue } from '../../src/lib/issue';
import { loadRuleset } from '../../src/engine/ruleset';
import type { LoadResult } from '../../src/engine/ruleset';
import { ROOT, RULES_DIR } from '../support/app';

/**
 * Each fixture is the real manifest and catalog (copied into a temp dir) plus either the small rule
 * files under test/fixtures/loader/<case>/ or one edit to a copied catalog file. Each must fail
 * with its code at the exact `file:line:column` of the offending node.
 */
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'loader');
let base = '';
const temps: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-loader-'));
  temps.push(dir);
  return dir;
}

beforeAll(() => {
  base = tempDir();
  fs.cpSync(path.join(RULES_DIR, 'manifest.yaml'), path.join(base, 'manifest.yaml'));
  fs.cpSync(path.join(RULES_DIR, 'catalog'), path.join(base, 'catalog'), { recursive: true });
  // The data checks every loadable ruleset needs (codes the fact layer detects, holds act on).
  fs.mkdirSync(path.join(base, 'data'));
  for (const name of [
    'biomarker-units.yaml',
    'reference-range.yaml',
    'medications.yaml',
    'phq9-item9.yaml',
    'condition-unknown.yaml',
    'time.yaml',
    'duplicate.yaml',
  ])
    fs.copyFileSync(path.join(RULES_DIR, 'data', name), path.join(base, 'data', name));
});

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh copy of the base ruleset with a fixture folder laid over it. */
function ruleset(fixture?: string): string {
  const dir = tempDir();
  fs.cpSync(base, dir, { recursive: true });
  if (fixture !== undefined) fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

function problems(dir: string): string[] {
  const result = loadRuleset(dir);
  return result.ok ? [] : result.issues.map(formatIssue);
}

const codeOf = (line: string): string => line.split('  ')[1] ?? '';

/** The text of `rel` (relative to the ruleset dir) from line:column on. */
function textAt(dir: string, rel: string, line: number, column: number): string {
  const lines = fs.readFileSync(path.join(dir, rel), 'utf8').split('\n');
  return (lines[line - 1] ?? '').slice(column - 1);
}

function expectProblem(
  dir: string,
  got: readonly string[],
  code: string,
  [file, line, column]: readonly [string, number, number],
  token: string,
): void {
  expect(got).toContainEqual(
    expect.stringMatching(new RegExp(`^${file}:${line}:${column}  ${code}  `)),
  );
  // The position is the offending node: the file holds `token` exactly there.
  expect(textAt(dir, file.replace(/^rules\//, ''), line, column).startsWith(token)).toBe(true);
}

describe('the shipped ruleset', () => {
  let shipped: LoadResult;
  beforeAll(() => {
    shipped = loadRuleset(RULES_DIR);
  });

  it('when rules/ is loaded, then it loads with no problems', () => {
    expect(shipped.ok ? [] : shipped.issues.map(formatIssue)).toEqual([]);
  });

  it('when rules/ is loaded, then it knows its manifest id and semantic version', () => {
    if (!shipped.ok) throw new Error('shipped ruleset did not load');
    expect(shipped.ruleset.manifest.id).toBe('ntcds-core');
    expect(shipped.ruleset.manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('when rules/ is loaded twice, then the content hash is the same', () => {
    const again = loadRuleset(RULES_DIR);
    if (!shipped.ok || !again.ok) throw new Error('shipped ruleset did not load');
    expect(shipped.ruleset.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(again.ruleset.hash).toBe(shipped.ruleset.hash);
  });

  it('when one byte of one file changes, then the hash changes', () => {
    const dir = tempDir();
    fs.cpSync(RULES_DIR, dir, { recursive: true });
    fs.appendFileSync(path.join(dir, 'manifest.yaml'), '\n');
    const changed = loadRuleset(dir);
    if (!shipped.ok || !changed.ok) throw new Error('ruleset did not load');
    expect(changed.ruleset.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(changed.ruleset.hash).not.toBe(shipped.ruleset.hash);
  });

  it('when the fixture base gets one more byte, then only that changes its hash', () => {
    const a = loadRuleset(ruleset('valid'));
    const b = loadRuleset(ruleset('valid'));
    const dir = ruleset('valid');
    fs.appendFileSync(path.join(dir, 'red-flags', 'fixture.yaml'), ' ');
    const c = loadRuleset(dir);
    if (!a.ok || !b.ok || !c.ok) throw new Error('fixture ruleset did not load');
    expect(b.ruleset.hash).toBe(a.ruleset.hash);
    expect(c.ruleset.hash).not.toBe(a.ruleset.hash);
  });

  it('when facts.yaml and src/facts/registry.ts are compared, then every fact has an implementation and vice versa', () => {
    if (!shipped.ok) throw new Error('shipped ruleset did not load');
    expect([...shipped.ruleset.catalog.facts.keys()].sort()).toEqual(Object.keys(FACTS).sort());
  });

  it('when the fixture base has only valid rule files, then it loads (the fixtures break one thing each)', () => {
    expect(problems(ruleset('valid'))).toEqual([]);
    expect(problems(ruleset())).toEqual([]);
  });
});

const RF = 'rules/red-flags/fixture.yaml';

/** [fixture folder, code, file:line:column, text found at that position] */
const RULE_FILE_CASES: readonly [string, string, readonly [string, number, number], string][] = [
  ['yaml-syntax', 'YAML-SYNTAX', [RF, 16, 1], ''],
  ['yaml-syntax-complex-key', 'YAML-SYNTAX', [RF, 11, 7], '[a, b]'],
  ['yaml-duplicate-key', 'YAML-DUPLICATE-KEY', [RF, 8, 5], 'title: Fixture rule again'],
  ['yaml-directive', 'YAML-DIRECTIVE', [RF, 1, 1], '%YAML 1.2'],
  ['yaml-tag', 'YAML-TAG', [RF, 7, 12], '!!str Fixture rule'],
  ['yaml-tag-block', 'YAML-TAG', [RF, 10, 13], '!!map'],
  ['yaml-anchor', 'YAML-ALIAS', [RF, 10, 13], '&who {'],
  ['yaml-alias', 'YAML-ALIAS', [RF, 9, 15], '&ev {'],
  ['yaml-alias', 'YAML-ALIAS', [RF, 22, 15], '*ev'],
  ['yaml-forbidden-key-proto', 'YAML-FORBIDDEN-KEY', [RF, 15, 7], '__proto__:'],
  ['yaml-forbidden-key-constructor', 'YAML-FORBIDDEN-KEY', [RF, 10, 15], 'constructor:'],
  ['yaml-multi-document', 'YAML-MULTI-DOCUMENT', [RF, 16, 1], '---'],
  ['schema-unknown-property', 'SCHEMA', [RF, 6, 5], 'priority: 5'],
  ['schema-missing-property', 'SCHEMA', [RF, 3, 5], 'id: red-flag.fixture'],
  ['rule-duplicate-id', 'RULE-DUPLICATE-ID', [RF, 16, 9], 'red-flag.fixture'],
  ['rule-id-file-mismatch', 'RULE-ID-FILE-MISMATCH', [RF, 3, 9], 'red-flag.other-name'],
  ['rule-kind-folder', 'RULE-KIND-FOLDER', [RF, 6, 11], 'finding'],
  ['rule-outcome-kind', 'RULE-OUTCOME-KIND', [RF, 15, 7], 'block:'],
  ['rule-unknown-fact', 'RULE-UNKNOWN-FACT', [RF, 13, 13], 'fact: serotonin-level'],
  ['rule-fact-order', 'RULE-FACT-ORDER', [RF, 13, 13], 'fact: red-flag'],
  [
    'rule-fact-params',
    'RULE-FACT-PARAMS',
    [RF, 13, 39],
    'params: { instrument: phq-9, item: 9, day: 1 }',
  ],
  ['rule-unknown-operator', 'RULE-UNKNOWN-OPERATOR', [RF, 13, 79], 'operator: regexMatch'],
  [
    'rule-unknown-intervention',
    'RULE-UNKNOWN-INTERVENTION',
    ['rules/safety/fixture.yaml', 15, 87],
    'unicorn-dust',
  ],
  ['rule-unknown-reason-code', 'RULE-UNKNOWN-REASON-CODE', [RF, 15, 24], 'RF-NO-SUCH-CODE'],
  ['rule-reason-kind', 'RULE-REASON-KIND', [RF, 15, 24], 'BLK-SERO-DRUG'],
  [
    'rule-unknown-finding',
    'RULE-UNKNOWN-FINDING',
    ['rules/findings/fixture.yaml', 15, 22],
    'neurotransmitter-chaos',
  ],
  ['rule-unknown-tag', 'RULE-UNKNOWN-TAG', ['rules/safety/fixture.yaml', 15, 85], 'psychedelic'],
  [
    'rule-unknown-detail',
    'RULE-UNKNOWN-DETAIL',
    ['rules/safety/fixture.yaml', 15, 45],
    'made-up-detail',
  ],
  [
    'rule-unknown-reference',
    'RULE-UNKNOWN-REFERENCE',
    [RF, 13, 39],
    'params: { instrument: phq-10',
  ],
  ['rule-value-type', 'RULE-VALUE-TYPE', [RF, 13, 87], 'value: 20'],
  [
    'ruleset-unexpected-file',
    'RULESET-UNEXPECTED-FILE',
    ['rules/notes/todo.yaml', 1, 1],
    '# Loader fixture',
  ],
  [
    'ruleset-file-extension',
    'RULESET-FILE-EXTENSION',
    ['rules/red-flags/fixture.yml', 1, 1],
    '# Loader fixture',
  ],
];

describe('one invalid rule-file fixture per problem code', () => {
  it.each(RULE_FILE_CASES)(
    'when the fixture %s is loaded, then it fails with %s at %p',
    (fixture, code, where, token) => {
      const dir = ruleset(fixture);
      const got = problems(dir);
      expectProblem(dir, got, code, where, token);
      // The fixture breaks one thing: no other problem code is reported.
      expect([...new Set(got.map(codeOf))]).toEqual([code]);
    },
  );
});

/** Appends `text` to a catalog file of `dir`; returns the 1-based line the text starts on. */
function append(dir: string, rel: string, text: string): number {
  const file = path.join(dir, rel);
  const before = fs.readFileSync(file, 'utf8');
  const body = before.endsWith('\n') ? before : `${before}\n`;
  fs.writeFileSync(file, body + text);
  return body.split('\n').length;
}

interface CatalogCase {
  readonly name: string;
  readonly code: string;
  readonly file: string;
  readonly text: string;
  /** Offset (0-based) of the offending line within `text`, its column, and the text there. */
  readonly at: readonly [number, number, string];
}

const ANALYTE = `  - id: fixture-analyte
    name: Fixture analyte
    specimen: serum
`;
const LAB = `  - id: fixture-lab
    name: Fixture lab
    example: true
    references: ["fixture"]
    ranges:
`;

const HOLD_WITHOUT_DATA = `  - id: policy.fixture.hold-without-data
    version: 1
    title: Fixture hold without data
    rationale: Fixture.
    evidence: { grade: D, references: ["fixture"] }
    review: { author: fixture, reviewer: fixture }
    holdWithoutData:
      code: DEF-DATA-MISSING
      holds: supplements
      needs:
`;

const CATALOG_CASES: readonly CatalogCase[] = [
  {
    name: 'an analyte whose unit family does not exist',
    code: 'CATALOG-UNKNOWN-REFERENCE',
    file: 'catalog/analytes.yaml',
    text: `${ANALYTE}    localCode: "local:fixture"\n    unitFamily: no-such-family\n`,
    at: [4, 17, 'no-such-family'],
  },
  {
    name: 'a lab range for an analyte that does not exist',
    code: 'CATALOG-UNKNOWN-REFERENCE',
    file: 'catalog/labs.yaml',
    text: `${LAB}      - { analyte: no-such-analyte, high: 1, unit: "ug/L" }\n`,
    at: [5, 20, 'no-such-analyte'],
  },
  {
    name: 'a urine ratio analyte without a molar mass',
    code: 'CATALOG-MOLAR-MASS-MISSING',
    file: 'catalog/analytes.yaml',
    text: `${ANALYTE}    localCode: "local:fixture"\n    unitFamily: urine-creatinine-ratio\n`,
    at: [0, 5, 'id: fixture-analyte'],
  },
  {
    name: 'a molar unit family without the creatinine molar mass',
    code: 'CATALOG-MOLAR-MASS-MISSING',
    file: 'catalog/units.yaml',
    text: `  - id: fixture-family\n    canonical: "ug/g{creat}"\n    units:\n      - { code: "ug/g{creat}", factor: 1 }\n      - { code: "nmol/mmol{creat}", factor: 1, molar: true }\n`,
    at: [0, 5, 'id: fixture-family'],
  },
  {
    name: 'a LOINC code that fails its check digit',
    code: 'CATALOG-LOINC-CHECK-DIGIT',
    file: 'catalog/analytes.yaml',
    text: `${ANALYTE}    loinc: "2276-5"\n    unitFamily: ferritin\n`,
    at: [3, 12, '"2276-5"'],
  },
  {
    name: 'an analyte with neither a LOINC nor a local code',
    code: 'CATALOG-CODE-MISSING',
    file: 'catalog/analytes.yaml',
    text: `${ANALYTE}    unitFamily: ferritin\n`,
    at: [0, 5, 'id: fixture-analyte'],
  },
  {
    name: 'a unit family whose canonical unit is not listed with factor 1',
    code: 'CATALOG-CANONICAL-UNIT',
    file: 'catalog/units.yaml',
    text: `  - id: fixture-family\n    canonical: "mg/L"\n    units:\n      - { code: "mg/L", factor: 2 }\n`,
    at: [1, 16, '"mg/L"'],
  },
  {
    name: 'a lab range in a unit its analyte cannot use',
    code: 'CATALOG-UNKNOWN-UNIT',
    file: 'catalog/labs.yaml',
    text: `${LAB}      - analyte: ferritin\n        high: 150\n        unit: "mg/dL"\n`,
    at: [7, 15, '"mg/dL"'],
  },
  {
    name: 'a lab range whose low is above its high',
    code: 'CATALOG-RANGE-ORDER',
    file: 'catalog/labs.yaml',
    text: `${LAB}      - analyte: ferritin\n        low: 150\n        high: 15\n        unit: "ug/L"\n`,
    at: [5, 9, 'analyte: ferritin'],
  },
  {
    name: 'questionnaire bands with a gap',
    code: 'CATALOG-BANDS',
    file: 'catalog/questionnaires.yaml',
    text: `  - id: fixture-q
    name: Fixture questionnaire
    localCode: "local:fixture-q"
    itemCount: 2
    itemMin: 0
    itemMax: 3
    bands:
      - { id: low, min: 0, max: 2, label: Low }
      - { id: high, min: 4, max: 6, label: High }
    references: ["fixture"]
`,
    at: [7, 7, '- { id: low'],
  },
  {
    name: 'questionnaire bands that stop short of the maximum total',
    code: 'CATALOG-BANDS',
    file: 'catalog/questionnaires.yaml',
    text: `  - id: fixture-q
    name: Fixture questionnaire
    localCode: "local:fixture-q"
    itemCount: 2
    itemMin: 0
    itemMax: 3
    bands:
      - { id: low, min: 0, max: 2, label: Low }
      - { id: high, min: 3, max: 5, label: High }
    references: ["fixture"]
`,
    at: [7, 7, '- { id: low'],
  },
  {
    name: 'a hold-without-data policy whose need reads a fact that does not exist',
    code: 'RULE-UNKNOWN-FACT',
    file: 'catalog/policies.yaml',
    text: `${HOLD_WITHOUT_DATA}        - detail: kidney-function
          message: Fixture need.
          knownWhen: { fact: no-such-fact, operator: equal, value: true }
`,
    at: [12, 24, 'fact: no-such-fact'],
  },
  {
    name: 'a hold-without-data policy whose need is not a detail of its code',
    code: 'POLICY-UNKNOWN-DETAIL',
    file: 'catalog/policies.yaml',
    text: `${HOLD_WITHOUT_DATA}        - detail: no-such-detail
          message: Fixture need.
          knownWhen: { fact: medications-attested, operator: equal, value: true }
`,
    at: [10, 19, 'no-such-detail'],
  },
  {
    name: 'a medication name used twice',
    code: 'CATALOG-DUPLICATE-NAME',
    file: 'catalog/medications.yaml',
    text: `  - atc: N06AB99\n    name: fixture-drug\n    synonyms: [zoloft]\n`,
    at: [0, 5, 'atc: N06AB99'],
  },
  {
    name: 'a block reason code without a severity',
    code: 'CATALOG-SEVERITY-MISSING',
    file: 'catalog/reason-codes.yaml',
    text: `  - code: BLK-FIXTURE\n    kind: block\n    title: Fixture block without severity\n`,
    at: [0, 5, 'code: BLK-FIXTURE'],
  },
  {
    name: 'a red-flag reason code without an urgency',
    code: 'CATALOG-URGENCY-MISSING',
    file: 'catalog/reason-codes.yaml',
    text: `  - code: RF-FIXTURE\n    kind: red-flag\n    title: Fixture red flag without urgency\n`,
    at: [0, 5, 'code: RF-FIXTURE'],
  },
  {
    name: 'an intervention id listed twice',
    code: 'CATALOG-DUPLICATE-ID',
    file: 'catalog/interventions.yaml',
    text: `  - id: referral-primary-care\n    name: Duplicate\n    type: referral\n    evidenceGrade: B\n    references: ["fixture"]\n`,
    at: [0, 9, 'referral-primary-care'],
  },
  {
    name: 'a fact that the service does not implement',
    code: 'CATALOG-FACT-UNIMPLEMENTED',
    file: 'catalog/facts.yaml',
    text: `  - id: fixture-fact\n    description: A fact no code implements.\n    from: data\n    returns: boolean\n`,
    at: [0, 9, 'fixture-fact'],
  },
  {
    name: 'an unknown property in a catalog entry',
    code: 'SCHEMA',
    file: 'catalog/analytes.yaml',
    text: `${ANALYTE}    localCode: "local:fixture"\n    unitFamily: ferritin\n    colour: blue\n`,
    at: [5, 5, 'colour: blue'],
  },
];

describe('one invalid catalog fixture per problem code', () => {
  it.each(CATALOG_CASES.map((c) => [c.code, c.name, c] as const))(
    'when the catalog has %s (%s), then the loader reports it at the offending node',
    (code, _name, c) => {
      const dir = ruleset();
      const start = append(dir, c.file, c.text);
      const got = problems(dir);
      expectProblem(dir, got, code, [`rules/${c.file}`, start + c.at[0], c.at[1]], c.at[2]);
      expect([...new Set(got.map(codeOf))]).toEqual([code]);
    },
  );

  it('when facts.yaml no longer declares a fact the service implements, then CATALOG-FACT-UNDECLARED', () => {
    const dir = ruleset();
    const file = path.join(dir, 'catalog', 'facts.yaml');
    const text = fs.readFileSync(file, 'utf8');
    // Drop the `sex` entry (no fixture rule reads it).
    const cut = text.replace(/ {2}- id: sex\n(?: {4}.*\n)+/, '');
    expect(cut).not.toBe(text);
    fs.writeFileSync(file, cut);
    const lines = cut.split('\n');
    const first = lines.findIndex((l) => l.startsWith('  - id:')) + 1;
    const got = problems(dir);
    expectProblem(
      dir,
      got,
      'CATALOG-FACT-UNDECLARED',
      ['rules/catalog/facts.yaml', first, 3],
      '- id:',
    );
    expect(got.join('\n')).toContain('"sex"');
    expect([...new Set(got.map(codeOf))]).toEqual(['CATALOG-FACT-UNDECLARED']);
  });
});

describe('missing files and folders', () => {
  it('when manifest.yaml is missing, then RULESET-NO-MANIFEST', () => {
    const dir = ruleset();
    fs.rmSync(path.join(dir, 'manifest.yaml'));
    expect(problems(dir)).toEqual([
      expect.stringMatching(/^rules\/manifest\.yaml:1:1 {2}RULESET-NO-MANIFEST {2}/),
    ]);
  });

  it('when a catalog file is missing, then CATALOG-MISSING-FILE names it', () => {
    const dir = ruleset();
    fs.rmSync(path.join(dir, 'catalog', 'symptoms.yaml'));
    expect(problems(dir)).toEqual([
      expect.stringMatching(/^rules\/catalog\/symptoms\.yaml:1:1 {2}CATALOG-MISSING-FILE {2}/),
    ]);
  });

  it('when the rules folder does not exist, then RULESET-UNREADABLE', () => {
    expect(problems(path.join(tempDir(), 'nowhere'))).toEqual([
      expect.stringMatching(/^\.:1:1 {2}RULESET-UNREADABLE {2}/),
    ]);
  });
});

describe('fixture coverage', () => {
  it('when the loader (src/rules/yaml-source.ts, load.ts, check.ts) can emit a problem code, then this file has a fixture for it', () => {
    const emitted = new Set<string>();
    // The loader: yaml-source.ts (parse), load.ts (files, schemas), check.ts (semantic checks).
    for (const name of ['yaml-source.ts', 'load.ts', 'check.ts']) {
      const text = fs.readFileSync(path.join(ROOT, 'src', 'rules', name), 'utf8');
      for (const m of text.matchAll(/'((?:YAML|RULE|RULESET|CATALOG)-[A-Z0-9-]+|SCHEMA)'/g))
        emitted.add(m[1]!);
    }
    const covered = new Set<string>([
      ...RULE_FILE_CASES.map((c) => c[1]),
      ...CATALOG_CASES.map((c) => c.code),
      'CATALOG-FACT-UNDECLARED',
      'RULESET-NO-MANIFEST',
      'CATALOG-MISSING-FILE',
      'RULESET-UNREADABLE',
    ]);
    expect([...emitted].filter((code) => !covered.has(code)).sort()).toEqual([]);
  });
});
