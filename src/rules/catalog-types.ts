/** Shapes of the catalog files under rules/catalog/ (validated by schemas/catalog.schema.json). */
import type { Condition as RuleCondition } from './rule-types';

export type Grade = 'A' | 'B' | 'C' | 'D' | 'X';
export type RuleKind = 'data' | 'red-flag' | 'finding' | 'option' | 'safety';
export type Severity = 'contraindicated' | 'major' | 'moderate' | 'theoretical';
export type Urgency = 'emergency' | 'same-day' | 'urgent' | 'routine';
export type MassUnit = 'g' | 'mg' | 'ug';

export interface Manifest {
  readonly id: string;
  readonly version: string;
  readonly title: string;
  readonly description: string;
}

export interface Analyte {
  readonly id: string;
  readonly name: string;
  readonly specimen: 'urine' | 'saliva' | 'serum' | 'blood' | 'plasma';
  readonly loinc?: string;
  readonly localCode?: string;
  readonly unitFamily: string;
  readonly molarMass?: number;
  readonly urinaryNeurotransmitter?: boolean;
  readonly note?: string;
}

export interface UnitDef {
  readonly code: string;
  readonly aliases?: readonly string[];
  readonly factor: number;
  readonly molar?: boolean;
}

export interface UnitFamily {
  readonly id: string;
  readonly canonical: string;
  readonly creatinineMolarMass?: number;
  /** How labs write "per creatinine" after a unit (`Cr`, `creatinine`, `{creat}`), as written. */
  readonly creatinineSuffixes?: readonly string[];
  readonly units: readonly UnitDef[];
  readonly notNormalised?: readonly string[];
}

export interface LabRange {
  readonly analyte: string;
  readonly low?: number;
  readonly high?: number;
  readonly unit: string;
}

export interface LabProfile {
  readonly id: string;
  readonly name: string;
  readonly example: true;
  readonly intendedUse?: string;
  readonly references: readonly string[];
  readonly ranges: readonly LabRange[];
}

export interface Band {
  readonly id: string;
  readonly min: number;
  readonly max: number;
  readonly label?: string;
  /** A moderate-or-worse band on a clinical severity scale (what perinatal care routes on). */
  readonly moderateOrWorse?: boolean;
}

export interface Questionnaire {
  readonly id: string;
  readonly name: string;
  readonly loinc?: string;
  readonly localCode?: string;
  readonly itemCount: number;
  readonly itemMin: number;
  readonly itemMax: number;
  readonly reverseItems?: readonly number[];
  /** LOINC codes of the items in item order. */
  readonly itemLoinc?: readonly string[];
  readonly bands: readonly Band[];
  readonly note?: string;
  readonly references: readonly string[];
  /** The data problem raised when an item that matters on its own (`keyItems`) is unknown. */
  readonly itemsMissingCode?: string;
  /** The items that matter on their own (default: every item). */
  readonly keyItems?: readonly number[];
}

export interface Intervention {
  readonly id: string;
  readonly name: string;
  readonly type: 'supplement' | 'therapy' | 'referral';
  readonly atc?: string;
  readonly tags?: readonly string[];
  readonly mechanism?: string;
  readonly studiedDose?: {
    readonly min: number;
    readonly max: number;
    readonly unit: MassUnit;
    readonly note?: string;
  };
  readonly upperLimit?: {
    readonly value: number;
    readonly unit: MassUnit;
    readonly source: string;
  };
  readonly evidenceGrade: Grade;
  readonly references: readonly string[];
}

export interface MedicationClass {
  readonly id: string;
  readonly name: string;
  readonly atcPrefixes: readonly string[];
  readonly washoutDays: number;
  readonly references?: readonly string[];
}

export interface Drug {
  readonly atc: string;
  readonly name: string;
  readonly synonyms?: readonly string[];
  readonly washoutDays?: number;
  /** RxNorm ingredient RxCUIs that map to this drug's ATC code. */
  readonly rxnorm?: readonly string[];
}

export interface Condition {
  readonly id: string;
  readonly name: string;
  readonly icd10Prefixes: readonly string[];
  /** SNOMED CT concept ids mapped to this condition (exact match). */
  readonly snomed?: readonly string[];
}

export interface Symptom {
  readonly id: string;
  readonly name: string;
}

export interface ReasonCode {
  readonly code: string;
  readonly kind: 'block' | 'caution' | 'red-flag' | 'data' | 'indication' | 'deferral';
  readonly severity?: Severity;
  readonly urgency?: Urgency;
  readonly title: string;
  /** Listed in SPEC §4: the contract downstream services code against. */
  readonly spec?: boolean;
  /** Finer distinctions a rule may add as `detail` beside this code. */
  readonly details?: readonly {
    readonly id: string;
    readonly title: string;
    /** Where a reason with this detail is more or less severe than the code's default. */
    readonly severity?: Severity;
  }[];
}

