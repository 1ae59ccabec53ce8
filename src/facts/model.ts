import type { VitalName } from '../rules/catalog-types';
import type { DoseFact } from './doses';
import type { ClassState } from './medications';

export type BiomarkerStatus = 'low' | 'normal' | 'high' | 'uninterpretable' | 'absent';

/**
 * The data problems the fact layer itself detects (besides each questionnaire's
 * `itemsMissingCode` from the catalog). Each must be raised by an active data rule, so every data
 * issue in an answer names its rule: the engine refuses a ruleset that leaves one uncovered.
 */
export const DETECTED_PROBLEM_CODES = [
  'DATA-UNIT-MISSING',
  'DATA-UNIT-UNKNOWN',
  'DATA-UNIT-CONVERTED',
  'DATA-CREAT-MISSING',
  'DATA-RI-MISSING',
  'DATA-MED-UNKNOWN',
  'DATA-MEDS-UNATTESTED',
  'DATA-CONDITION-UNKNOWN',
  'DATA-DUPLICATE-ANALYTE',
  'DATA-STALE',
] as const;

/**
 * One analyte's facts: the result that counts (status, value, multiple; uninterpretable and null
 * when none can count), and the worst of every result sent for it, counted or not (an older
 * duplicate, an ambiguous or a stale one): what red-flag rules read, so none is lost.
 */
export interface BiomarkerFact {
  readonly status: Exclude<BiomarkerStatus, 'absent'>;
  readonly value: number | null;
  readonly ulnMultiple: number | null;
  readonly pointer: string;
  readonly maxUlnMultiple: number | null;
  readonly anyHigh: boolean;
  readonly anyLow: boolean;
}

/** A questionnaire's scores; all null when it is stale (not interpreted). */
export interface QuestionnaireFact {
  /** Null when only some items are known (`answers` without a total). */
  readonly total: number | null;
  readonly band: string | null;
  /** Answers by item (index 0 = item 1); null for an unknown item; null when no item is known. */
  readonly items: readonly (number | null)[] | null;
  readonly pointer: string;
}

/** A data problem the fact layer detected, with where in the request it is. */
export interface DataProblem {
  readonly code: string;
  readonly pointer: string;
  readonly detail: string;
}

/** Every named fact's raw material, derived from the validated request only. */
export interface FactModel {
  readonly age: number;
  readonly sex: string;
  readonly pregnancy: string;
  readonly lactating: boolean | null;
  readonly biomarkers: ReadonlyMap<string, BiomarkerFact>;
  readonly questionnaires: ReadonlyMap<string, QuestionnaireFact>;
  /** True when any questionnaire scores in a band the catalog marks moderateOrWorse. */
  readonly questionnaireModerateOrWorse: boolean;
  readonly symptoms: ReadonlyMap<string, number>;
  readonly vitals: Readonly<Partial<Record<VitalName, number>>>;
  readonly medicationClasses: ReadonlyMap<string, ClassState>;
  readonly medicationsAttested: boolean;
  readonly conditions: ReadonlySet<string>;
  readonly supplementsTaken: ReadonlySet<string>;
  /** The catalog tags of the supplements taken now. */
  readonly supplementTagsTaken: ReadonlySet<string>;
  readonly requested: ReadonlyMap<
    string,
    { readonly pointer: string; readonly overUpperLimit: boolean | null }
  >;
  /** Each agent given with a daily dose (requested or taken now) against the catalog's limits. */
  readonly doses: ReadonlyMap<string, DoseFact>;
  readonly problems: readonly DataProblem[];
  /** True when any urinary neurotransmitter result was sent (it carries the urinary disclaimer). */
  readonly urinaryNeurotransmitterSent: boolean;
}
