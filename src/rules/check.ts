import path from 'node:path';
import type { Issue } from '../lib/issue';
import { normaliseUnit } from '../lib/unit-text';
import type { Catalog } from './catalog';
import type { FactDef, ParamCatalog, RuleKind, StaleAfter } from './catalog-types';
import { RULE_KINDS, VITALS } from './catalog-types';
import { OPERATORS } from './operators';
import { childrenOf, isLeaf, OUTCOME_FOR_KIND } from './rule-types';
import type { Condition, Leaf, ReasonOutcome, RuleDef } from './rule-types';
import type { YamlSource } from './yaml-source';

type Locator = (
  catalogFile: string,
  jsonPath: readonly (string | number)[],
  key?: string,
) => { file: string; line: number; column: number };

/** LOINC's mod-10 check digit (clinical-reference §1.5 recommends only codes that pass it). */
export function loincCheckDigitOk(code: string): boolean {
  const [body, check] = code.split('-');
  if (body === undefined || check === undefined) return false;
  let sum = 0;
  const digits = body.split('').reverse();
  digits.forEach((d, i) => {
    let n = Number(d);
    if (i % 2 === 0) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  });
  return (10 - (sum % 10)) % 10 === Number(check);
}

export function checkCatalog(
  catalog: Catalog,
  implemented: ReadonlySet<string>,
  at: Locator,
): Issue[] {
  const issues: Issue[] = [];
  const add = (
    code: string,
    message: string,
    file: string,
    p: (string | number)[],
    key?: string,
  ): void => {
    issues.push({ code, message, ...at(file, p, key) });
  };
  const f = catalog.files;

  f.analytes.analytes.forEach((a, i) => {
    const family = catalog.unitFamilies.get(a.unitFamily);
    if (!family)
      add(
        'CATALOG-UNKNOWN-REFERENCE',
        `unit family "${a.unitFamily}" is not in units.yaml`,
        'analytes',
        ['analytes', i, 'unitFamily'],
      );
    else if (family.family.units.some((u) => u.molar === true) && a.molarMass === undefined)
      add(
        'CATALOG-MOLAR-MASS-MISSING',
        `analyte "${a.id}" uses molar units but has no molarMass`,
        'analytes',
        ['analytes', i],
      );
    if (a.loinc !== undefined && !loincCheckDigitOk(a.loinc))
      add(
        'CATALOG-LOINC-CHECK-DIGIT',
        `LOINC ${a.loinc} fails the mod-10 check digit`,
        'analytes',
        ['analytes', i, 'loinc'],
      );
    if (a.loinc === undefined && a.localCode === undefined)
      add('CATALOG-CODE-MISSING', `analyte "${a.id}" needs a loinc or a localCode`, 'analytes', [
        'analytes',
        i,
      ]);
  });
  f.units.families.forEach((fam, i) => {
    if (fam.units.some((u) => u.molar === true) && fam.creatinineMolarMass === undefined)
      add(
        'CATALOG-MOLAR-MASS-MISSING',
        `family "${fam.id}" has molar units but no creatinineMolarMass`,
        'units',
        ['families', i],
      );
    if (
      !fam.units.some(
        (u) => normaliseUnit(u.code) === normaliseUnit(fam.canonical) && u.factor === 1,
      )
    )
      add(
        'CATALOG-CANONICAL-UNIT',
        `family "${fam.id}" must list its canonical unit with factor 1`,
        'units',
        ['families', i, 'canonical'],
      );
  });
  f.labs.labs.forEach((lab, i) => {
    lab.ranges.forEach((r, j) => {
      const analyte = catalog.analytes.get(r.analyte);
      if (!analyte) {
        add('CATALOG-UNKNOWN-REFERENCE', `analyte "${r.analyte}" is not in analytes.yaml`, 'labs', [
          'labs',
          i,
          'ranges',
          j,
          'analyte',
        ]);
        return;
      }
      const family = catalog.unitFamilies.get(analyte.unitFamily);
      if (family && !family.units.has(normaliseUnit(r.unit)))
        add(
          'CATALOG-UNKNOWN-UNIT',
          `unit "${r.unit}" is not a ${analyte.unitFamily} unit`,
          'labs',
          ['labs', i, 'ranges', j, 'unit'],
        );
      if (r.low !== undefined && r.high !== undefined && r.low > r.high)
        add('CATALOG-RANGE-ORDER', `low ${r.low} is above high ${r.high}`, 'labs', [
          'labs',
          i,
          'ranges',
          j,
        ]);
    });
  });
  f.questionnaires.questionnaires.forEach((q, i) => {
    const maxTotal = q.itemCount * q.itemMax;
    const sorted = [...q.bands].sort((a, b) => a.min - b.min);
    let expected = q.itemCount * q.itemMin;
    for (const band of sorted) {
      if (band.min !== expected || band.max < band.min) {
        add(
          'CATALOG-BANDS',
          `bands of "${q.id}" must cover ${q.itemCount * q.itemMin}-${maxTotal} without gaps or overlaps (at ${band.id})`,
          'questionnaires',
          ['questionnaires', i, 'bands'],
        );
        return;
      }
      expected = band.max + 1;
    }
    if (expected !== maxTotal + 1)
      add('CATALOG-BANDS', `bands of "${q.id}" must end at ${maxTotal}`, 'questionnaires', [
        'questionnaires',
        i,
        'bands',
      ]);
    if (q.loinc !== undefined && !loincCheckDigitOk(q.loinc))
      add(
        'CATALOG-LOINC-CHECK-DIGIT',
        `LOINC ${q.loinc} fails the mod-10 check digit`,
        'questionnaires',
        ['questionnaires', i, 'loinc'],
      );
  });
  const names = new Map<string, number>();
  f.medications.drugs.forEach((d, i) => {
    for (const name of [d.name, ...(d.synonyms ?? [])]) {
      const key = name.toLowerCase();
      if (names.has(key))
        add('CATALOG-DUPLICATE-NAME', `medication name "${name}" is listed twice`, 'medications', [
          'drugs',
          i,
        ]);
      names.set(key, i);
    }
  });
  f['reason-codes'].codes.forEach((c, i) => {
    if ((c.kind === 'block' || c.kind === 'caution') && c.severity === undefined)
      add('CATALOG-SEVERITY-MISSING', `${c.code} needs a severity`, 'reason-codes', ['codes', i]);
    if (c.kind === 'red-flag' && c.urgency === undefined)
      add('CATALOG-URGENCY-MISSING', `${c.code} needs an urgency`, 'reason-codes', ['codes', i]);
  });
  const lists: [string, string, string, string, readonly string[]][] = [
    ['reason code', 'reason-codes', 'codes', 'code', f['reason-codes'].codes.map((c) => c.code)],
    [
      'intervention',
      'interventions',
      'interventions',
      'id',
      f.interventions.interventions.map((x) => x.id),
    ],
    ['analyte', 'analytes', 'analytes', 'id', f.analytes.analytes.map((x) => x.id)],
  ];
  for (const [what, file, key, idField, ids] of lists) {
    // Reported at each repeat, so the message points at the entry to remove or rename.
    for (const i of repeats(ids))
      add('CATALOG-DUPLICATE-ID', `${what} ${String(ids[i])} is listed twice`, file, [
        key,
        i,
        idField,
      ]);
  }
  // facts.yaml and the fact implementations must agree: a rule may only read a fact that exists.
  f.facts.facts.forEach((fact, i) => {
    if (!implemented.has(fact.id))
      add(
        'CATALOG-FACT-UNIMPLEMENTED',
        `fact "${fact.id}" has no implementation in the service (src/facts/registry.ts, src/engine/state.ts)`,
        'facts',
        ['facts', i, 'id'],
      );
  });
  for (const id of implemented) {
    if (!catalog.facts.has(id))
      add(
        'CATALOG-FACT-UNDECLARED',
        `the service implements fact "${id}" but facts.yaml does not declare it`,
        'facts',
        ['facts'],
      );
  }
  checkPolicies(catalog, add);
  return issues;
}

