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
    /**
     * When the specimen was collected. Older than its analyte group's window in the staleness policy (rules/catalog/policies.yaml) before asOf: DATA-STALE, not interpreted; after asOf: 422 INCONSISTENT-REQUEST; absent: taken as current. Of several results for one analyte the most recent counts (DATA-DUPLICATE-ANALYTE on the others); undated duplicates make the analyte ambiguous.
     */
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
     * When the patient answered it. Older than the instrument's window in the staleness policy (rules/catalog/policies.yaml) before asOf: DATA-STALE, not interpreted; after asOf: 422 INCONSISTENT-REQUEST; absent: taken as current.
     */
    completedAt?: string;
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
      /**
       * The calendar date a stopped medication was stopped; the days since are counted from it to the calendar date of asOf. Give it or stoppedDaysAgo, not both (422); a date after asOf is refused (422).
       */
      stoppedOn?: string;
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
        /**
         * ICD-10-CM code, matched by prefix through the catalog; a code no catalog condition maps is DATA-CONDITION-UNKNOWN.
         */
        icd10: string;
      }
    | {
        /**
         * SNOMED CT concept id, matched exactly through the catalog (FHIR input sends the ones it cannot map); an unmapped concept is DATA-CONDITION-UNKNOWN.
         */
        snomed: string;
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
