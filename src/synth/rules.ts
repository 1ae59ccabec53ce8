/**
 * A seeded generator of synthetic rulesets in our own YAML rule format, for the benchmark and the
 * differential test. Rules have the shapes real rules have: 2–6 leaves, nested any/all/not,
 * every kind, facts shared across rules, thresholds near where generated patients fall, and most
 * rules not firing for a given patient. Every rule passes the loader's schema and checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Catalog } from '../rules/catalog';
import type { FactDef, RuleKind } from '../rules/catalog-types';
import { RULE_KINDS, VITALS } from '../rules/catalog-types';
import { KIND_FOLDERS } from '../rules/rule-types';
import { Rng, typicalRanges } from './patients';

export interface SyntheticOptions {
  readonly seed: number;
  readonly count: number;
  /** Rules per file (default 25). */
  readonly perFile?: number;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const KIND_WEIGHTS: readonly (readonly [RuleKind, number])[] = [
  ['data', 10],
  ['red-flag', 6],
  ['finding', 24],
  ['option', 30],
  ['safety', 30],
];

const DEFAULT_VALUES: ReadonlySet<string> = new Set([
  'absent',
  'none',
  'normal',
  'unknown',
  'not-pregnant',
]);

const VITAL_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  temperatureC: [37, 40],
  heartRate: [90, 150],
  systolic: [130, 200],
  diastolic: [85, 120],
};

class RuleWriter {
  private readonly ranges: Map<string, readonly [number, number]>;
  private readonly facts: FactDef[];
  private readonly analytes: string[];
  private readonly questionnaires: string[];
  private readonly symptoms: string[];
  private readonly classes: string[];
  private readonly conditions: string[];
  private readonly interventions: string[];
  private readonly tags: string[];
  private readonly findings: string[];
  private readonly codesByKind: Map<string, string[]>;

  constructor(
    private readonly rng: Rng,
    private readonly catalog: Catalog,
  ) {
    this.ranges = typicalRanges(catalog);
    this.facts = [...catalog.facts.values()];
    this.analytes = [...catalog.analytes.keys()];
    this.questionnaires = [...catalog.questionnaires.keys()];
    this.symptoms = [...catalog.symptoms];
    this.classes = [...catalog.medicationClasses.keys()];
    this.conditions = [...catalog.conditions.keys()];
    this.interventions = [...catalog.interventions.keys()];
    this.tags = [...catalog.interventionsByTag.keys()];
    this.findings = [...catalog.findingIds];
    this.codesByKind = new Map();
    for (const code of catalog.reasonCodes.values()) {
      const list = this.codesByKind.get(code.kind) ?? [];
      list.push(code.code);
      this.codesByKind.set(code.kind, list);
    }
  }

  private paramValue(kind: string, params: Record<string, string | number>): string | number {
    const { rng } = this;
    switch (kind) {
      case 'analyte':
        return rng.pick(this.analytes);
      case 'questionnaire':
        // PHQ-9 most often, as in real rules; shared facts across rules.
        return rng.chance(0.5) && this.catalog.questionnaires.has('phq-9')
          ? 'phq-9'
          : rng.pick(this.questionnaires);
      case 'item': {
        const q = this.catalog.questionnaires.get(String(params.instrument));
        return rng.int(1, q?.itemCount ?? 1);
      }
      case 'symptom':
        return rng.pick(this.symptoms);
      case 'vital':
        return rng.pick(VITALS);
      case 'medication-class':
        return rng.pick(this.classes);
      case 'condition':
        return rng.pick(this.conditions);
      case 'intervention':
        return rng.pick(this.interventions);
      case 'intervention-tag':
        return rng.pick(this.tags);
      case 'finding':
        return rng.pick(this.findings);
      case 'reason-code':
        return rng.pick([
          ...(this.codesByKind.get('data') ?? []),
          ...(this.codesByKind.get('red-flag') ?? []),
        ]);
      default:
        return rng.pick(this.analytes);
    }
  }

  /** A threshold around where generated patients fall for this numeric fact. */
  private threshold(fact: FactDef, params: Record<string, string | number>): number {
    const { rng } = this;
    const spread = (lo: number, hi: number): number => {
      const x = lo + (hi - lo) * rng.float();
      return Number(x.toPrecision(3));
    };
    switch (fact.id) {
      case 'age':
        return rng.pick([12, 16, 18, 50, 65, 75]);
      case 'symptom':
        return rng.int(1, 3);
      case 'questionnaire-item': {
        const q = this.catalog.questionnaires.get(String(params.instrument));
        return rng.int(1, q?.itemMax ?? 3);
      }
      case 'questionnaire-total': {
        const q = this.catalog.questionnaires.get(String(params.instrument));
        const max = (q?.itemCount ?? 9) * (q?.itemMax ?? 3);
        return rng.int(Math.round(max * 0.3), Math.round(max * 0.9));
      }
      case 'vital': {
        const [lo, hi] = VITAL_RANGES[String(params.name)] ?? [0, 100];
        return spread(lo, hi);
      }
      case 'biomarker-value': {
        const [lo, hi] = this.ranges.get(String(params.analyte)) ?? [10, 100];
        return rng.chance(0.7) ? spread(hi, hi * 3) : spread(lo * 0.2, lo);
      }
      case 'biomarker-uln-multiple':
        return rng.pick([1, 1.5, 2, 3, 4]);
      default:
        return rng.int(1, 10);
    }
  }

