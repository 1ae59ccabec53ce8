import type { Grade, Intervention, RuleKind, Severity, Urgency } from '../rules/catalog-types';
import type { LeafValue } from '../rules/rule-types';

export type NodeResult = 'true' | 'false' | 'not-evaluated';

export type TraceNode =
  | { readonly all: readonly TraceNode[]; readonly result: NodeResult }
  | { readonly any: readonly TraceNode[]; readonly result: NodeResult }
  | { readonly not: TraceNode; readonly result: NodeResult }
  | {
      readonly fact: string;
      readonly params?: Readonly<Record<string, string | number>>;
      readonly operator: string;
      readonly value: LeafValue;
      /** The fact value seen; absent when the leaf was not evaluated. */
      readonly factValue?: string | number | boolean | null;
      readonly result: NodeResult;
    };

export interface Hit {
  readonly ruleId: string;
  readonly version: number;
  readonly kind: RuleKind;
  readonly title: string;
  readonly source: string;
  readonly fired: boolean;
  readonly conditions: TraceNode;
  /** For rules that did not fire: the first leaf that evaluated false. */
  readonly failedLeaf?: TraceNode;
}

export interface RuleRef {
  readonly ruleId: string;
  readonly ruleVersion: number;
}

export interface RedFlagOut extends RuleRef {
  readonly code: string;
  readonly urgency: Urgency;
  readonly message: string;
  readonly action: string;
  readonly referral?: string;
}

export interface FindingOut extends RuleRef {
  readonly id: string;
  readonly band?: string;
  /** A questionnaire finding's total score, beside its band. */
  readonly score?: number;
  /** A biomarker finding's value in the analyte's canonical unit (`unit`). */
  readonly value?: number;
  readonly unit?: string;
  /** A biomarker finding's value as a multiple of the upper reference limit. */
  readonly ulnMultiple?: number;
  readonly evidenceGrade: Grade;
  readonly message: string;
}

export type ReasonKind = 'indication' | 'caution' | 'block' | 'deferral';

/** Every reason names the rule and/or the catalog policy behind it. */
export interface ReasonOut {
  readonly code: string;
  /** A finer distinction under `code`, listed under the code in the catalog. */
  readonly detail?: string;
  readonly kind: ReasonKind;
  readonly severity?: Severity;
  /** The rule that produced the reason (absent for a policy's own reason, e.g. no indication). */
  readonly ruleId?: string;
  readonly ruleVersion?: number;
  /** The catalog policy that produced or applied it (a hold, the no-indication caution). */
  readonly policyId?: string;
  readonly policyVersion?: number;
  readonly message: string;
}

export type InterventionStatus = 'candidate' | 'caution' | 'blocked' | 'deferred';

/** What the catalog knows about an intervention, carried in the answer (shared per ruleset). */
export type InterventionInfo = Pick<
  Intervention,
  'name' | 'mechanism' | 'studiedDose' | 'upperLimit' | 'references'
>;

export interface InterventionOut {
  readonly id: string;
  readonly type: 'supplement' | 'therapy' | 'referral';
  readonly status: InterventionStatus;
  readonly evidenceGrade: Grade;
  readonly requested: boolean;
  /**
   * Present (true) when the patient takes it now (`supplements[]`): its status and reasons are a
   * review of what the patient takes, never an offer.
   */
  readonly current?: true;
  readonly reasons: readonly ReasonOut[];
  /** What the catalog knows about it (mechanism, studied dose, references), so no client joins the catalog. */
  readonly catalog: InterventionInfo;
}

export interface DataIssueOut {
  readonly code: string;
  readonly pointer: string;
  readonly message: string;
  readonly detail?: string;
  readonly ruleId?: string;
  readonly ruleVersion?: number;
}

export interface EvaluationResponse {
  readonly evaluationId: string;
  readonly asOf: string;
  readonly ruleset: { readonly id: string; readonly version: string; readonly hash: string };
  readonly redFlags: readonly RedFlagOut[];
  readonly findings: readonly FindingOut[];
  readonly interventions: readonly InterventionOut[];
  readonly dataIssues: readonly DataIssueOut[];
  readonly hits: readonly Hit[];
  readonly notFired?: readonly Hit[];
  readonly disclaimers: readonly { readonly id: string; readonly text: string }[];
}