/** Policies name codes of the right kind, once each; exactly one says what "no indication" gets. */
function checkPolicies(
  catalog: Catalog,
  add: (code: string, message: string, file: string, p: (string | number)[], key?: string) => void,
): void {
  const codeOfKind = (code: string, kind: string, p: (string | number)[]): void => {
    const reason = catalog.reasonCodes.get(code);
    if (!reason) add('POLICY-UNKNOWN-CODE', `${code} is not in reason-codes.yaml`, 'policies', p);
    else if (reason.kind !== kind)
      add('POLICY-CODE-KIND', `${code} is a ${reason.kind} code; ${kind} expected`, 'policies', p);
  };
  const ids = new Set<string>();
  const dataCodes = new Set<string>();
  let noIndication = 0;
  let staleAfter = 0;
  catalog.files.policies.policies.forEach((policy, i) => {
    const at = ['policies', i];
    if (ids.has(policy.id))
      add('POLICY-DUPLICATE-ID', `policy id ${policy.id} is used twice`, 'policies', [...at, 'id']);
    ids.add(policy.id);
    if ('holdOnDataIssue' in policy) {
      const { code } = policy.holdOnDataIssue;
      codeOfKind(code, 'data', [...at, 'holdOnDataIssue', 'code']);
      if (dataCodes.has(code))
        add('POLICY-DUPLICATE-CODE', `${code} has two hold policies`, 'policies', at);
      dataCodes.add(code);
    } else if ('confoundOnDataIssue' in policy) {
      policy.confoundOnDataIssue.codes.forEach((code, j) => {
        codeOfKind(code, 'data', [...at, 'confoundOnDataIssue', 'codes', j]);
      });
    } else if ('noIndication' in policy) {
      noIndication += 1;
      codeOfKind(policy.noIndication.code, 'caution', [...at, 'noIndication', 'code']);
    } else if ('holdWithoutData' in policy) {
      const { code, needs } = policy.holdWithoutData;
      codeOfKind(code, 'deferral', [...at, 'holdWithoutData', 'code']);
      const details = new Set((catalog.reasonCodes.get(code)?.details ?? []).map((d) => d.id));
      needs.forEach((need, j) => {
        const np = [...at, 'holdWithoutData', 'needs', j];
        if (!details.has(need.detail))
          add(
            'POLICY-UNKNOWN-DETAIL',
            `detail "${need.detail}" is not listed under ${code} in reason-codes.yaml`,
            'policies',
            [...np, 'detail'],
          );
        // Evaluated after every rule ran, over facts of the request (data-rule facts).
        walkConditions(need.knownWhen, [...np, 'knownWhen'], (leaf, lp) => {
          checkLeaf(catalog, 'data', leaf, (c, message, key) => {
            add(c, message, 'policies', lp, key);
          });
        });
      });
    } else if ('staleAfter' in policy) {
      staleAfter += 1;
      codeOfKind(policy.staleAfter.code, 'data', [...at, 'staleAfter', 'code']);
      checkStaleAfter(catalog, policy.staleAfter, [...at, 'staleAfter'], add);
    }
  });
  if (staleAfter !== 1)
    add(
      'POLICY-STALENESS',
      `exactly one staleAfter policy is needed (found ${staleAfter})`,
      'policies',
      ['policies'],
    );
  if (noIndication !== 1)
    add(
      'POLICY-NO-INDICATION',
      `exactly one noIndication policy is needed (found ${noIndication})`,
      'policies',
      ['policies'],
    );
}