  private leaf(kind: RuleKind): { [key: string]: Json } {
    const { rng } = this;
    const allowed = this.facts.filter(
      (f) => RULE_KINDS.indexOf(f.from) <= RULE_KINDS.indexOf(kind) && f.id !== 'finding-band',
    );
    // Favour facts with parameters: they are most of what real rules read.
    const fact = rng.weighted(allowed.map((f) => [f, f.params ? 4 : 1] as const));
    const params: Record<string, string | number> = {};
    for (const [name, cat] of Object.entries(fact.params ?? {}))
      params[name] = this.paramValue(cat, params);
    const withParams = Object.keys(params).length > 0 ? { params } : {};

    const numeric = fact.returns === 'number' || fact.returns === 'integer';
    if (numeric) {
      if (fact.nullable === true && rng.chance(0.08))
        return { fact: fact.id, ...withParams, operator: 'notEqual', value: null };
      // "Below" thresholds only where an absent value is null (a null never compares).
      const below = fact.nullable === true || fact.id === 'age' ? 20 : 0;
      const op = rng.weighted([
        ['greaterThanInclusive', 40],
        ['greaterThan', 20],
        ['lessThan', below],
        ['between', 10],
        ['equal', 10],
      ] as const);
      const t = this.threshold(fact, params);
      if (op === 'between') {
        const hi = Number((t * (1.2 + rng.float())).toPrecision(3));
        return { fact: fact.id, ...withParams, operator: 'between', value: [t, Math.max(t, hi)] };
      }
      if (op === 'lessThan') {
        // "low" thresholds: below the lower half of the range.
        return {
          fact: fact.id,
          ...withParams,
          operator: op,
          value: Number((t / 3).toPrecision(3)),
        };
      }
      return { fact: fact.id, ...withParams, operator: op, value: t };
    }
    if (fact.id === 'questionnaire-band') {
      // A band above the lowest one of that instrument.
      const bands = this.catalog.questionnaires.get(String(params.instrument))?.bands ?? [];
      const band = bands.length > 1 ? rng.pick(bands.slice(1)) : bands[0];
      if (band) return { fact: fact.id, ...withParams, operator: 'equal', value: band.id };
    }
    if (fact.returns === 'boolean') {
      const value = fact.id === 'medications-attested' ? rng.chance(0.5) : true;
      return { fact: fact.id, ...withParams, operator: 'equal', value };
    }
    // Mostly the values that say something, not the defaults most patients have.
    const all = fact.values ?? [];
    const telling = all.filter((v) => !DEFAULT_VALUES.has(v));
    const values = telling.length > 0 ? telling : all;
    if (values.length === 0)
      return { fact: fact.id, ...withParams, operator: 'notEqual', value: null };
    // Prefer the rarer values (the later ones in the list are rarely the default).
    const op = rng.weighted([
      ['equal', 70],
      ['in', 25],
      ['notEqual', 3],
      ['notIn', 2],
    ] as const);
    if (op === 'in' || op === 'notIn') {
      const chosen = rng.sample(values, rng.int(1, Math.min(3, values.length)));
      return { fact: fact.id, ...withParams, operator: op, value: chosen };
    }
    return { fact: fact.id, ...withParams, operator: op, value: rng.pick(values) };
  }

  /**
   * A condition of `leaves` leaves, nested up to 3 levels. A `not` appears only as a later member
   * of an `all` ("... and not X"), as in real rules, so most rules stay quiet for most patients.
   */
  private condition(
    kind: RuleKind,
    leaves: number,
    depth: number,
    negatable: boolean,
  ): { [key: string]: Json } {
    const { rng } = this;
    if (leaves === 1) {
      const leaf = this.leaf(kind);
      return negatable && rng.chance(0.15) ? { not: leaf } : leaf;
    }
    const op = rng.weighted([
      ['all', depth === 0 ? 85 : 50],
      ['any', depth === 0 ? 15 : 50],
    ] as const);
    const parts: number[] = [];
    let left = leaves;
    while (left > 0) {
      const n = depth < 2 && left > 2 && rng.chance(0.35) ? rng.int(2, Math.min(3, left)) : 1;
      parts.push(n);
      left -= n;
    }
    const children = parts.map((n, i) => this.condition(kind, n, depth + 1, op === 'all' && i > 0));
    const node = { [op]: children };
    return negatable && rng.chance(0.08) ? { not: node } : node;
  }

