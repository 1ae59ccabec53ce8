import fs from 'node:fs';
import path from 'node:path';
import type { Issue } from '../lib/issue';
import type { CheckedRuleset as Ruleset } from './load';
import { childrenOf, isLeaf, outcomeOf } from './rule-types';
import type { Condition, Leaf, LeafValue, RuleDef } from './rule-types';
import { OP_TEXT } from './operator-text';
import { parseYamlSource } from './yaml-source';
import type { YamlSource } from './yaml-source';

export type Severity = 'error' | 'warning';

/** A lint finding: an Issue with a severity (warnings do not fail `validate`). */
export interface LintIssue extends Issue {
  readonly severity: Severity;
}

export type ConditionPath = readonly (string | number)[];

/**
 * Positions inside rule files, read again from disk: `locate(rule, ['when', 'all', 1])` is the
 * `file:line:column` of that node. Rule files are small; each is parsed at most once.
 */
export function createLocator(rulesDir: string): (rule: RuleDef, p: ConditionPath) => Issue {
  const cache = new Map<string, YamlSource | null>();
  const sourceOf = (display: string): YamlSource | null => {
    let source = cache.get(display);
    if (source !== undefined) return source;
    const rel = display.replace(/^rules\//, '');
    try {
      source =
        parseYamlSource(display, fs.readFileSync(path.join(rulesDir, rel), 'utf8')).source ?? null;
    } catch {
      source = null;
    }
    cache.set(display, source);
    return source;
  };
  return (rule, p) => {
    const base = { code: '', message: '', file: rule.source.file };
    const source = sourceOf(rule.source.file);
    const rules = (source?.data as { rules?: { id?: unknown }[] } | undefined)?.rules;
    const index = rules?.findIndex((r) => r.id === rule.id) ?? -1;
    if (!source || index < 0)
      return { ...base, line: rule.source.line, column: rule.source.column };
    const pos = source.locate(['rules', index, ...p]);
    return { ...base, ...pos };
  };
}

type Locate = ReturnType<typeof createLocator>;

/** Visits every node of a condition tree with its path below the rule (starting at `when`). */
export function walk(
  condition: Condition,
  p: ConditionPath,
  visit: (node: Condition, p: ConditionPath) => void,
): void {
  visit(condition, p);
  if (isLeaf(condition)) return;
  if ('not' in condition) {
    walk(condition.not, [...p, 'not'], visit);
    return;
  }
  const key = 'all' in condition ? 'all' : 'any';
  childrenOf(condition).forEach((child, i) => {
    walk(child, [...p, key, i], visit);
  });
}

const paramsKey = (leaf: Leaf): string =>
  Object.entries(leaf.params ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');

export function describeFact(leaf: Leaf): string {
  const params = paramsKey(leaf);
  return params === '' ? leaf.fact : `${leaf.fact}(${params})`;
}

export { OP_TEXT } from './operator-text';

export function describeTest(leaf: Leaf): string {
  return `${OP_TEXT[leaf.operator] ?? leaf.operator} ${JSON.stringify(leaf.value)}`;
}

/** The leaves an `all` requires together: its own leaves and those of `all`s nested in it. */
function conjuncts(node: { all: readonly Condition[] }, p: ConditionPath): [Leaf, ConditionPath][] {
  const out: [Leaf, ConditionPath][] = [];
  node.all.forEach((child, i) => {
    const cp = [...p, 'all', i];
    if (isLeaf(child)) out.push([child, cp]);
    else if ('all' in child) out.push(...conjuncts(child, cp));
  });
  return out;
}

interface Bound {
  value: number;
  open: boolean;
}

/** What one fact may still be after some leaves of an `all`; `empty` once nothing can satisfy them. */
class Domain {
  private lo: Bound = { value: -Infinity, open: true };
  private hi: Bound = { value: Infinity, open: true };
  private numericOnly = false;
  private allowed: Map<string, LeafValue> | undefined;
  private readonly excluded = new Set<string>();

  apply(leaf: Leaf): void {
    const v = leaf.value;
    switch (leaf.operator) {
      case 'lessThan':
      case 'lessThanInclusive':
        if (typeof v === 'number') this.upper(v, leaf.operator === 'lessThan');
        this.numericOnly = true;
        break;
      case 'greaterThan':
      case 'greaterThanInclusive':
        if (typeof v === 'number') this.lower(v, leaf.operator === 'greaterThan');
        this.numericOnly = true;
        break;
      case 'between':
        if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'number') {
          this.lower(v[0], false);
          this.upper(v[1], false);
        }
        this.numericOnly = true;
        break;
      case 'equal':
        this.allow([v]);
        break;
      case 'in':
        if (Array.isArray(v)) this.allow(v as LeafValue[]);
        break;
      case 'notEqual':
        this.excluded.add(JSON.stringify(v));
        break;
      case 'notIn':
        if (Array.isArray(v)) for (const x of v) this.excluded.add(JSON.stringify(x));
        break;
      default:
        break;
    }
  }

  get empty(): boolean {
    const { lo, hi } = this;
    if (lo.value > hi.value || (lo.value === hi.value && (lo.open || hi.open))) return true;
    if (this.allowed === undefined) return false;
    for (const [key, value] of this.allowed) {
      if (this.excluded.has(key)) continue;
      if (this.numericOnly && (typeof value !== 'number' || !this.inRange(value))) continue;
      return false;
    }
    return true;
  }

  private inRange(x: number): boolean {
    const { lo, hi } = this;
    const aboveLo = lo.open ? x > lo.value : x >= lo.value;
    const belowHi = hi.open ? x < hi.value : x <= hi.value;
    return aboveLo && belowHi;
  }

  private allow(values: readonly LeafValue[]): void {
    const next = new Map(values.map((x) => [JSON.stringify(x), x] as const));
    if (this.allowed === undefined) this.allowed = next;
    else for (const key of [...this.allowed.keys()]) if (!next.has(key)) this.allowed.delete(key);
  }

  private lower(value: number, open: boolean): void {
    if (value > this.lo.value || (value === this.lo.value && open)) this.lo = { value, open };
  }

  private upper(value: number, open: boolean): void {
    if (value < this.hi.value || (value === this.hi.value && open)) this.hi = { value, open };
  }
}

/** Leaves inside one `all` that cannot hold together: the `all` (and so often the rule) never fires. */
export function contradictions(rule: RuleDef, at: Locate): LintIssue[] {
  const issues: LintIssue[] = [];
  walk(rule.when, ['when'], (node, p) => {
    if (isLeaf(node) || !('all' in node)) return;
    const groups = new Map<string, [Leaf, ConditionPath][]>();
    for (const [leaf, lp] of conjuncts(node, p)) {
      const key = `${leaf.fact}\0${paramsKey(leaf)}`;
      groups.set(key, [...(groups.get(key) ?? []), [leaf, lp]]);
    }
    for (const leaves of groups.values()) {
      if (leaves.length < 2) continue;
      const domain = new Domain();
      for (let i = 0; i < leaves.length; i += 1) {
        const [leaf, lp] = leaves[i] ?? [];
        if (!leaf || !lp) continue;
        domain.apply(leaf);
        if (!domain.empty) continue;
        const tests = leaves.slice(0, i + 1).map(([l]) => describeTest(l));
        issues.push({
          ...at(rule, lp),
          severity: 'error',
          code: 'RULE-CONTRADICTION',
          message: `${rule.id}: ${describeFact(leaf)} cannot be ${tests.join(' and ')} at once; this \`all\` can never be true`,
        });
        break;
      }
    }
  });
  return issues;
}

/** Facts whose value comes from another rule's outcome: fact → the param naming the output. */
const PRODUCED_FACTS: Readonly<Record<string, { param: string; what: string }>> = {
  finding: { param: 'id', what: 'finding' },
  'finding-band': { param: 'id', what: 'finding' },
  'red-flag': { param: 'code', what: 'red flag' },
  'data-issue': { param: 'code', what: 'data issue' },
  confounded: { param: 'analyte', what: 'confounding data issue for analyte' },
};

function producedKeys(rule: RuleDef, confounding: ReadonlyMap<string, unknown>): string[] {
  const o = outcomeOf(rule);
  switch (o.type) {
    case 'finding':
      return [`finding:${o.finding.id}`];
    case 'redFlag':
      return [`red flag:${o.redFlag.code}`];
    case 'dataIssue': {
      const { code, analyte } = o.dataIssue;
      const keys = [`data issue:${code}`];
      // Which codes confound an analyte is catalog policy (policies.yaml, confoundOnDataIssue).
      if (confounding.has(code) && analyte !== undefined)
        keys.push(`confounding data issue for analyte:${analyte}`);
      return keys;
    }
    case 'propose':
    case 'block':
    case 'caution':
    case 'defer':
      return [];
  }
}

/**
 * An active rule that reads a finding, red flag or data issue must have an active producer: one
 * produced only by retired (or draft) rules is a dangling reference; one nobody produces is dead.
 */
export function retiredReferences(ruleset: Ruleset, at: Locate): LintIssue[] {
  const producers = new Map<string, RuleDef[]>();
  for (const rule of ruleset.rules)
    for (const key of producedKeys(rule, ruleset.catalog.policies.confounding))
      producers.set(key, [...(producers.get(key) ?? []), rule]);
  const issues: LintIssue[] = [];
  for (const rule of ruleset.rules) {
    if (rule.status !== 'active') continue;
    walk(rule.when, ['when'], (node, p) => {
      if (!isLeaf(node)) return;
      const produced = PRODUCED_FACTS[node.fact];
      const id = node.params?.[produced?.param ?? ''];
      if (!produced || id === undefined) return;
      const key = `${produced.what}:${String(id)}`;
      const by = producers.get(key) ?? [];
      if (by.some((r) => r.status === 'active')) return;
      if (by.length > 0)
        issues.push({
          ...at(rule, p),
          severity: 'error',
          code: 'RULE-RETIRED-REFERENCE',
          message: `${rule.id}: reads ${produced.what} ${String(id)}, produced only by ${by.map((r) => `${r.id} (${r.status})`).join(', ')}`,
        });
      else
        issues.push({
          ...at(rule, p),
          severity: 'warning',
          code: 'RULE-UNPRODUCED-REFERENCE',
          message: `${rule.id}: reads ${produced.what} ${String(id)}, which no rule produces`,
        });
    });
  }
  return issues;
}

/** Active rules that no regression case fires. */
export function uncovered(
  ruleset: Ruleset,
  fired: ReadonlySet<string>,
  at: Locate,
  severity: Severity,
): LintIssue[] {
  return ruleset.rules
    .filter((r) => r.status === 'active' && !fired.has(r.id))
    .map((r) => ({
      ...at(r, []),
      severity,
      code: 'RULE-UNCOVERED',
      message: `${r.id}: no regression case fires this active rule; add a case under test/regression/cases/`,
    }));
}

const SCHEMA_HEADER = /^# yaml-language-server: \$schema=\S+/;

/**
 * Every YAML file starts with `# yaml-language-server: $schema=...`, so editors validate and
 * complete it while the author types.
 */
export function schemaHeaders(ruleset: Ruleset, rulesDir: string): LintIssue[] {
  const issues: LintIssue[] = [];
  for (const display of ruleset.files) {
    const rel = display.replace(/^rules\//, '');
    let first = '';
    try {
      first = fs.readFileSync(path.join(rulesDir, rel), 'utf8').split('\n', 1)[0] ?? '';
    } catch {
      continue;
    }
    if (!SCHEMA_HEADER.test(first))
      issues.push({
        severity: 'error',
        code: 'RULE-SCHEMA-HEADER',
        message: `the first line must be "# yaml-language-server: $schema=<relative path to schemas/${rel.startsWith('catalog/') || rel === 'manifest.yaml' ? 'catalog' : 'rule-file'}.schema.json>" so editors validate the file`,
        file: display,
        line: 1,
        column: 1,
      });
  }
  return issues;
}

/**
 * Biomarker facts that read only the result that counts (the most recent, current one), with the
 * fact over every result sent that a red flag should read instead (fail closed).
 */
const COUNTED_RESULT_FACTS: Readonly<Record<string, string>> = {
  'biomarker-status': 'biomarker-any-high / biomarker-any-low',
  'biomarker-uln-multiple': 'biomarker-uln-multiple-max',
};

/**
 * A red-flag rule reading a counted-result fact loses a result at its threshold that is an older
 * duplicate, ambiguous or stale: a warning, with the fact to read instead.
 */
export function redFlagCountedResults(rule: RuleDef, at: Locate): LintIssue[] {
  if (rule.kind !== 'red-flag' || rule.status !== 'active') return [];
  const issues: LintIssue[] = [];
  walk(rule.when, ['when'], (node, p) => {
    if (!isLeaf(node)) return;
    const instead = COUNTED_RESULT_FACTS[node.fact];
    if (instead === undefined) return;
    issues.push({
      ...at(rule, p),
      severity: 'warning',
      code: 'RULE-REDFLAG-COUNTED-RESULT',
      message: `${rule.id}: ${describeFact(node)} reads only the result that counts; a red flag should read ${instead} (every result sent, fail closed)`,
    });
  });
  return issues;
}

/** Every lint of the loaded ruleset that needs no regression cases. */
export function lintRuleset(ruleset: Ruleset, at: Locate, rulesDir: string): LintIssue[] {
  const live = ruleset.rules.filter((r) => r.status !== 'retired');
  return [
    ...schemaHeaders(ruleset, rulesDir),
    ...live.flatMap((r) => contradictions(r, at)),
    ...retiredReferences(ruleset, at),
    ...live.flatMap((r) => redFlagCountedResults(r, at)),
  ];
}
