import type { VitalName } from '../rules/catalog-types';
import type { FactModel } from './model';

export type FactValue = string | number | boolean | null;
export type Params = Readonly<Record<string, unknown>>;
/**
 * A fact over the request's fact model. The second argument is the engine's state of the run
 * (results of earlier rule kinds), which model facts never read; the engine's own facts do.
 */
export type ModelFactImpl = (model: FactModel, state: unknown, params: Params) => FactValue;

/** A parameter as text. Callers read it by literal name (`p.id`), a faster load than `p[name]`. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : String(v));

/**
 * The facts over the request, keyed by fact id. With the engine's facts over earlier results
 * (src/engine/state.ts) they implement every fact in rules/catalog/facts.yaml; the loader refuses
 * a catalog whose facts and these tables disagree.
 */
export const MODEL_FACTS: Readonly<Record<string, ModelFactImpl>> = {
  age: (m) => m.age,
  sex: (m) => m.sex,
  pregnancy: (m) => m.pregnancy,
  lactating: (m) => m.lactating,
  'biomarker-status': (m, _s, p) => m.biomarkers.get(str(p.analyte))?.status ?? 'absent',
  // The value is known whenever its unit was understood, even without a reference range
  // (an eGFR below 30 matters whatever range the lab printed).
  'biomarker-value': (m, _s, p) => m.biomarkers.get(str(p.analyte))?.value ?? null,
  'biomarker-uln-multiple': (m, _s, p) => m.biomarkers.get(str(p.analyte))?.ulnMultiple ?? null,
  // Over every result sent, counted or not: red-flag rules read these, so a result that crosses a
  // threshold raises its flag whatever its order, date or duplicates (fail closed).
  'biomarker-uln-multiple-max': (m, _s, p) =>
    m.biomarkers.get(str(p.analyte))?.maxUlnMultiple ?? null,
  'biomarker-any-high': (m, _s, p) => m.biomarkers.get(str(p.analyte))?.anyHigh ?? false,
  'biomarker-any-low': (m, _s, p) => m.biomarkers.get(str(p.analyte))?.anyLow ?? false,
  'questionnaire-total': (m, _s, p) => m.questionnaires.get(str(p.instrument))?.total ?? null,
  'questionnaire-band': (m, _s, p) => m.questionnaires.get(str(p.instrument))?.band ?? null,
  'questionnaire-moderate-or-worse': (m) => m.questionnaireModerateOrWorse,
  'questionnaire-item': (m, _s, p) => {
    const items = m.questionnaires.get(str(p.instrument))?.items;
    const n = Number(p.item);
    return items?.[n - 1] ?? null;
  },
  symptom: (m, _s, p) => m.symptoms.get(str(p.id)) ?? 0,
  vital: (m, _s, p) => m.vitals[str(p.name) as VitalName] ?? null,
  'medication-class': (m, _s, p) => m.medicationClasses.get(str(p.class)) ?? 'none',
  'medications-attested': (m) => m.medicationsAttested,
  condition: (m, _s, p) => m.conditions.has(str(p.id)),
  'supplement-taken': (m, _s, p) => m.supplementsTaken.has(str(p.id)),
  'supplement-tag-taken': (m, _s, p) => m.supplementTagsTaken.has(str(p.tag)),
  requested: (m, _s, p) => m.requested.has(str(p.id)),
  'requested-dose-over-ul': (m, _s, p) => m.requested.get(str(p.id))?.overUpperLimit ?? false,
  'dose-above-studied': (m, _s, p) => m.doses.get(str(p.id))?.aboveStudied ?? false,
  'dose-over-ul': (m, _s, p) => m.doses.get(str(p.id))?.overUpperLimit ?? false,
  'data-problem': (m, _s, p) => {
    const code = str(p.code);
    return m.problems.some((x) => x.code === code);
  },
};
