// Generated from schemas/rule-file.schema.json by `npm run types:generate`. Do not edit: change the
// schema and generate again (CI checks that this file matches the schema).
/**
 * A leaf, or a nested all / any / not.
 */
export type Condition = TopCondition1 | Leaf;
/**
 * True when at least one condition in the list is true.
 *
 * @minItems 1
 * @maxItems 50
 */
export type ConditionList1 = Condition[];
/**
 * True when every condition in the list is true.
 *
 * @minItems 1
 * @maxItems 50
 */
export type ConditionList = Condition[];
/**
 * option rules: an indication; the targets become candidates unless a safety rule or a red flag holds them.
 */
export type ReasonOutcome = (
  | {
      interventions: unknown;
    }
  | {
      tags: unknown;
    }
) & {
  /**
   * A code from rules/catalog/reason-codes.yaml: BLK- block, CAU- caution, RF- red flag, DATA- data issue, IND- indication, DEF- deferral.
   */
  code: string;
  /**
   * A finer distinction under `code`, listed in the code's `details` in reason-codes.yaml (e.g. contraceptive under BLK-CYP-INDUCER). The code stays the contract.
   */
  detail?: string;
  /**
   * What the clinician reads next to the intervention.
   */
  message: string;
  /**
   * Intervention ids from interventions.yaml.
   *
   * @minItems 1
   *
   * Items: An intervention id.
   */
  interventions?: string[];
  /**
   * Tags from interventions.yaml; every intervention carrying one is a target.
   *
   * @minItems 1
   *
   * Items: An intervention tag.
   */
  tags?: string[];
};
/**
 * safety rules: a block; blocked wins over every other status.
 */
export type ReasonOutcome1 = (
  | {
      interventions: unknown;
    }
  | {
      tags: unknown;
    }
) & {
  /**
   * A code from rules/catalog/reason-codes.yaml: BLK- block, CAU- caution, RF- red flag, DATA- data issue, IND- indication, DEF- deferral.
   */
  code: string;
  /**
   * A finer distinction under `code`, listed in the code's `details` in reason-codes.yaml (e.g. contraceptive under BLK-CYP-INDUCER). The code stays the contract.
   */
  detail?: string;
  /**
   * What the clinician reads next to the intervention.
   */
  message: string;
  /**
   * Intervention ids from interventions.yaml.
   *
   * @minItems 1
   *
   * Items: An intervention id.
   */
  interventions?: string[];
  /**
   * Tags from interventions.yaml; every intervention carrying one is a target.
   *
   * @minItems 1
   *
   * Items: An intervention tag.
   */
  tags?: string[];
};
/**
 * safety rules: a caution; the target stays available with this warning.
 */
export type ReasonOutcome2 = (
  | {
      interventions: unknown;
    }
  | {
      tags: unknown;
    }
) & {
  /**
   * A code from rules/catalog/reason-codes.yaml: BLK- block, CAU- caution, RF- red flag, DATA- data issue, IND- indication, DEF- deferral.
   */
  code: string;
  /**
   * A finer distinction under `code`, listed in the code's `details` in reason-codes.yaml (e.g. contraceptive under BLK-CYP-INDUCER). The code stays the contract.
   */
  detail?: string;
  /**
   * What the clinician reads next to the intervention.
   */
  message: string;
  /**
   * Intervention ids from interventions.yaml.
   *
   * @minItems 1
   *
   * Items: An intervention id.
   */
  interventions?: string[];
  /**
   * Tags from interventions.yaml; every intervention carrying one is a target.
   *
   * @minItems 1
   *
   * Items: An intervention tag.
   */
  tags?: string[];
};
/**
 * safety rules: a deferral; the target is held back until the missing data or situation is resolved.
 */
export type ReasonOutcome3 = (
  | {
      interventions: unknown;
    }
  | {
      tags: unknown;
    }
) & {
  /**
   * A code from rules/catalog/reason-codes.yaml: BLK- block, CAU- caution, RF- red flag, DATA- data issue, IND- indication, DEF- deferral.
   */
  code: string;
  /**
   * A finer distinction under `code`, listed in the code's `details` in reason-codes.yaml (e.g. contraceptive under BLK-CYP-INDUCER). The code stays the contract.
   */
  detail?: string;
  /**
   * What the clinician reads next to the intervention.
   */
  message: string;
  /**
   * Intervention ids from interventions.yaml.
   *
   * @minItems 1
   *
   * Items: An intervention id.
   */
  interventions?: string[];
  /**
   * Tags from interventions.yaml; every intervention carrying one is a target.
   *
   * @minItems 1
   *
   * Items: An intervention tag.
   */
  tags?: string[];
};

/**
 * One YAML file holds one rule or a small family of rules of one kind. Conditions use json-rules-engine's own vocabulary (all / any / not, fact, operator, value, params).
 */
