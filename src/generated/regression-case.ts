// Generated from schemas/regression-case.schema.json by `npm run types:generate`. Do not edit: change the
// schema and generate again (CI checks that this file matches the schema).
export type Codes = string[];

/**
 * A request with a fixed asOf and the outcome it must produce (partial match: what is listed must be present; absent: lists what must not be).
 */
export interface RegressionCase {
  $schema?: string;
  /**
   * Reads as a specification: 'when ..., then ...'.
   */
  description: string;
  asOf: string;
  /**
   * An EvaluationRequest (validated by the service itself).
   */
  request: {};
  expect: Outcome;
  absent?: Outcome;
}
export interface Outcome {
  redFlags?: Codes;
  findings?: (
    | string
    | {
        id: string;
        band?: string;
        /**
         * A questionnaire finding's total score.
         */
        score?: number;
        /**
         * A biomarker finding's value in the canonical unit.
         */
        value?: number;
      }
  )[];
  /**
   * Intervention id -> expected status and reason codes (under expect); under absent, a list of ids is not allowed: use absentInterventions.
   */
  interventions?: {
    [k: string]: {
      status?: 'candidate' | 'caution' | 'blocked' | 'deferred';
      reasons?: Codes;
      /**
       * Whether the answer marks it current (taken now: a review, not an offer).
       */
      current?: boolean;
    };
  };
  interventionIds?: Codes;
  dataIssues?: Codes;
  rulesFired?: Codes;
  disclaimers?: Codes;
}
