import type { Catalog } from '../rules/catalog';
import type { Condition, Leaf, LeafValue, RuleDef } from '../rules/rule-types';
import { isLeaf, outcomeOf } from '../rules/rule-types';

/** How an operator reads in a sentence ("PHQ-9 item 9 is at least 1"). */
const OP_WORDS: Readonly<Record<string, string>> = {
  equal: 'is',
  notEqual: 'is not',
  lessThan: 'is less than',
  lessThanInclusive: 'is at most',
  greaterThan: 'is more than',
  greaterThanInclusive: 'is at least',
  in: 'is one of',
  notIn: 'is none of',
  between: 'is between',
  contains: 'contains',
  doesNotContain: 'does not contain',
};

/** "Patient Health Questionnaire-9 (PHQ-9)" → "PHQ-9"; names without an abbreviation as they are. */
function shortName(name: string): string {
  const m = /\(([^()]+)\)\s*$/.exec(name);
  return m?.[1] ?? name;
}

function param(leaf: Leaf, key: string): string {
  const v = leaf.params?.[key];
  return v === undefined ? '?' : String(v);
}

/** What a leaf reads: the fact with its parameters, named from the catalog. */
export function factWords(leaf: Leaf, catalog: Catalog): string {
  const questionnaire = (): string => {
    const id = param(leaf, 'instrument');
    const q = catalog.questionnaires.get(id);
    return q ? shortName(q.name) : id;
  };
  const analyte = (): string => {
    const id = param(leaf, 'analyte');
    return catalog.analytes.get(id)?.name ?? id;
  };
  const intervention = (): string => {
    const id = param(leaf, 'id');
    return catalog.interventions.get(id)?.name ?? id;
  };
  switch (leaf.fact) {
    case 'age':
      return 'Age (years)';
    case 'sex':
      return 'Sex';
    case 'pregnancy':
      return 'Pregnancy status';
    case 'lactating':
      return 'Breastfeeding';
    case 'biomarker-status':
      return `${analyte()} result`;
    case 'biomarker-value':
      return `${analyte()} value (canonical unit)`;
    case 'biomarker-uln-multiple':
      return `${analyte()} as a multiple of the upper reference limit`;
    case 'questionnaire-total':
      return `${questionnaire()} total score`;
    case 'questionnaire-band':
      return `${questionnaire()} severity band`;
    case 'questionnaire-item':
      return `${questionnaire()} item ${param(leaf, 'item')}`;
    case 'symptom':
      return `Symptom "${param(leaf, 'id')}" severity (0–3)`;
    case 'vital':
      return `Vital sign ${param(leaf, 'name')}`;
    case 'medication-class': {
      const id = param(leaf, 'class');
      return `Medication class ${catalog.medicationClasses.get(id)?.name ?? id}`;
    }
    case 'medications-attested':
      return 'Medication list attested complete';
    case 'condition': {
      const id = param(leaf, 'id');
      return `Condition ${catalog.conditions.get(id)?.name ?? id} reported`;
    }
    case 'supplement-taken':
      return `${intervention()} taken now`;
    case 'supplement-tag-taken':
      return `A supplement tagged ${param(leaf, 'tag')} taken now`;
    case 'requested':
      return `${intervention()} requested by the clinician`;
    case 'requested-dose-over-ul':
      return `Requested dose of ${intervention()} above the upper intake limit`;
    case 'dose-above-studied':
      return `A dose of ${intervention()} (requested or taken now) above its studied range`;
    case 'dose-over-ul':
      return `A dose of ${intervention()} (requested or taken now) above the upper intake limit`;
    case 'questionnaire-moderate-or-worse':
      return 'A mood, anxiety or insomnia questionnaire in a moderate-or-worse band';
    case 'data-problem':
      return `Data problem ${param(leaf, 'code')} detected`;
    case 'data-issue':
      return `Data issue ${param(leaf, 'code')} raised`;
    case 'confounded':
      return `${analyte()} confounded`;
    case 'red-flag':
      return `Red flag ${param(leaf, 'code')} raised`;
    case 'finding':
      return `Finding ${param(leaf, 'id')} present`;
    case 'finding-band':
      return `Band of finding ${param(leaf, 'id')}`;
    default: {
      const params = Object.entries(leaf.params ?? {})
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(', ');
      return params === '' ? leaf.fact : `${leaf.fact} (${params})`;
    }
  }
}