/** Every analyte's specimen is in exactly one window group; a listed questionnaire exists, once. */
function checkStaleAfter(
  catalog: Catalog,
  staleAfter: StaleAfter,
  at: (string | number)[],
  add: (code: string, message: string, file: string, p: (string | number)[]) => void,
): void {
  for (const analyte of catalog.analytes.values()) {
    const groups = staleAfter.analyteGroups.filter((g) => g.specimens.includes(analyte.specimen));
    if (groups.length !== 1)
      add(
        'POLICY-STALENESS-GROUP',
        `analyte ${analyte.id} (${analyte.specimen}) is in ${groups.length} staleness groups; exactly one expected`,
        'policies',
        [...at, 'analyteGroups'],
      );
  }
  const seen = new Set<string>();
  (staleAfter.questionnaires ?? []).forEach((q, j) => {
    if (!catalog.questionnaires.has(q.instrument))
      add('POLICY-STALENESS-INSTRUMENT', `unknown questionnaire ${q.instrument}`, 'policies', [
        ...at,
        'questionnaires',
        j,
        'instrument',
      ]);
    if (seen.has(q.instrument))
      add('POLICY-STALENESS-INSTRUMENT', `${q.instrument} has two windows`, 'policies', [
        ...at,
        'questionnaires',
        j,
        'instrument',
      ]);
    seen.add(q.instrument);
  });
}

/** Indexes of entries whose id already appeared earlier in the list. */
function repeats(ids: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  ids.forEach((id, i) => {
    if (seen.has(id)) out.push(i);
    seen.add(id);
  });
  return out;
}

const NUMERIC_OPERATORS = new Set([
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
]);

interface RuleSourceFile {
  readonly rel: string;
  readonly kind: RuleKind;
  readonly source: YamlSource;
}

