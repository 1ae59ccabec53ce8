// Generated from schemas/evaluation-response.schema.json by `npm run types:generate`. Do not edit: change the
// schema and generate again (CI checks that this file matches the schema).
export type Grade = 'A' | 'B' | 'C' | 'D' | 'X';
export type Node =
  | {
      all: Node[];
      result: Result;
    }
  | {
      any: Node[];
      result: Result;
    }
  | {
      not: Node;
      result: Result;
    }
  | {
      fact: string;
      params?: {
        [k: string]: string | number;
      };
      operator: string;
      value: unknown;
      factValue?: string | number | boolean | null;
      result: Result;
    };
export type Result = 'true' | 'false' | 'not-evaluated';

export interface EvaluationResponse {
  evaluationId: string;
  asOf: string;
  ruleset: {
    id: string;
    version: string;
    hash: string;
  };
  redFlags: {
    code: string;
    urgency: 'emergency' | 'same-day' | 'urgent' | 'routine';
    message: string;
    action: string;
    referral?: string;
    ruleId: string;
    ruleVersion: number;
  }[];
  findings: {
    id: string;
    band?: string;
    /**
     * A questionnaire finding's total score (beside its band).
     */
    score?: number;
    /**
     * A biomarker finding's result in the analyte's canonical unit (`unit`).
     */
    value?: number;
    /**
     * The canonical unit of `value` (UCUM).
     */
    unit?: string;
    /**
     * A biomarker finding's result as a multiple of the upper reference limit.
     */
    ulnMultiple?: number;
    evidenceGrade: Grade;
    message: string;
    ruleId: string;
    ruleVersion: number;
  }[];
  interventions: {
    id: string;
    type: 'supplement' | 'therapy' | 'referral';
    status: 'candidate' | 'caution' | 'blocked' | 'deferred';
    evidenceGrade: Grade;
    requested: boolean;
    /**
     * Present when the patient takes the agent now (supplements[]): its status and reasons are a review of what the patient takes, never an offer (a caution on a current agent is a review with the prescriber).
     */
    current?: true;
    /**
     * @minItems 1
     *
     * Items: Every reason names the rule (ruleId, ruleVersion) and/or the catalog policy (policyId, policyVersion) behind it.
     */
    reasons: {
      code: string;
      /**
       * A finer distinction under `code` (listed under the code in GET /v1/catalog); the code stays the contract.
       */
      detail?: string;
      kind: 'indication' | 'caution' | 'block' | 'deferral';
      severity?: 'contraindicated' | 'major' | 'moderate' | 'theoretical';
      ruleId?: string;
      ruleVersion?: number;
      /**
       * The catalog policy (policies.yaml) that produced or applied this reason.
       */
      policyId?: string;
      policyVersion?: number;
      message: string;
    }[];
    catalog: InterventionInfo;
  }[];
  dataIssues: {
    code: string;
    pointer: string;
    message: string;
    detail?: string;
    ruleId?: string;
    ruleVersion?: number;
  }[];
  hits: Hit[];
  notFired?: Hit[];
  /**
   * @minItems 1
   */
  disclaimers: {
    id: string;
    text: string;
  }[];
}
/**
 * What the catalog knows about the intervention (interventions.yaml), so no client joins the catalog. The mechanism is the claimed rationale, not a proven brain effect.
 */
export interface InterventionInfo {
  name: string;
  mechanism?: string;
  /**
   * The adult daily dose range studied (a studied range for the clinician's judgement, not a dose).
   */
  studiedDose?: {
    min: number;
    max: number;
    unit: 'g' | 'mg' | 'ug';
    note?: string;
  };
  /**
   * The tolerable upper intake level per day.
   */
  upperLimit?: {
    value: number;
    unit: 'g' | 'mg' | 'ug';
    source: string;
  };
  references: string[];
}
export interface Hit {
  ruleId: string;
  version: number;
  kind: 'data' | 'red-flag' | 'finding' | 'option' | 'safety';
  title: string;
  /**
   * rules/<folder>/<file>.yaml:line:column
   */
  source: string;
  fired: boolean;
  conditions: Node;
  failedLeaf?: Node;
}
