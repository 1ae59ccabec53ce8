// Generated from schemas/evaluation-request.schema.json by `npm run types:generate`. Do not edit: change the
// schema and generate again (CI checks that this file matches the schema).
export type Kebab = string;

/**
 * One patient's structured data. Unknown fields are rejected. The identifier $defs (analyteId, symptomId, ...) receive the loaded catalog's ids as enums at start-up, so unknown ids are rejected with a JSON pointer.
 */
export interface EvaluationRequest {
  asOf?: string;
  patient: {
    age: number;
    sex?: 'female' | 'male' | 'other' | 'unknown';
    pregnancy?: 'pregnant' | 'not-pregnant' | 'postpartum' | 'unknown';
    lactating?: boolean;
  };
  /**
   * @maxItems 100
   */
  biomarkers?: {
    analyte: Kebab;
    value: number;
    unit?: string;
    referenceRange?: {
      low?: number;
      high?: number;
      unit?: string;
    };
    specimen?: 'urine' | 'saliva' | 'serum' | 'blood' | 'plasma';
    lab?: Kebab;
    collectedAt?: string;
  }[];
  /**
   * @maxItems 20
   */
  questionnaires?: {
    instrument: Kebab;
    /**
     * @maxItems 50
     */
    items?: number[];
    total?: number;
    /**
     * Answers to single items when the whole items[] is not known (PHQ-9 item 9 recorded on its own, say): each item number once, with or without a total. The other items stay unknown; no total is derived from answers.
     *
     * @minItems 1
     * @maxItems 50
     */
    answers?: {
      /**
       * Item number, 1 for the first item.
       */
      item: number;
      value: number;
    }[];
  }[];
  /**
   * @maxItems 100
   */
  symptoms?: {
    id: Kebab;
    severity: number;
  }[];
  vitals?: {
    temperatureC?: number;
    heartRate?: number;
    systolic?: number;
    diastolic?: number;
  };
  /**
   * attested: true means the list is complete (an empty list means takes none). An unattested or omitted list holds every agent that has an interaction rule.
   */
  medications?: {
    attested: boolean;
    /**
     * @maxItems 100
     */
    items?: ((
      | {
          name: unknown;
        }
      | {
          atc: unknown;
        }
    ) & {
      name?: string;
      atc?: string;
      status: 'active' | 'stopped';
      stoppedDaysAgo?: number;
    })[];
  };
  /**
   * @maxItems 100
   */
  conditions?: (
    | {
        id: Kebab;
      }
    | {
        icd10: string;
      }
  )[];
  /**
   * @maxItems 50
   */
  supplements?: Agent[];
  /**
   * @maxItems 50
   */
  requested?: (Kebab | Agent)[];
}
export interface Agent {
  id: Kebab;
  /**
   * Daily dose.
   */
  dose?: {
    value: number;
    unit: 'g' | 'mg' | 'ug' | 'mcg' | 'µg' | 'μg';
  };
}