/** Semantic checks beyond the schema: ids, kinds, and every reference into the catalog. */
export function checkRules(
  catalog: Catalog,
  files: readonly RuleSourceFile[],
): { rules: RuleDef[]; issues: Issue[] } {
  const issues: Issue[] = [];
  const rules: RuleDef[] = [];
  const seen = new Map<string, string>();

  for (const { rel, kind: folderKind, source } of files) {
    const stem = path.posix.basename(rel, '.yaml');
    const raw = (source.data as { rules: Omit<RuleDef, 'source'>[] }).rules;
    raw.forEach((rule, index) => {
      const base = ['rules', index];
      const issue = (
        code: string,
        message: string,
        p: (string | number)[] = [],
        key?: string,
      ): void => {
        const pos = source.locate([...base, ...p], key);
        issues.push({
          code,
          message: `${rule.id}: ${message}`,
          file: source.file,
          line: pos.line,
          column: pos.column,
        });
      };
      const pos = source.locate(base);
      const def: RuleDef = {
        ...rule,
        source: { file: source.file, line: pos.line, column: pos.column },
      };

      const previous = seen.get(rule.id);
      if (previous !== undefined)
        issue('RULE-DUPLICATE-ID', `id already used in ${previous}`, ['id']);
      seen.set(rule.id, source.file);
      if (rule.kind !== folderKind)
        issue(
          'RULE-KIND-FOLDER',
          `kind "${rule.kind}" does not belong in the ${folderKind} folder`,
          ['kind'],
        );
      const prefix = `${rule.kind}.${stem}`;
      if (rule.id !== prefix && !rule.id.startsWith(`${prefix}.`))
        issue(
          'RULE-ID-FILE-MISMATCH',
          `id must be "${prefix}" or start with "${prefix}." (file ${stem}.yaml)`,
          ['id'],
        );

      const outcomeKey = Object.keys(rule.then)[0] ?? '';
      if (!OUTCOME_FOR_KIND[rule.kind].includes(outcomeKey))
        issue(
          'RULE-OUTCOME-KIND',
          `a ${rule.kind} rule's outcome is ${OUTCOME_FOR_KIND[rule.kind].join(' or ')}, not ${outcomeKey}`,
          ['then'],
        );
      else
        checkOutcome(catalog, def, outcomeKey, (code, message, p) => {
          issue(code, message, ['then', outcomeKey, ...(p ?? [])]);
        });

      walkConditions(rule.when, ['when'], (leaf, p) => {
        checkLeaf(catalog, rule.kind, leaf, (code, message, key) => {
          issue(code, message, p, key);
        });
      });
      rules.push(def);
    });
  }
  return { rules, issues };
}

function walkConditions(
  condition: Condition,
  p: (string | number)[],
  visit: (leaf: Leaf, p: (string | number)[]) => void,
): void {
  if (isLeaf(condition)) {
    visit(condition, p);
    return;
  }
  if ('not' in condition) {
    walkConditions(condition.not, [...p, 'not'], visit);
    return;
  }
  const key = 'all' in condition ? 'all' : 'any';
  childrenOf(condition).forEach((child, i) => {
    walkConditions(child, [...p, key, i], visit);
  });
}

type Report = (code: string, message: string, key?: string) => void;

const REASON_KIND_FOR_OUTCOME: Readonly<Record<string, readonly string[]>> = {
  dataIssue: ['data'],
  redFlag: ['red-flag'],
  propose: ['indication'],
  block: ['block'],
  caution: ['caution'],
  defer: ['data', 'deferral'],
};

