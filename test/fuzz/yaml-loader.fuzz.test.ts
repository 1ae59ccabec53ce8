import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { Issue } from '../../src/lib/issue';
import { loadRuleset } from '../../src/engine/ruleset';
import { parseYamlSource } from '../../src/rules/yaml-source';
import { RULES_DIR } from '../support/app';

/**
 * Property: a mutated rule or catalog file yields typed problems (or, when the mutation is
 * harmless, a ruleset) — loadRuleset never throws.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const tried: Record<string, number> = {};
const outcomes: Record<string, number> = {};

function listYaml(dir: string, rel = ''): string[] {
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? listYaml(dir, path.join(rel, e.name))
        : e.name.endsWith('.yaml')
          ? [path.join(rel, e.name)]
          : [],
    )
    .sort();
}

const INSERTS = [
  '&a ',
  '*a',
  'x: *a\n',
  '<<: *a\n',
  'base: &a { k: 1 }\n',
  '!!js/function "function () { return 1 }" ',
  '!!js/undefined ',
  '!!python/object:os.system ',
  '!!binary ',
  '%YAML 1.1\n---\n',
  '%TAG ! tag:evil.example,2000:\n---\n',
  '---\n',
  '...\n',
  '__proto__: { polluted: true }\n',
  'constructor: {}\n',
  '? [a, b]\n: c\n',
  '\t',
  '{',
  ']',
  '"',
  "'",
  '#',
  'id: duplicate\n',
  'yes',
  '0x1F',
  '1e999',
  '.inf',
  '~',
  '\u0000',
  '\uFEFF',
  'x'.repeat(10000),
];

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'deleteLine'; line: number }
  | { kind: 'duplicateLine'; line: number }
  | { kind: 'swapLines'; line: number; other: number }
  | { kind: 'indent'; line: number; delta: number }
  | { kind: 'insert'; line: number; column: number; text: string }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('deleteLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), line: fc.nat(), other: fc.nat() }),
  fc.record({
    kind: fc.constant('indent' as const),
    line: fc.nat(),
    delta: fc.integer({ min: -6, max: 6 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    line: fc.nat(),
    column: fc.nat(),
    text: fc.constantFrom(...INSERTS),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function apply(bytes: Buffer, m: Mutation): Buffer {
  if (m.kind === 'flip') {
    const out = Buffer.from(bytes);
    if (out.length > 0) out[m.at % out.length] = m.byte;
    return out;
  }
  if (m.kind === 'truncate') return bytes.subarray(0, m.at % (bytes.length + 1));
  const lines = bytes.toString('utf8').split('\n');
  const i = m.line % lines.length;
  switch (m.kind) {
    case 'deleteLine':
      lines.splice(i, 1);
      break;
    case 'duplicateLine':
      lines.splice(i, 0, lines[i] ?? '');
      break;
    case 'swapLines': {
      const j = m.other % lines.length;
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      break;
    }
    case 'indent': {
      const line = lines[i] ?? '';
      lines[i] =
        m.delta >= 0
          ? ' '.repeat(m.delta) + line
          : line.replace(new RegExp(`^ {0,${-m.delta}}`), '');
      break;
    }
    case 'insert': {
      const line = lines[i] ?? '';
      const c = m.column % (line.length + 1);
      lines[i] = line.slice(0, c) + m.text + line.slice(c);
      break;
    }
  }
  return Buffer.from(lines.join('\n'), 'utf8');
}

function assertTyped(issues: readonly Issue[]): void {
  expect(issues.length).toBeGreaterThan(0);
  for (const issue of issues) {
    expect(issue.code).toMatch(/^[A-Z0-9]+(-[A-Z0-9]+)*$/);
    expect(typeof issue.message).toBe('string');
    expect(issue.message.length).toBeGreaterThan(0);
    if (issue.line !== undefined) expect(issue.line).toBeGreaterThanOrEqual(1);
  }
}

describe('YAML loader fuzzing (mutated copies of the shipped rules)', () => {
  let dir: string;
  let files: string[];
  const originals = new Map<string, Buffer>();

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cds-rules-fuzz-'));
    fs.cpSync(RULES_DIR, dir, { recursive: true });
    files = listYaml(dir);
    for (const f of files) originals.set(f, fs.readFileSync(path.join(dir, f)));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`YAML fuzz: runs ${JSON.stringify(tried)}; outcomes ${JSON.stringify(outcomes)}`);
  });

  it('the unmutated copy loads (so mutations start from a valid ruleset)', () => {
    const result = loadRuleset(dir);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it('when one file of the ruleset is mutated, then loadRuleset returns typed issues or a ruleset, never throws', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (fileIdx, mutations) => {
          tried.loadRuleset = (tried.loadRuleset ?? 0) + 1;
          const file = files[fileIdx % files.length]!;
          const original = originals.get(file)!;
          const mutated = mutations.reduce(apply, original);
          fs.writeFileSync(path.join(dir, file), mutated);
          try {
            const result = loadRuleset(dir);
            if (result.ok) outcomes.ok = (outcomes.ok ?? 0) + 1;
            else {
              assertTyped(result.issues);
              for (const i of result.issues) outcomes[i.code] = (outcomes[i.code] ?? 0) + 1;
            }
          } finally {
            fs.writeFileSync(path.join(dir, file), original);
          }
        },
      ),
      { numRuns: Math.round(40 * SCALE), seed: SEED, endOnFailure: true },
    );
  });

  it('when a file text is mutated, then parseYamlSource returns typed issues or a source, never throws', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (fileIdx, mutations) => {
          tried.parseYamlSource = (tried.parseYamlSource ?? 0) + 1;
          const file = files[fileIdx % files.length]!;
          const text = mutations.reduce(apply, originals.get(file)!).toString('utf8');
          const result = parseYamlSource(file, text);
          if (result.source === undefined) assertTyped(result.issues);
          else expect(result.issues).toEqual([]);
        },
      ),
      { numRuns: Math.round(600 * SCALE), seed: SEED, endOnFailure: true },
    );
  });

  it.each(INSERTS.filter((t) => /[&*!%]|__proto__|constructor|<</.test(t)))(
    'when %j is inserted at the top of a catalog file, then the ruleset is refused with issues',
    (text) => {
      tried.targeted = (tried.targeted ?? 0) + 1;
      const catalogFile = files.find((f) => f.endsWith('units.yaml'))!;
      const original = originals.get(catalogFile)!;
      fs.writeFileSync(
        path.join(dir, catalogFile),
        Buffer.concat([Buffer.from(text.endsWith('\n') ? text : `${text}\n`), original]),
      );
      try {
        const result = loadRuleset(dir);
        expect(result.ok).toBe(false);
        if (!result.ok) assertTyped(result.issues);
      } finally {
        fs.writeFileSync(path.join(dir, catalogFile), original);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );
});
