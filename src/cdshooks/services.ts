import type { Catalog } from '../rules/catalog';
import { LOINC, SYSTEM } from '../fhir/codes';

export type HookName = 'patient-view' | 'order-select';

export interface CdsService {
  readonly id: string;
  readonly hook: HookName;
  readonly title: string;
  readonly description: string;
  readonly prefetch: Readonly<Record<string, string>>;
  readonly usageRequirements: string;
}

/** Every LOINC code the rules read: analytes, questionnaire totals and items, vitals, status. */
export function observationCodes(catalog: Catalog): string[] {
  const codes = new Set<string>();
  for (const a of catalog.analytes.values()) if (a.loinc !== undefined) codes.add(a.loinc);
  for (const q of catalog.questionnaires.values()) {
    if (q.loinc !== undefined) codes.add(q.loinc);
    for (const c of q.itemLoinc ?? []) codes.add(c);
  }
  for (const c of [
    LOINC.pregnancyStatus,
    LOINC.breastfeedingStatus,
    LOINC.bodyTemperature,
    LOINC.heartRate,
    LOINC.systolic,
    LOINC.diastolic,
    LOINC.bloodPressurePanel,
  ])
    codes.add(c);
  return [...codes].sort();
}

/**
 * The longest staleness windows of the catalog's policy (rules/catalog/policies.yaml): older
 * results would only be reported stale, so the prefetch does not ask for them.
 */
export function windowDays(catalog: Catalog): { observations: number; questionnaires: number } {
  const s = catalog.policies.staleness;
  const labs = Math.max(0, ...(s?.analyteDays.values() ?? []));
  const questionnaires = Math.max(0, ...(s?.questionnaireDays.values() ?? []));
  // Observations carry both lab results and questionnaire scores (PHQ-9 total, item 9, ...).
  return { observations: Math.max(labs, questionnaires), questionnaires };
}

/**
 * Prefetch templates in the CDS Hooks token syntax, for everything the rules read. Observation
 * and QuestionnaireResponse searches are limited to the staleness windows with the relative-date
 * token `{{today() - N days}}` (CDS Hooks 2.0 §"Simple FHIRPath for Relative Dates", STU: a client
 * SHOULD support it); the date is the client's, on each call, never one computed at discovery.
 */
export function prefetchTemplates(catalog: Catalog): Record<string, string> {
  const patient = '{{context.patientId}}';
  const loinc = [
    ...observationCodes(catalog).map((c) => `${SYSTEM.loinc}|${c}`),
    // Symptom severities, recorded in the service's own code system (no standard one fits).
    ...[...catalog.symptoms].sort().map((id) => `${SYSTEM.symptom}|${id}`),
  ].join(',');
  const days = windowDays(catalog);
  const since = (n: number): string => (n > 0 ? `ge{{today() - ${n} days}}` : '');
  const observationDate = days.observations > 0 ? `&date=${since(days.observations)}` : '';
  const authored = days.questionnaires > 0 ? `&authored=${since(days.questionnaires)}` : '';
  return {
    patient: `Patient/${patient}`,
    observations: `Observation?patient=${patient}&code=${loinc}${observationDate}&_sort=-date&_count=200`,
    questionnaireResponses: `QuestionnaireResponse?patient=${patient}&status=completed${authored}&_sort=-authored&_count=20`,
    medicationStatements: `MedicationStatement?patient=${patient}`,
    medicationRequests: `MedicationRequest?patient=${patient}&status=active,on-hold,stopped,completed`,
    conditions: `Condition?patient=${patient}`,
    medicationList: `List?patient=${patient}&code=${SYSTEM.loinc}|${LOINC.medicationList}&status=current`,
  };
}

const cache = new WeakMap<Catalog, readonly CdsService[]>();

/** The services of one ruleset's catalog (built once per catalog). */
export function cdsServices(catalog: Catalog): readonly CdsService[] {
  const cached = cache.get(catalog);
  if (cached) return cached;
  const services = buildServices(catalog);
  cache.set(catalog, services);
  return services;
}

function buildServices(catalog: Catalog): CdsService[] {
  const prefetch = prefetchTemplates(catalog);
  const usage =
    'Send every prefetch key, or a fhirServer with fhirAuthorization (patient/*.read). The ' +
    'medication list counts as complete only with a current snapshot List (LOINC 10160-0).';
  return [
    {
      id: 'neurotransmitter-balance-review',
      hook: 'patient-view',
      title: 'Neurotransmitter balance review',
      description:
        'Red flags, findings, intervention options and data issues from the versioned ' +
        'neurotransmitter-cds rules, for the patient whose chart is open.',
      prefetch,
      usageRequirements: usage,
    },
    {
      id: 'supplement-drug-interaction-check',
      hook: 'order-select',
      title: 'Supplement and drug interaction check',
      description:
        'Checks draft MedicationRequests (supplements and drugs) against the patient’s ' +
        'medications, supplements and conditions with the same safety rules.',
      prefetch,
      usageRequirements: usage,
    },
  ];
}