/** What a policy holds back: every supplement, or every agent with an interaction rule. */
export type HoldScope = 'supplements' | 'interaction-agents' | 'condition-agents';

/** A catalog policy: clinical policy that is not one rule's outcome, versioned like a rule. */
interface PolicyBase {
  readonly id: string;
  readonly version: number;
  readonly title: string;
  readonly rationale: string;
  readonly evidence: { readonly grade: Grade; readonly references: readonly string[] };
  readonly review: { readonly author: string; readonly reviewer: string };
}

export type Policy = PolicyBase &
  (
    | {
        readonly holdOnRedFlag: {
          readonly urgencies: readonly Urgency[];
          readonly holds: HoldScope;
        };
      }
    | { readonly holdOnDataIssue: { readonly code: string; readonly holds: HoldScope } }
    | { readonly confoundOnDataIssue: { readonly codes: readonly string[] } }
    | { readonly noIndication: { readonly code: string; readonly message: string } }
    | { readonly holdWithoutData: HoldWithoutData }
    | { readonly staleAfter: StaleAfter }
  );

/** One piece of data a hold-without-data policy needs, and when it counts as known. */
export interface DataNeed {
  readonly detail: string;
  readonly message: string;
  readonly knownWhen: RuleCondition;
}

/**
 * When none of `needs` is known, every option in scope that no rule indicates is held, with one
 * reason per need (its `detail`).
 */
export interface HoldWithoutData {
  readonly code: string;
  readonly holds: HoldScope;
  readonly needs: readonly DataNeed[];
}

/** Staleness windows (policies.yaml `staleAfter`): per analyte group (by specimen) and per questionnaire. */
export interface StaleAfter {
  readonly code: string;
  readonly analyteGroups: readonly {
    readonly id: string;
    readonly specimens: readonly Analyte['specimen'][];
    readonly days: number;
  }[];
  readonly questionnaireDefaultDays: number;
  readonly questionnaires?: readonly { readonly instrument: string; readonly days: number }[];
}

export interface FindingPattern {
  readonly id: string;
  readonly name: string;
  readonly note?: string;
}

export interface Disclaimer {
  readonly id: string;
  readonly when: 'always' | 'urinary-neurotransmitter';
  readonly text: string;
  readonly references?: readonly string[];
}

export type ParamCatalog =
  | 'analyte'
  | 'questionnaire'
  | 'item'
  | 'symptom'
  | 'vital'
  | 'medication-class'
  | 'condition'
  | 'intervention'
  | 'finding'
  | 'reason-code'
  | 'intervention-tag';

export interface FactDef {
  readonly id: string;
  readonly description: string;
  readonly from: RuleKind;
  readonly params?: Readonly<Record<string, ParamCatalog>>;
  readonly returns: 'boolean' | 'number' | 'integer' | 'string';
  readonly values?: readonly string[];
  readonly nullable?: boolean;
}

/** The raw catalog files, as validated. */
export interface CatalogFiles {
  readonly analytes: { readonly analytes: readonly Analyte[] };
  readonly units: { readonly families: readonly UnitFamily[] };
  readonly labs: { readonly labs: readonly LabProfile[] };
  readonly questionnaires: { readonly questionnaires: readonly Questionnaire[] };
  readonly interventions: { readonly interventions: readonly Intervention[] };
  readonly medications: {
    readonly classes: readonly MedicationClass[];
    readonly drugs: readonly Drug[];
  };
  readonly conditions: { readonly conditions: readonly Condition[] };
  readonly symptoms: { readonly symptoms: readonly Symptom[] };
  readonly 'reason-codes': { readonly codes: readonly ReasonCode[] };
  readonly findings: { readonly patterns: readonly FindingPattern[] };
  readonly disclaimers: { readonly disclaimers: readonly Disclaimer[] };
  readonly facts: { readonly facts: readonly FactDef[] };
  readonly policies: { readonly policies: readonly Policy[] };
}

export const CATALOG_FILES = [
  'analytes',
  'units',
  'labs',
  'questionnaires',
  'interventions',
  'medications',
  'conditions',
  'symptoms',
  'reason-codes',
  'findings',
  'disclaimers',
  'facts',
  'policies',
] as const satisfies readonly (keyof CatalogFiles)[];

export const RULE_KINDS: readonly RuleKind[] = ['data', 'red-flag', 'finding', 'option', 'safety'];

export const VITALS = ['temperatureC', 'heartRate', 'systolic', 'diastolic'] as const;
export type VitalName = (typeof VITALS)[number];