function checkOutcome(
  catalog: Catalog,
  rule: RuleDef,
  key: string,
  report: (code: string, message: string, p?: (string | number)[]) => void,
): void {
  const outcome = (rule.then as unknown as Record<string, Record<string, unknown>>)[key] ?? {};
  const code = outcome.code;
  if (typeof code === 'string') {
    const reason = catalog.reasonCodes.get(code);
    const allowed = REASON_KIND_FOR_OUTCOME[key] ?? [];
    if (!reason)
      report('RULE-UNKNOWN-REASON-CODE', `reason code ${code} is not in reason-codes.yaml`, [
        'code',
      ]);
    else if (!allowed.includes(reason.kind))
      report(
        'RULE-REASON-KIND',
        `${code} is a ${reason.kind} code; ${key} needs a ${allowed.join(' or ')} code`,
        ['code'],
      );
    const detail = outcome.detail;
    if (reason && typeof detail === 'string' && !reason.details?.some((d) => d.id === detail))
      report(
        'RULE-UNKNOWN-DETAIL',
        `detail "${detail}" is not listed under ${code} in reason-codes.yaml (details)`,
        ['detail'],
      );
  }
  const targets = outcome as Partial<ReasonOutcome>;
  (targets.interventions ?? []).forEach((id, i) => {
    if (!catalog.interventions.has(id))
      report('RULE-UNKNOWN-INTERVENTION', `intervention "${id}" is not in interventions.yaml`, [
        'interventions',
        i,
      ]);
  });
  (targets.tags ?? []).forEach((tag, i) => {
    if (!catalog.interventionsByTag.has(tag))
      report('RULE-UNKNOWN-TAG', `no intervention carries the tag "${tag}"`, ['tags', i]);
  });
  if (key === 'finding') {
    const id = outcome.id as string;
    if (!catalog.findingIds.has(id))
      report('RULE-UNKNOWN-FINDING', `finding "${id}" is not in the catalog`, ['id']);
    const bandOf = outcome.bandOf;
    if (typeof bandOf === 'string' && !catalog.questionnaires.has(bandOf))
      report('RULE-UNKNOWN-REFERENCE', `questionnaire "${bandOf}" is not in questionnaires.yaml`, [
        'bandOf',
      ]);
  }
  if (key === 'dataIssue') {
    if (typeof outcome.analyte === 'string' && !catalog.analytes.has(outcome.analyte))
      report('RULE-UNKNOWN-REFERENCE', `analyte "${outcome.analyte}" is not in analytes.yaml`, [
        'analyte',
      ]);
    if (typeof outcome.instrument === 'string' && !catalog.questionnaires.has(outcome.instrument))
      report(
        'RULE-UNKNOWN-REFERENCE',
        `questionnaire "${outcome.instrument}" is not in questionnaires.yaml`,
        ['instrument'],
      );
  }
  if (
    key === 'redFlag' &&
    typeof outcome.referral === 'string' &&
    !catalog.interventions.has(outcome.referral)
  )
    report(
      'RULE-UNKNOWN-INTERVENTION',
      `referral "${outcome.referral}" is not in interventions.yaml`,
      ['referral'],
    );
}

function checkLeaf(catalog: Catalog, kind: RuleKind, leaf: Leaf, report: Report): void {
  const fact = catalog.facts.get(leaf.fact);
  if (!fact) {
    report('RULE-UNKNOWN-FACT', `fact "${leaf.fact}" is not in facts.yaml`, 'fact');
    return;
  }
  if (RULE_KINDS.indexOf(fact.from) > RULE_KINDS.indexOf(kind))
    report(
      'RULE-FACT-ORDER',
      `fact "${leaf.fact}" is produced by ${fact.from} rules, which run after ${kind} rules`,
      'fact',
    );
  checkParams(catalog, fact, leaf, report);
  if (!OPERATORS.has(leaf.operator)) {
    report(
      'RULE-UNKNOWN-OPERATOR',
      `operator "${leaf.operator}" is not one of ${[...OPERATORS].join(', ')}`,
      'operator',
    );
    return;
  }
  checkValue(fact, leaf, report);
}

function checkParams(catalog: Catalog, fact: FactDef, leaf: Leaf, report: Report): void {
  const declared = fact.params ?? {};
  const given = leaf.params ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in declared))
      report('RULE-FACT-PARAMS', `fact "${fact.id}" takes no parameter "${name}"`, 'params');
  }
  for (const [name, cat] of Object.entries(declared)) {
    const value = given[name];
    if (value === undefined) {
      report('RULE-FACT-PARAMS', `fact "${fact.id}" needs the parameter "${name}"`, 'params');
      continue;
    }
    const problem = referenceProblem(catalog, cat, value, given);
    if (problem) report(problem[0], problem[1], 'params');
  }
}

