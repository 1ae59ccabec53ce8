/**
 * The evaluation request as schemas/evaluation-request.schema.json admits it. Only the fact
 * builder reads these; rules see named facts, never this object.
 */
export type DoseUnit = 'g' | 'mg' | 'ug' | 'mcg' | 'µg' | 'μg';

export interface Dose {
  readonly value: number;
  readonly unit: DoseUnit;
}

export interface BiomarkerInput {
  readonly analyte: string;
  readonly value: number;
  readonly unit?: string;
  readonly referenceRange?: {
    readonly low?: number;
    readonly high?: number;
    readonly unit?: string;
  };
  readonly specimen?: string;
  readonly lab?: string;
  readonly collectedAt?: string;
}

export interface QuestionnaireInput {
  readonly instrument: string;
  readonly items?: readonly number[];
  readonly total?: number;
  readonly completedAt?: string;
  /** Single items known on their own (item number from 1); the others stay unknown. */
  readonly answers?: readonly { readonly item: number; readonly value: number }[];
}

export interface MedicationInput {
  readonly name?: string;
  readonly atc?: string;
  readonly status: 'active' | 'stopped';
  readonly stoppedDaysAgo?: number;
  /** The calendar date it was stopped (YYYY-MM-DD); days are counted to asOf's date. */
  readonly stoppedOn?: string;
}

export type ConditionInput =
  { readonly id: string } | { readonly icd10: string } | { readonly snomed: string };

export interface AgentInput {
  readonly id: string;
  readonly dose?: Dose;
}

export interface EvaluationRequest {
  readonly asOf?: string;
  readonly patient: {
    readonly age: number;
    readonly sex?: 'female' | 'male' | 'other' | 'unknown';
    readonly pregnancy?: 'pregnant' | 'not-pregnant' | 'postpartum' | 'unknown';
    readonly lactating?: boolean;
  };
  readonly biomarkers?: readonly BiomarkerInput[];
  readonly questionnaires?: readonly QuestionnaireInput[];
  readonly symptoms?: readonly { readonly id: string; readonly severity: number }[];
  readonly vitals?: {
    readonly temperatureC?: number;
    readonly heartRate?: number;
    readonly systolic?: number;
    readonly diastolic?: number;
  };
  readonly medications?: {
    readonly attested: boolean;
    readonly items?: readonly MedicationInput[];
  };
  readonly conditions?: readonly ConditionInput[];
  readonly supplements?: readonly AgentInput[];
  readonly requested?: readonly (string | AgentInput)[];
}