export interface NeurotransmitterCdsRuleFile {
  /**
   * The rules in this file, all of the kind its folder names (data/, red-flags/, findings/, options/, safety/).
   *
   * @minItems 1
   * @maxItems 100
   */
  rules: Rule[];
}
/**
 * One rule: who it is (id, version, status, kind), why (title, rationale, evidence, review), when it fires and what it adds to the answer.
 */
export interface Rule {
  /**
   * Stable id: <kind>.<file name>[.<suffix>], e.g. safety.sero-maoi.5-htp.
   */
  id: string;
  /**
   * Bumped on every semantic change; rules:validate checks it against rules/ruleset.lock.
   */
  version: number;
  /**
   * Only active rules run.
   */
  status: 'draft' | 'active' | 'retired';
  /**
   * Kinds run in this order: data, red-flag, finding, option, safety; later kinds may read earlier kinds' results as facts.
   */
  kind: 'data' | 'red-flag' | 'finding' | 'option' | 'safety';
  /**
   * One line a clinician reads in the trace.
   */
  title: string;
  /**
   * Why the rule exists, with the clinical-reference section it rests on.
   */
  rationale: string;
  /**
   * How strong the evidence is, and where it comes from.
   */
  evidence: {
    /**
     * A consistent RCTs; B RCTs with limitations; C few or small trials; D mechanism or tradition only; X inappropriate for this use.
     */
    grade: 'A' | 'B' | 'C' | 'D' | 'X';
    /**
     * Citations a reviewer can check (label, guideline, trial, clinical-reference section).
     *
     * @minItems 1
     * @maxItems 20
     *
     * Items: One citation.
     */
    references: string[];
  };
  /**
   * Who wrote the rule and who signed it off clinically.
   */
  review: {
    /**
     * Who wrote (or last changed) the rule.
     */
    author: string;
    /**
     * Who signed the rule off clinically, or pending-clinical-review.
     */
    reviewer: string;
  };
  when: TopCondition;
  then: Outcome;
}
/**
 * The condition tree: one of all / any / not at the top; leaves read named facts.
 */
export interface TopCondition {
  all?: ConditionList;
  any?: ConditionList1;
  /**
   * A leaf, or a nested all / any / not.
   */
  not?: TopCondition1 | Leaf;
}
/**
 * Exactly one of all (every child true), any (at least one child true) or not (the child false).
 */
export interface TopCondition1 {
  all?: ConditionList;
  any?: ConditionList1;
  /**
   * A leaf, or a nested all / any / not.
   */
  not?: TopCondition1 | Leaf;
}
/**
 * One test of one fact: {fact, params, operator, value}.
 */
export interface Leaf {
  /**
   * A fact id from rules/catalog/facts.yaml.
   */
  fact: string;
  /**
   * A json-rules-engine operator (equal, notEqual, in, notIn, contains, doesNotContain, lessThan, lessThanInclusive, greaterThan, greaterThanInclusive) or a service operator (between).
   */
  operator: string;
  /**
   * Compared with the fact's value.
   */
  value: string | number | boolean | null | (string | number)[];
  /**
   * The fact's parameters, as declared for it in facts.yaml (e.g. analyte, instrument and item, class, id, code).
   */
  params?: {
    [k: string]: string | number;
  };
}
/**
 * Exactly one outcome, matching the rule's kind: data -> dataIssue; red-flag -> redFlag; finding -> finding; option -> propose; safety -> block, caution or defer.
 */
export interface Outcome {
  /**
   * data rules: a data issue (what could not be interpreted and why).
   */
  dataIssue?: {
    /**
     * A DATA- code.
     */
    code: string;
    /**
     * What the clinician reads.
     */
    message: string;
    /**
     * Points the issue at this analyte's biomarker entry; otherwise the pointers come from where the fact layer detected the code.
     */
    analyte?: string;
    /**
     * Points the issue at this questionnaire.
     */
    instrument?: string;
  };
  /**
   * red-flag rules: a situation that leaves the supplement workflow; emergency and same-day flags defer every supplement.
   */
  redFlag?: {
    /**
     * An RF- code; its urgency comes from reason-codes.yaml.
     */
    code: string;
    /**
     * What was seen.
     */
    message: string;
    /**
     * What to do instead of the supplement workflow.
     */
    action: string;
    /**
     * A referral-* or prescriber-review intervention to offer.
     */
    referral?: string;
  };
  /**
   * finding rules: a finding with a stable id from findings.yaml (questionnaire bands, biomarker lows and highs, named patterns).
   */
  finding?: {
    /**
     * A finding id from findings.yaml.
     */
    id: string;
    /**
     * Take the finding's band from this questionnaire's scored band.
     */
    bandOf?: string;
    /**
     * What the clinician reads.
     */
    message: string;
  };
  propose?: ReasonOutcome;
  block?: ReasonOutcome1;
  caution?: ReasonOutcome2;
  defer?: ReasonOutcome3;
}