  private then(kind: RuleKind): { [key: string]: Json } {
    const { rng } = this;
    const code = (k: string): string => rng.pick(this.codesByKind.get(k) ?? ['?']);
    const targets = (): { [key: string]: Json } =>
      rng.chance(0.3) && this.tags.length > 0
        ? { tags: [rng.pick(this.tags)] }
        : { interventions: rng.sample(this.interventions, rng.int(1, 3)) };
    const message = 'Synthetic rule outcome for benchmarking.';
    switch (kind) {
      case 'data':
        return { dataIssue: { code: code('data'), message } };
      case 'red-flag':
        return {
          redFlag: { code: code('red-flag'), message, action: 'Synthetic action.' },
        };
      case 'finding':
        return { finding: { id: rng.pick(this.findings), message } };
      case 'option':
        return { propose: { code: code('indication'), message, ...targets() } };
      case 'safety': {
        const which = rng.weighted([
          ['block', 40],
          ['caution', 45],
          ['defer', 15],
        ] as const);
        const c = which === 'defer' ? code('deferral') : code(which);
        return { [which]: { code: c, message, ...targets() } };
      }
    }
  }

  rule(kind: RuleKind, id: string): { [key: string]: Json } {
    const leaves = this.rng.int(2, 6);
    const when = this.condition(kind, leaves, 0, false);
    const top = 'fact' in when || 'not' in when ? { all: [when] } : when;
    return {
      id,
      version: 1,
      status: 'active',
      kind,
      title: `Synthetic ${kind} rule ${id}`,
      rationale: 'Generated for the benchmark and the differential test; not clinical content.',
      evidence: { grade: 'D', references: ['synthetic'] },
      review: { author: 'bench', reviewer: 'pending-clinical-review' },
      when: top,
      then: this.then(kind),
    };
  }
}

/** Rule files (path under the rules folder → YAML text) for `count` synthetic rules. */
export function generateRuleFiles(
  catalog: Catalog,
  options: SyntheticOptions,
): Map<string, string> {
  const rng = new Rng(options.seed);
  const writer = new RuleWriter(rng, catalog);
  const perFile = options.perFile ?? 25;
  const byKind = new Map<RuleKind, { [key: string]: Json }[][]>();
  const files = new Map<string, string>();
  for (let i = 0; i < options.count; i++) {
    const kind = rng.weighted(KIND_WEIGHTS);
    const fileList = byKind.get(kind) ?? [[]];
    let current = fileList[fileList.length - 1] ?? [];
    if (current.length >= perFile) {
      current = [];
      fileList.push(current);
    }
    byKind.set(kind, fileList);
    const stem = `synth-${String(fileList.length).padStart(3, '0')}`;
    current.push(writer.rule(kind, `${kind}.${stem}.r${current.length + 1}`));
  }
  for (const [kind, fileList] of byKind) {
    fileList.forEach((rules, i) => {
      if (rules.length === 0) return;
      const stem = `synth-${String(i + 1).padStart(3, '0')}`;
      const text = `# yaml-language-server: $schema=../../schemas/rule-file.schema.json\n# Synthetic rules (src/synth/rules.ts); not clinical content.\n${stringify({ rules }, { lineWidth: 0 })}`;
      files.set(`${KIND_FOLDERS[kind]}/${stem}.yaml`, text);
    });
  }
  return files;
}

/**
 * Writes a complete ruleset folder: the manifest and catalog of `sourceDir`, its data checks
 * (`data/`: every served ruleset must raise the codes the fact layer detects and the policies act
 * on, src/engine/ruleset.ts), and `count` synthetic rules. Returns `outDir`.
 */
export function writeSyntheticRuleset(
  catalog: Catalog,
  sourceDir: string,
  outDir: string,
  options: SyntheticOptions,
): string {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, 'catalog'), { recursive: true });
  fs.copyFileSync(path.join(sourceDir, 'manifest.yaml'), path.join(outDir, 'manifest.yaml'));
  for (const name of fs.readdirSync(path.join(sourceDir, 'catalog')))
    if (name.endsWith('.yaml'))
      fs.copyFileSync(path.join(sourceDir, 'catalog', name), path.join(outDir, 'catalog', name));
  for (const folder of Object.values(KIND_FOLDERS))
    fs.mkdirSync(path.join(outDir, folder), { recursive: true });
  const dataDir = path.join(sourceDir, KIND_FOLDERS.data);
  if (fs.existsSync(dataDir))
    for (const name of fs.readdirSync(dataDir))
      if (name.endsWith('.yaml'))
        fs.copyFileSync(path.join(dataDir, name), path.join(outDir, KIND_FOLDERS.data, name));
  for (const [rel, text] of generateRuleFiles(catalog, options))
    fs.writeFileSync(path.join(outDir, rel), text);
  return outDir;
}
