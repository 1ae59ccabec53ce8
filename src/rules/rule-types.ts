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

export type Outcome =
  | {
      readonly dataIssue: {
        readonly code: string;
        readonly message: string;
        readonly analyte?: string;
        readonly instrument?: string;
      };
    }
  | {
      readonly redFlag: {
        readonly code: string;
        readonly message: string;
        readonly action: string;
        readonly referral?: string;
      };
    }
  | {
      readonly finding: { readonly id: string; readonly bandOf?: string; readonly message: string };
    }
  | { readonly propose: ReasonOutcome }
  | { readonly block: ReasonOutcome }
  | { readonly caution: ReasonOutcome }
  | { readonly defer: ReasonOutcome };

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