function valueWords(v: LeafValue): string {
  if (v === null) return 'empty (not known)';
  if (Array.isArray(v)) return v.map(String).join(', ');
  return String(v);
}

/** One leaf condition as a sentence: "PHQ-9 item 9 is at least 1". */
export function leafWords(leaf: Leaf, catalog: Catalog): string {
  const subject = factWords(leaf, catalog);
  const op = OP_WORDS[leaf.operator] ?? leaf.operator;
  const v = leaf.value;
  if (leaf.operator === 'between' && Array.isArray(v) && v.length === 2)
    return `${subject} is between ${String(v[0])} and ${String(v[1])} (inclusive)`;
  if (typeof v === 'boolean' && (leaf.operator === 'equal' || leaf.operator === 'notEqual'))
    return `${subject}: ${(leaf.operator === 'equal') === v ? 'yes' : 'no'}`;
  return `${subject} ${op} ${valueWords(v)}`;
}

/** A condition tree in words, as nested items: a boolean node's heading and its children. */
export interface WordsNode {
  readonly text: string;
  readonly children: readonly WordsNode[];
}

export function conditionWords(condition: Condition, catalog: Catalog): WordsNode {
  if (isLeaf(condition)) return { text: leafWords(condition, catalog), children: [] };
  if ('not' in condition)
    return { text: 'None of this holds:', children: [conditionWords(condition.not, catalog)] };
  const [text, children] =
    'all' in condition
      ? ['All of these hold:', condition.all]
      : ['At least one of these holds:', condition.any];
  return { text, children: children.map((c) => conditionWords(c, catalog)) };
}

const VERB = {
  propose: 'Proposes',
  block: 'Blocks',
  caution: 'Cautions',
  defer: 'Defers',
} as const;

/** What a rule adds to the answer, as label/value lines. */
export function outcomeWords(rule: RuleDef, catalog: Catalog): [string, string][] {
  const interventions = (ids: readonly string[] | undefined): string =>
    (ids ?? []).map((id) => catalog.interventions.get(id)?.name ?? id).join(', ');
  const o = outcomeOf(rule);
  switch (o.type) {
    case 'redFlag': {
      const f = o.redFlag;
      return [
        ['Red flag', f.code],
        ['Message', f.message],
        ['Action', f.action],
        ...(f.referral === undefined ? [] : ([['Referral', f.referral]] as [string, string][])),
      ];
    }
    case 'dataIssue': {
      const d = o.dataIssue;
      return [
        ['Data issue', d.code],
        ['Message', d.message],
        ...(d.analyte === undefined ? [] : ([['Analyte', d.analyte]] as [string, string][])),
        ...(d.instrument === undefined
          ? []
          : ([['Instrument', d.instrument]] as [string, string][])),
      ];
    }
    case 'finding': {
      const f = o.finding;
      return [
        ['Finding', f.id],
        ['Message', f.message],
        ...(f.bandOf === undefined ? [] : ([['Band of', f.bandOf]] as [string, string][])),
      ];
    }
    case 'propose':
    case 'block':
    case 'caution':
    case 'defer':
      break;
  }
  const verb = VERB[o.type];
  const reason = o.reason;
  return [
    [verb, reason.code],
    ['Message', reason.message],
    ...(reason.interventions === undefined
      ? []
      : ([['Interventions', interventions(reason.interventions)]] as [string, string][])),
    ...(reason.tags === undefined
      ? []
      : ([['Interventions tagged', reason.tags.join(', ')]] as [string, string][])),
  ];
}