function referenceProblem(
  catalog: Catalog,
  cat: ParamCatalog,
  value: string | number,
  all: Readonly<Record<string, string | number>>,
): [string, string] | undefined {
  const v = String(value);
  switch (cat) {
    case 'analyte':
      return catalog.analytes.has(v)
        ? undefined
        : ['RULE-UNKNOWN-REFERENCE', `analyte "${v}" is not in analytes.yaml`];
    case 'questionnaire':
      return catalog.questionnaires.has(v)
        ? undefined
        : ['RULE-UNKNOWN-REFERENCE', `questionnaire "${v}" is not in questionnaires.yaml`];
    case 'item': {
      const q = catalog.questionnaires.get(String(all.instrument));
      const n = typeof value === 'number' ? value : Number.NaN;
      if (!Number.isInteger(n) || n < 1 || (q !== undefined && n > q.itemCount))
        return [
          'RULE-UNKNOWN-REFERENCE',
          `item ${v} is not an item number of ${String(all.instrument)}`,
        ];
      return undefined;
    }
    case 'symptom':
      return catalog.symptoms.has(v)
        ? undefined
        : ['RULE-UNKNOWN-REFERENCE', `symptom "${v}" is not in symptoms.yaml`];
    case 'vital':
      return (VITALS as readonly string[]).includes(v)
        ? undefined
        : ['RULE-UNKNOWN-REFERENCE', `vital "${v}" is not one of ${VITALS.join(', ')}`];
    case 'medication-class':
      return catalog.medicationClasses.has(v)
        ? undefined
        : ['RULE-UNKNOWN-REFERENCE', `medication class "${v}" is not in medications.yaml`];
    case 'condition':
      return catalog.conditions.has(v)
        ? undefined
        : ['RULE-UNKNOWN-REFERENCE', `condition "${v}" is not in conditions.yaml`];
    case 'intervention':
      return catalog.interventions.has(v)
        ? undefined
        : ['RULE-UNKNOWN-INTERVENTION', `intervention "${v}" is not in interventions.yaml`];
    case 'finding':
      return catalog.findingIds.has(v)
        ? undefined
        : ['RULE-UNKNOWN-FINDING', `finding "${v}" is not in the catalog`];
    case 'reason-code':
      return catalog.reasonCodes.has(v)
        ? undefined
        : ['RULE-UNKNOWN-REASON-CODE', `reason code ${v} is not in reason-codes.yaml`];
    case 'intervention-tag':
      return catalog.interventionsByTag.has(v)
        ? undefined
        : ['RULE-UNKNOWN-REFERENCE', `no intervention in interventions.yaml has the tag "${v}"`];
  }
}

function checkValue(fact: FactDef, leaf: Leaf, report: Report): void {
  const { operator, value } = leaf;
  const numeric = fact.returns === 'number' || fact.returns === 'integer';
  if (NUMERIC_OPERATORS.has(operator)) {
    if (!numeric)
      report(
        'RULE-VALUE-TYPE',
        `${operator} compares numbers, but "${fact.id}" is a ${fact.returns}`,
        'operator',
      );
    else if (typeof value !== 'number')
      report('RULE-VALUE-TYPE', `${operator} needs a number value`, 'value');
    return;
  }
  if (operator === 'between') {
    const ok =
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((x) => typeof x === 'number') &&
      (value[0] as number) <= (value[1] as number);
    if (!numeric || !ok)
      report(
        'RULE-VALUE-TYPE',
        'between needs a numeric fact and a value [low, high] with low <= high',
        'value',
      );
    return;
  }
  if (operator === 'contains' || operator === 'doesNotContain') {
    report(
      'RULE-VALUE-TYPE',
      `${operator} needs an array fact; "${fact.id}" is a ${fact.returns}`,
      'operator',
    );
    return;
  }
  const candidates = operator === 'in' || operator === 'notIn' ? value : [value];
  if (!Array.isArray(candidates)) {
    report('RULE-VALUE-TYPE', `${operator} needs an array value`, 'value');
    return;
  }
  for (const c of candidates as readonly unknown[]) {
    if (c === null && fact.nullable === true) continue;
    const typeOk =
      (fact.returns === 'boolean' && typeof c === 'boolean') ||
      (numeric && typeof c === 'number') ||
      (fact.returns === 'string' && typeof c === 'string');
    if (!typeOk) {
      report(
        'RULE-VALUE-TYPE',
        `"${fact.id}" is a ${fact.returns}${fact.nullable === true ? ' or null' : ''}; ${JSON.stringify(c)} can never match`,
        'value',
      );
      return;
    }
    if (
      fact.returns === 'string' &&
      fact.values &&
      typeof c === 'string' &&
      !fact.values.includes(c)
    ) {
      report(
        'RULE-VALUE-TYPE',
        `"${fact.id}" takes ${fact.values.join(', ')}; "${c}" can never match`,
        'value',
      );
      return;
    }
  }
}
