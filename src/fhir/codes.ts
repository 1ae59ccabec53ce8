import type { Catalog } from '../rules/catalog';

/** Code systems the mapper reads (FHIR R4 canonical URIs). */
export const SYSTEM = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  atc: 'http://www.whocc.no/atc',
  ucum: 'http://unitsofmeasure.org',
  /** The service's own code system for catalog interventions (code = intervention id). */
  intervention: 'urn:neurotransmitter-cds:intervention',
  /** Catalog-local analyte and questionnaire codes (rules/catalog localCode, e.g. local:isi-total). */
  local: 'urn:neurotransmitter-cds:local',
  /** The service's own code system for catalog symptoms (code = symptom id, value = severity 0-3). */
  symptom: 'urn:neurotransmitter-cds:symptom',
} as const;

export const LOINC = {
  pregnancyStatus: '82810-3',
  breastfeedingStatus: '63895-7',
  medicationList: '10160-0',
  bodyTemperature: '8310-5',
  heartRate: '8867-4',
  systolic: '8480-6',
  diastolic: '8462-4',
  bloodPressurePanel: '85354-9',
} as const;

/** Answers to 82810-3 (SNOMED CT and LOINC answer codes). */
export const PREGNANCY_ANSWERS: ReadonlyMap<string, 'pregnant' | 'not-pregnant' | 'unknown'> =
  new Map([
    [`${SYSTEM.snomed}|77386006`, 'pregnant'],
    [`${SYSTEM.snomed}|60001007`, 'not-pregnant'],
    [`${SYSTEM.snomed}|261665006`, 'unknown'],
    [`${SYSTEM.loinc}|LA15173-0`, 'pregnant'],
    [`${SYSTEM.loinc}|LA26683-5`, 'not-pregnant'],
    [`${SYSTEM.loinc}|LA4489-6`, 'unknown'],
  ]);

/** Condition codes that mean "pregnant" (SNOMED CT Pregnant, ICD-10-CM Z33.1). */
export const PREGNANT_CONDITIONS: ReadonlySet<string> = new Set([
  `${SYSTEM.snomed}|77386006`,
  `${SYSTEM.icd10cm}|Z33.1`,
]);

/** Codes (as a Condition, or as the value of 63895-7) that mean "breastfeeding". */
export const LACTATING_CODES: ReadonlySet<string> = new Set([
  `${SYSTEM.snomed}|169750002`,
  `${SYSTEM.snomed}|413712001`,
]);
export const NOT_LACTATING_CODES: ReadonlySet<string> = new Set([`${SYSTEM.snomed}|373067005`]);

/** Answer codes of the PHQ and GAD items (LOINC answer list LL358-3): the item's score. */
export const ITEM_ANSWERS: ReadonlyMap<string, number> = new Map([
  ['LA6568-5', 0],
  ['LA6569-3', 1],
  ['LA6570-1', 2],
  ['LA6571-9', 3],
]);

export interface QuestionnaireCode {
  readonly instrument: string;
  /** 0 for the total score, else the 1-based item number. */
  readonly item: number;
}

/** Look-ups from FHIR codes to catalog ids, built once per catalog. */
export interface CodeIndex {
  readonly analyteByCode: ReadonlyMap<string, string>;
  readonly questionnaireByCode: ReadonlyMap<string, QuestionnaireCode>;
  readonly atcByRxnorm: ReadonlyMap<string, string>;
  readonly conditionBySnomed: ReadonlyMap<string, string>;
  readonly interventionByName: ReadonlyMap<string, string>;
}

const cache = new WeakMap<Catalog, CodeIndex>();

export function codeIndex(catalog: Catalog): CodeIndex {
  const cached = cache.get(catalog);
  if (cached) return cached;
  const analyteByCode = new Map<string, string>();
  for (const a of catalog.analytes.values()) {
    if (a.loinc !== undefined) analyteByCode.set(`${SYSTEM.loinc}|${a.loinc}`, a.id);
    if (a.localCode !== undefined) analyteByCode.set(`${SYSTEM.local}|${a.localCode}`, a.id);
  }
  const questionnaireByCode = new Map<string, QuestionnaireCode>();
  for (const q of catalog.questionnaires.values()) {
    if (q.loinc !== undefined)
      questionnaireByCode.set(`${SYSTEM.loinc}|${q.loinc}`, { instrument: q.id, item: 0 });
    if (q.localCode !== undefined)
      questionnaireByCode.set(`${SYSTEM.local}|${q.localCode}`, { instrument: q.id, item: 0 });
  }
  // Item codes second, so an item code shared by two instruments (PHQ-2 items are PHQ-9 items
  // 1 and 2) maps to the longer instrument listed first (PHQ-9).
  for (const q of catalog.questionnaires.values()) {
    (q.itemLoinc ?? []).forEach((code, i) => {
      const key = `${SYSTEM.loinc}|${code}`;
      if (!questionnaireByCode.has(key))
        questionnaireByCode.set(key, { instrument: q.id, item: i + 1 });
    });
  }
  const atcByRxnorm = new Map<string, string>();
  for (const d of catalog.files.medications.drugs)
    for (const rx of d.rxnorm ?? []) atcByRxnorm.set(rx, d.atc);
  const conditionBySnomed = new Map<string, string>();
  for (const c of catalog.conditions.values())
    for (const code of c.snomed ?? []) conditionBySnomed.set(code, c.id);
  const interventionByName = new Map<string, string>();
  for (const i of catalog.interventions.values()) {
    if (i.type !== 'supplement') continue;
    interventionByName.set(i.id, i.id);
    interventionByName.set(i.name.toLowerCase(), i.id);
    interventionByName.set(i.name.replace(/\s*\(.*\)\s*$/, '').toLowerCase(), i.id);
  }
  const index = {
    analyteByCode,
    questionnaireByCode,
    atcByRxnorm,
    conditionBySnomed,
    interventionByName,
  };
  cache.set(catalog, index);
  return index;
}
