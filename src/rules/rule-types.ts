import type { Grade, RuleKind } from './catalog-types';

export type LeafValue = string | number | boolean | null | readonly (string | number)[];

export interface Leaf {
  readonly fact: string;
  readonly operator: string;
  readonly value: LeafValue;
  readonly params?: Readonly<Record<string, string | number>>;
}

export type TopCondition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition };

export type Condition = TopCondition | Leaf;

export interface ReasonOutcome {
  readonly code: string;
  /** A finer distinction under `code`, listed under the code in reason-codes.yaml. */
  readonly detail?: string;
  readonly message: string;
  readonly interventions?: readonly string[];
  readonly tags?: readonly string[];
}

export interface DataIssueOutcome {
  readonly code: string;
  readonly message: string;
  readonly analyte?: string;
  readonly instrument?: string;
}

export interface RedFlagOutcome {
  readonly code: string;
  readonly message: string;
  readonly action: string;
  readonly referral?: string;
}

export interface FindingOutcome {
  readonly id: string;
  readonly bandOf?: string;
  readonly message: string;
}

/** A rule's `then` as written in YAML: exactly one outcome key (the schema guarantees it). */
export type Outcome =
  | { readonly dataIssue: DataIssueOutcome }
  | { readonly redFlag: RedFlagOutcome }
  | { readonly finding: FindingOutcome }
  | { readonly propose: ReasonOutcome }
  | { readonly block: ReasonOutcome }
  | { readonly caution: ReasonOutcome }
  | { readonly defer: ReasonOutcome };

/** The outcome types, one per key a `then` may hold. */
export type OutcomeType =
  'dataIssue' | 'redFlag' | 'finding' | 'propose' | 'block' | 'caution' | 'defer';

/**
 * A rule's outcome as a tagged union: code switches on `type`, and the type-aware lint
 * (`switch-exhaustiveness-check`) fails a switch that misses an outcome type.
 */
export type TaggedOutcome =
  | { readonly type: 'dataIssue'; readonly dataIssue: DataIssueOutcome }
  | { readonly type: 'redFlag'; readonly redFlag: RedFlagOutcome }
  | { readonly type: 'finding'; readonly finding: FindingOutcome }
  | { readonly type: 'propose' | 'block' | 'caution' | 'defer'; readonly reason: ReasonOutcome };

const tagged = new WeakMap<RuleDef, TaggedOutcome>();

/** The one place that reads a `then` by its key: the rule's outcome, tagged (memoised per rule). */
export function outcomeOf(rule: RuleDef): TaggedOutcome {
  let out = tagged.get(rule);
  if (out !== undefined) return out;
  const then = rule.then as Partial<Record<OutcomeType, unknown>>;
  const type = Object.keys(then)[0] as OutcomeType;
  switch (type) {
    case 'dataIssue':
      out = { type, dataIssue: then.dataIssue as DataIssueOutcome };
      break;
    case 'redFlag':
      out = { type, redFlag: then.redFlag as RedFlagOutcome };
      break;
    case 'finding':
      out = { type, finding: then.finding as FindingOutcome };
      break;
    case 'propose':
    case 'block':
    case 'caution':
    case 'defer':
      out = { type, reason: then[type] as ReasonOutcome };
      break;
  }
  tagged.set(rule, out);
  return out;
}

/** The code or id a rule's outcome adds to an answer. */
export function producedKey(rule: RuleDef): string {
  const o = outcomeOf(rule);
  switch (o.type) {
    case 'dataIssue':
      return o.dataIssue.code;
    case 'redFlag':
      return o.redFlag.code;
    case 'finding':
      return o.finding.id;
    case 'propose':
    case 'block':
    case 'caution':
    case 'defer':
      return o.reason.code;
  }
}

export interface RuleSource {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A rule as written in YAML, plus where it was written. */
export interface RuleDef {
  readonly id: string;
  readonly version: number;
  readonly status: 'draft' | 'active' | 'retired';
  readonly kind: RuleKind;
  readonly title: string;
  readonly rationale: string;
  readonly evidence: { readonly grade: Grade; readonly references: readonly string[] };
  readonly review: { readonly author: string; readonly reviewer: string };
  readonly when: TopCondition;
  readonly then: Outcome;
  readonly source: RuleSource;
}

export function isLeaf(condition: Condition): condition is Leaf {
  return 'fact' in condition;
}

/** The children of a boolean node, or none for a leaf. */
export function childrenOf(condition: Condition): readonly Condition[] {
  if ('all' in condition) return condition.all;
  if ('any' in condition) return condition.any;
  if ('not' in condition) return [condition.not];
  return [];
}

export const KIND_FOLDERS: Readonly<Record<RuleKind, string>> = {
  data: 'data',
  'red-flag': 'red-flags',
  finding: 'findings',
  option: 'options',
  safety: 'safety',
};

export const OUTCOME_FOR_KIND: Readonly<Record<RuleKind, readonly string[]>> = {
  data: ['dataIssue'],
  'red-flag': ['redFlag'],
  finding: ['finding'],
  option: ['propose'],
  safety: ['block', 'caution', 'defer'],
};
