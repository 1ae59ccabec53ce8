import type { FieldError } from '../lib/field-error';
import type { Catalog } from '../rules/catalog';
import type { CodeIndex, QuestionnaireCode } from './codes';
import {
  codeIndex,
  ITEM_ANSWERS,
  LACTATING_CODES,
  LOINC,
  NOT_LACTATING_CODES,
  PREGNANCY_ANSWERS,
  PREGNANT_CONDITIONS,
  SYSTEM,
} from './codes';
import type { Json } from './json';
import { arr, codings, fhirDate, hasCode, num, obj, str } from './json';
import { PointerMap } from './pointers';

/**
 * FHIR R4 → native evaluation request body: one pure mapper. It reads Patient, Observation,
 * QuestionnaireResponse, MedicationStatement, MedicationRequest, Medication, Condition, Specimen
 * and List; it decides nothing clinical: the body goes through the one use case (`answer`),
 * whose validation, facts and rules do the rest. What FHIR cannot say is left out of the body,
 * so the engine's own data checks (missing unit, unattested list, unknown medication) apply.
 */

/** A native request body as schemas/evaluation-request.schema.json describes it. */
export interface NativeBody {
  asOf: string;
  patient: {
    age?: number;
    sex?: 'female' | 'male' | 'other' | 'unknown';
    pregnancy?: 'pregnant' | 'not-pregnant' | 'postpartum' | 'unknown';
    lactating?: boolean;
  };
  biomarkers?: NativeBiomarker[];
  questionnaires?: {
    instrument: string;
    items?: number[];
    total?: number;
    answers?: { item: number; value: number }[];
    completedAt?: string;
  }[];
  symptoms?: { id: string; severity: number }[];
  vitals?: { temperatureC?: number; heartRate?: number; systolic?: number; diastolic?: number };
  medications: {
    attested: boolean;
    items?: {
      name?: string;
      atc?: string;
      status: 'active' | 'stopped';
      stoppedDaysAgo?: number;
    }[];
  };
  conditions?: ({ id: string } | { icd10: string } | { snomed: string })[];
  supplements?: { id: string }[];
  requested?: string[];
}

interface NativeBiomarker {
  analyte: string;
  value: number;
  unit?: string;
  referenceRange?: { low?: number; high?: number; unit?: string };
  specimen?: 'urine' | 'saliva' | 'serum' | 'blood' | 'plasma';
  collectedAt?: string;
}

/** What a draft order (CDS Hooks order-select) became in the native request. */
export interface DraftMapping {
  /** `MedicationRequest/{id}`, the resourceId a delete suggestion names. */
  readonly resourceId: string;
  /** The intervention it requests (a supplement), when it is one. */
  readonly intervention?: string;
  /** The ATC code of the drug it orders, when it is one. */
  readonly atc?: string;
  /** Its display text, for card wording. */
  readonly label: string;
}

export interface FhirMapOptions {
  /** The instant of the evaluation: age and days since stopping are computed at it. */
  readonly asOf: Date;
  /** Draft MedicationRequests (order-select): mapped to requested agents or active drugs. */
  readonly draftOrders?: readonly unknown[];
}

export type FhirMapping =
  | {
      readonly ok: true;
      readonly body: NativeBody;
      readonly pointers: PointerMap;
      readonly drafts: readonly DraftMapping[];
    }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** The medication placeholder for a code the catalog cannot resolve (so DATA-MED-UNKNOWN applies). */
export const UNMAPPED_MEDICATION = 'unmapped FHIR medication';

interface Located {
  readonly resource: Json;
  readonly type: string;
  /** `Type/id`, or the entry's path when the resource has no id. */
  readonly ref: string;
}

/** Every resource of a Bundle, an array of resources or Bundles, or one resource. */
export function collectResources(input: unknown): Located[] {
  const out: Located[] = [];
  const visit = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, `${path}${String(i)}/`);
      });
      return;
    }
    const r = obj(value);
    const type = str(r?.resourceType);
    if (!r || type === undefined) return;
    if (type === 'Bundle') {
      arr(r.entry).forEach((e, i) => {
        visit(obj(e)?.resource, `${path}Bundle/entry/${String(i)}/resource/`);
      });
      return;
    }
    const id = str(r.id);
    out.push({ resource: r, type, ref: id === undefined ? `${path}${type}` : `${type}/${id}` });
  };
  visit(input, '');
  return out;
}

/** Is this input something the mapper reads (a Bundle, a resource or a list of them)? */
export function isFhirInput(input: unknown): boolean {
  if (Array.isArray(input)) return input.every((r) => str(obj(r)?.resourceType) !== undefined);
  return str(obj(input)?.resourceType) !== undefined;
}

export function mapFhir(catalog: Catalog, input: unknown, options: FhirMapOptions): FhirMapping {
  if (!isFhirInput(input))
    return {
      ok: false,
      errors: [
        {
          pointer: '',
          code: 'not-fhir',
          message: 'must be a FHIR R4 Bundle, resource, or array of resources',
        },
      ],
    };
  const resources = collectResources(input);
  const mapper = new Mapper(catalog, codeIndex(catalog), resources, options.asOf);
  return mapper.run(options.draftOrders ?? []);
}

interface Score {
  readonly value: number;
  readonly at: number;
  readonly where: string;
  /** The resource (or questionnaire item) the score came from. */
  readonly ref?: string;
  /** The element that dates it (effectiveDateTime, authored). */
  readonly dateWhere?: string;
}

const SPECIMEN_BY_SNOMED: ReadonlyMap<string, NativeBiomarker['specimen']> = new Map([
  ['122575003', 'urine'],
  ['119297000', 'blood'],
  ['119364003', 'serum'],
  ['119361006', 'plasma'],
  ['119342007', 'saliva'],
]);

const SKIPPED_OBSERVATION = new Set(['entered-in-error', 'cancelled']);

class Mapper {
  private readonly pointers = new PointerMap();
  private readonly errors: FieldError[] = [];
  private readonly byRef = new Map<string, Located>();

  constructor(
    private readonly catalog: Catalog,
    private readonly index: CodeIndex,
    private readonly resources: readonly Located[],
    private readonly asOf: Date,
  ) {
    for (const r of resources) this.byRef.set(r.ref, r);
  }

  run(draftOrders: readonly unknown[]): FhirMapping {
    const body: NativeBody = {
      asOf: this.asOf.toISOString(),
      patient: {},
      medications: { attested: false },
    };
    this.patient(body);
    this.observations(body);
    this.questionnaires(body);
    this.symptoms(body);
    this.conditions(body);
    this.medications(body);
    const drafts = this.drafts(body, collectResources(draftOrders));
    if (this.errors.length > 0) return { ok: false, errors: this.errors };
    return { ok: true, body, pointers: this.pointers, drafts };
  }

  private of(type: string): Located[] {
    return this.resources.filter((r) => r.type === type);
  }

  private patient(body: NativeBody): void {
    const patient = this.of('Patient')[0];
    const ref = patient?.ref ?? 'Patient';
    this.pointers.set('', 'Bundle');
    this.pointers.set('/patient', ref);
    this.pointers.set('/patient/age', `${ref}/birthDate`);
    this.pointers.set('/patient/sex', `${ref}/gender`);
    this.pointers.set(
      '/patient/pregnancy',
      `Observation?code=${SYSTEM.loinc}|${LOINC.pregnancyStatus}`,
    );
    if (!patient) return;
    const age = ageAt(str(patient.resource.birthDate), this.asOf);
    if (age !== undefined) body.patient.age = age;
    const gender = str(patient.resource.gender);
    if (gender === 'female' || gender === 'male' || gender === 'other' || gender === 'unknown')
      body.patient.sex = gender;
  }

  private observations(body: NativeBody): void {
    const biomarkers: {
      b: NativeBiomarker;
      at: number;
      ref: string;
      ptr: Record<string, string>;
    }[] = [];
    const vitals: Record<string, Score> = {};
    let pregnancy:
      | { value: NonNullable<NativeBody['patient']['pregnancy']>; at: number; where: string }
      | undefined;
    let lactating: { value: boolean; at: number } | undefined;
    for (const { resource: o, ref } of this.of('Observation')) {
      if (SKIPPED_OBSERVATION.has(str(o.status) ?? '')) continue;
      const at = effective(o)?.getTime() ?? 0;
      const code = codings(o.code).codings;
      const keys = code.map((c) => `${c.system ?? ''}|${c.code ?? ''}`);
      if (hasCode(o.code, SYSTEM.loinc, LOINC.pregnancyStatus)) {
        const value =
          keys.length > 0 ? answerOf(o.valueCodeableConcept, PREGNANCY_ANSWERS) : undefined;
        if (value !== undefined && (pregnancy === undefined || at >= pregnancy.at))
          pregnancy = { value, at, where: `${ref}/valueCodeableConcept` };
        continue;
      }
      if (hasCode(o.code, SYSTEM.loinc, LOINC.breastfeedingStatus)) {
        const c = codings(o.valueCodeableConcept).codings.map(
          (x) => `${x.system ?? ''}|${x.code ?? ''}`,
        );
        const value = c.some((k) => LACTATING_CODES.has(k))
          ? true
          : c.some((k) => NOT_LACTATING_CODES.has(k))
            ? false
            : typeof o.valueBoolean === 'boolean'
              ? o.valueBoolean
              : undefined;
        if (value !== undefined && (lactating === undefined || at >= lactating.at))
          lactating = { value, at };
        continue;
      }
      this.vitalsOf(o, ref, at, vitals);
      const analyte = keys.map((k) => this.index.analyteByCode.get(k)).find((a) => a !== undefined);
      if (analyte === undefined) continue;
      const q = obj(o.valueQuantity);
      const value = num(q?.value);
      if (value === undefined) continue;
      const ptr: Record<string, string> = {
        '': ref,
        '/analyte': `${ref}/code`,
        '/value': `${ref}/valueQuantity/value`,
        '/collectedAt': `${ref}/effectiveDateTime`,
        '/specimen': `${ref}/specimen`,
      };
      const b: NativeBiomarker = { analyte, value };
      const ucum = str(q?.system) === SYSTEM.ucum ? str(q?.code) : undefined;
      const unit = ucum ?? str(q?.unit);
      if (unit !== undefined) b.unit = unit;
      ptr['/unit'] = `${ref}/valueQuantity/${ucum !== undefined ? 'code' : 'unit'}`;
      const range = obj(arr(o.referenceRange)[0]);
      ptr['/referenceRange'] = range ? `${ref}/referenceRange/0` : `${ref}/referenceRange`;
      if (range) {
        const low = obj(range.low);
        const high = obj(range.high);
        const rr: NonNullable<NativeBiomarker['referenceRange']> = {};
        const lowValue = num(low?.value);
        const highValue = num(high?.value);
        if (lowValue !== undefined) rr.low = lowValue;
        if (highValue !== undefined) rr.high = highValue;
        const side = highValue !== undefined ? high : low;
        const sideName = highValue !== undefined ? 'high' : 'low';
        const sideUcum = str(side?.system) === SYSTEM.ucum ? str(side?.code) : undefined;
        const rangeUnit = sideUcum ?? str(side?.unit);
        if (rangeUnit !== undefined) rr.unit = rangeUnit;
        ptr['/referenceRange/unit'] =
          `${ref}/referenceRange/0/${sideName}/${sideUcum !== undefined ? 'code' : 'unit'}`;
        if (rr.low !== undefined || rr.high !== undefined) b.referenceRange = rr;
      }
      const when = effective(o);
      if (when) b.collectedAt = when.toISOString();
      const specimen = this.specimenOf(o);
      if (specimen !== undefined) b.specimen = specimen;
      biomarkers.push({ b, at, ref, ptr });
    }
    // Oldest first, for stable pointers; which result counts is the fact layer's (most recent by
    // collectedAt; undated duplicates are ambiguous).
    biomarkers.sort((x, y) => x.at - y.at);
    if (biomarkers.length > 0) {
      body.biomarkers = biomarkers.map((x) => x.b);
      biomarkers.forEach((x, i) => {
        for (const [suffix, where] of Object.entries(x.ptr))
          this.pointers.set(`/biomarkers/${String(i)}${suffix}`, where);
      });
    }
    const v: NonNullable<NativeBody['vitals']> = {};
    const t = vitals.temperatureC;
    if (t) v.temperatureC = Math.round(t.value * 10) / 10;
    for (const name of ['heartRate', 'systolic', 'diastolic'] as const) {
      const s = vitals[name];
      if (s) v[name] = Math.round(s.value);
    }
    for (const [name, s] of Object.entries(vitals)) this.pointers.set(`/vitals/${name}`, s.where);
    if (Object.keys(v).length > 0) body.vitals = v;
    if (pregnancy) {
      body.patient.pregnancy = pregnancy.value;
      this.pointers.set('/patient/pregnancy', pregnancy.where);
    }
    if (lactating) body.patient.lactating = lactating.value;
  }

  private vitalsOf(o: Json, ref: string, at: number, vitals: Record<string, Score>): void {
    const put = (name: string, value: number | undefined, where: string): void => {
      if (value === undefined) return;
      const prev = vitals[name];
      if (prev === undefined || at >= prev.at) vitals[name] = { value, at, where };
    };
    const quantity = (q: unknown): number | undefined => num(obj(q)?.value);
    if (hasCode(o.code, SYSTEM.loinc, LOINC.bodyTemperature)) {
      const q = obj(o.valueQuantity);
      const value = num(q?.value);
      const unit = str(q?.code) ?? str(q?.unit);
      const c =
        value === undefined
          ? undefined
          : unit === '[degF]' || unit === '°F'
            ? ((value - 32) * 5) / 9
            : value;
      put('temperatureC', c, `${ref}/valueQuantity/value`);
    }
    if (hasCode(o.code, SYSTEM.loinc, LOINC.heartRate))
      put('heartRate', quantity(o.valueQuantity), `${ref}/valueQuantity/value`);
    if (hasCode(o.code, SYSTEM.loinc, LOINC.systolic))
      put('systolic', quantity(o.valueQuantity), `${ref}/valueQuantity/value`);
    if (hasCode(o.code, SYSTEM.loinc, LOINC.diastolic))
      put('diastolic', quantity(o.valueQuantity), `${ref}/valueQuantity/value`);
    arr(o.component).forEach((raw, i) => {
      const c = obj(raw);
      if (!c) return;
      const where = `${ref}/component/${String(i)}/valueQuantity/value`;
      if (hasCode(c.code, SYSTEM.loinc, LOINC.systolic))
        put('systolic', quantity(c.valueQuantity), where);
      if (hasCode(c.code, SYSTEM.loinc, LOINC.diastolic))
        put('diastolic', quantity(c.valueQuantity), where);
    });
  }

  private specimenOf(o: Json): NativeBiomarker['specimen'] {
    const ref = str(obj(o.specimen)?.reference);
    const specimen = ref === undefined ? undefined : this.byRef.get(ref);
    if (!specimen) return undefined;
    for (const c of codings(specimen.resource.type).codings) {
      if (c.system === SYSTEM.snomed && c.code !== undefined) {
        const s = SPECIMEN_BY_SNOMED.get(c.code);
        if (s !== undefined) return s;
      }
    }
    return undefined;
  }

  private questionnaires(body: NativeBody): void {
    // instrument → item (0 = total) → latest score
    const scores = new Map<string, Map<number, Score>>();
    const put = (
      code: QuestionnaireCode,
      value: number,
      at: number,
      where: string,
      ref: string,
      dateWhere: string,
    ): void => {
      const m = scores.get(code.instrument) ?? new Map<number, Score>();
      const prev = m.get(code.item);
      if (prev === undefined || at >= prev.at)
        m.set(code.item, { value, at, where, ref, dateWhere });
      scores.set(code.instrument, m);
    };
    for (const { resource: o, ref } of this.of('Observation')) {
      if (SKIPPED_OBSERVATION.has(str(o.status) ?? '')) continue;
      const code = this.questionnaireCode(o.code);
      if (!code) continue;
      const scored = scoreOf(o);
      if (scored)
        put(
          code,
          scored.value,
          effective(o)?.getTime() ?? 0,
          `${ref}/${scored.field}`,
          ref,
          `${ref}/effectiveDateTime`,
        );
    }
    for (const { resource: qr, ref } of this.of('QuestionnaireResponse')) {
      if (str(qr.status) === 'entered-in-error') continue;
      const at = fhirDate(qr.authored)?.getTime() ?? 0;
      const walk = (items: unknown, path: string): void => {
        arr(items).forEach((raw, i) => {
          const item = obj(raw);
          if (!item) return;
          const here = `${path}/item/${String(i)}`;
          const code =
            arr(item.code)
              .map((c) => this.questionnaireCode({ coding: [c] }))
              .find((c) => c !== undefined) ?? this.linkIdCode(str(item.linkId));
          const answer = obj(arr(item.answer)[0]);
          if (code && answer) {
            const scored = scoreOf(answer);
            if (scored)
              put(
                code,
                scored.value,
                at,
                `${here}/answer/0/${scored.field}`,
                here,
                `${ref}/authored`,
              );
          }
          walk(item.item, here);
        });
      };
      walk(qr.item, ref);
    }
    this.regroupShortForms(scores);
    const out: NonNullable<NativeBody['questionnaires']> = [];
    for (const [instrument, m] of scores) {
      const def = this.catalog.questionnaires.get(instrument);
      if (!def) continue;
      const j = String(out.length);
      const total = m.get(0);
      const items: number[] = [];
      const itemWhere: string[] = [];
      for (let k = 1; k <= def.itemCount; k++) {
        const s = m.get(k);
        if (s === undefined) break;
        items.push(s.value);
        itemWhere.push(s.where);
      }
      const someItems = [...m.keys()].some((k) => k > 0);
      const first = total ?? [...m.values()][0];
      if (first?.ref !== undefined) this.pointers.set(`/questionnaires/${j}`, first.ref);
      // A questionnaire is as old as its oldest dated answer (fail closed for staleness).
      const dated = (used: readonly (Score | undefined)[]): Score | undefined =>
        used
          .filter((s): s is Score => s !== undefined && s.at > 0)
          .reduce<Score | undefined>(
            (old, s) => (old === undefined || s.at < old.at ? s : old),
            undefined,
          );
      const dateOf = (q: (typeof out)[number], oldest: Score | undefined): typeof q => {
        if (oldest === undefined) return q;
        if (oldest.dateWhere !== undefined)
          this.pointers.set(`/questionnaires/${j}/completedAt`, oldest.dateWhere);
        return { ...q, completedAt: new Date(oldest.at).toISOString() };
      };
      if (items.length === def.itemCount) {
        out.push(
          dateOf(
            { instrument, items },
            dated([...Array(def.itemCount).keys()].map((k) => m.get(k + 1))),
          ),
        );
        itemWhere.forEach((w, k) => {
          this.pointers.set(`/questionnaires/${j}/items/${String(k)}`, w);
        });
        if (total) this.pointers.set(`/questionnaires/${j}/total`, total.where);
        continue;
      }
      if (someItems) {
        // Some items without the others (PHQ-9 item 9 recorded on its own, say): the known ones
        // go as answers; the others stay unknown, and no total is made up from them.
        const known = [...m.entries()]
          .filter(([k]) => k > 0 && k <= def.itemCount)
          .sort(([a], [b]) => a - b);
        out.push(
          dateOf(
            {
              instrument,
              answers: known.map(([item, s]) => ({ item, value: s.value })),
              ...(total ? { total: total.value } : {}),
            },
            dated([...known.map(([, s]) => s), total]),
          ),
        );
        known.forEach(([, s], k) => {
          if (s.ref !== undefined)
            this.pointers.set(`/questionnaires/${j}/answers/${String(k)}`, s.ref);
          this.pointers.set(`/questionnaires/${j}/answers/${String(k)}/value`, s.where);
        });
        if (total) this.pointers.set(`/questionnaires/${j}/total`, total.where);
        continue;
      }
      if (total) {
        out.push(dateOf({ instrument, total: total.value }, dated([total])));
        this.pointers.set(`/questionnaires/${j}/total`, total.where);
        if (total.ref !== undefined)
          this.pointers.set(`/questionnaires/${j}/items`, `${total.ref}/hasMember`);
      }
    }
    if (out.length > 0) body.questionnaires = out;
  }

  /**
   * Symptom severities: Observations coded in the service's symptom code system (code = catalog
   * symptom id) with an integer value 0-3; the latest per symptom counts. A value that is not a
   * severity goes through as it is, so the request validator refuses it with its FHIR location.
   */
  private symptoms(body: NativeBody): void {
    const latest = new Map<string, Score>();
    for (const { resource: o, ref } of this.of('Observation')) {
      if (SKIPPED_OBSERVATION.has(str(o.status) ?? '')) continue;
      const id = codings(o.code).codings.find(
        (c) =>
          c.system === SYSTEM.symptom && c.code !== undefined && this.catalog.symptoms.has(c.code),
      )?.code;
      if (id === undefined) continue;
      const scored = scoreOf(o);
      if (!scored) continue;
      const at = effective(o)?.getTime() ?? 0;
      const prev = latest.get(id);
      if (prev === undefined || at >= prev.at)
        latest.set(id, { value: scored.value, at, where: `${ref}/${scored.field}`, ref });
    }
    if (latest.size === 0) return;
    body.symptoms = [...latest].map(([id, s]) => ({ id, severity: s.value }));
    [...latest.values()].forEach((s, k) => {
      if (s.ref !== undefined) this.pointers.set(`/symptoms/${String(k)}`, s.ref);
      this.pointers.set(`/symptoms/${String(k)}/severity`, s.where);
    });
  }

  /**
   * Items shared by a short form and its long form (PHQ-2 items are PHQ-9 items 1-2) are read as
   * the long form; with no long-form total and exactly the short form's items, they are the
   * short form's.
   */
  private regroupShortForms(scores: Map<string, Map<number, Score>>): void {
    for (const [instrument, m] of [...scores]) {
      if (m.has(0)) continue;
      const long = this.catalog.questionnaires.get(instrument);
      const present = [...m.keys()].sort((a, b) => a - b);
      for (const short of this.catalog.questionnaires.values()) {
        if (short.id === instrument || short.itemCount !== present.length) continue;
        const shared = (short.itemLoinc ?? []).every((code, k) => long?.itemLoinc?.[k] === code);
        const exact = present.every((k, i) => k === i + 1);
        if (!shared || !exact || (short.itemLoinc ?? []).length !== short.itemCount) continue;
        const target = scores.get(short.id) ?? new Map<number, Score>();
        for (const [k, v] of m) if (!target.has(k)) target.set(k, v);
        scores.set(short.id, target);
        scores.delete(instrument);
        break;
      }
    }
  }

  private questionnaireCode(concept: unknown): QuestionnaireCode | undefined {
    for (const c of codings(concept).codings) {
      const code = this.index.questionnaireByCode.get(`${c.system ?? ''}|${c.code ?? ''}`);
      if (code) return code;
    }
    return undefined;
  }

  private linkIdCode(linkId: string | undefined): QuestionnaireCode | undefined {
    if (linkId === undefined) return undefined;
    return this.index.questionnaireByCode.get(`${SYSTEM.loinc}|${linkId.replace(/^\//, '')}`);
  }

  private conditions(body: NativeBody): void {
    const out: NonNullable<NativeBody['conditions']> = [];
    for (const { resource: c, ref } of this.of('Condition')) {
      const verification = codings(c.verificationStatus).codings.map((x) => x.code);
      if (verification.includes('refuted') || verification.includes('entered-in-error')) continue;
      const clinical = codings(c.clinicalStatus).codings.map((x) => x.code);
      const current =
        clinical.length === 0 ||
        clinical.some((x) => x === 'active' || x === 'recurrence' || x === 'relapse');
      const code = codings(c.code).codings;
      const keys = code.map((x) => `${x.system ?? ''}|${x.code ?? ''}`);
      if (current && keys.some((k) => PREGNANT_CONDITIONS.has(k))) {
        body.patient.pregnancy = 'pregnant';
        this.pointers.set('/patient/pregnancy', `${ref}/code`);
      }
      if (current && keys.some((k) => LACTATING_CODES.has(k))) body.patient.lactating = true;
      // History counts (past psychosis, past liver injury): resolved conditions are kept.
      const mapped = new Set<string>();
      const before = out.length;
      let unmappedSnomed: string | undefined;
      for (const x of code) {
        if (x.code === undefined) continue;
        if (
          (x.system === SYSTEM.icd10cm || x.system === SYSTEM.icd10) &&
          /^[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{1,4})?$/.test(x.code)
        ) {
          if (mapped.has(`icd10|${x.code}`)) continue;
          mapped.add(`icd10|${x.code}`);
          this.pointers.set(`/conditions/${String(out.length)}`, `${ref}/code`);
          this.pointers.set(`/conditions/${String(out.length)}/icd10`, `${ref}/code`);
          out.push({ icd10: x.code });
        } else if (x.system === SYSTEM.snomed) {
          const id = this.index.conditionBySnomed.get(x.code);
          if (id === undefined) unmappedSnomed ??= x.code;
          if (id === undefined || mapped.has(id)) continue;
          mapped.add(id);
          this.pointers.set(`/conditions/${String(out.length)}`, `${ref}/code`);
          out.push({ id });
        }
      }
      // A SNOMED CT code the catalog cannot map, on a Condition nothing else mapped, goes on as
      // itself, so the engine reports DATA-CONDITION-UNKNOWN instead of dropping it.
      if (
        out.length === before &&
        unmappedSnomed !== undefined &&
        /^[1-9][0-9]{5,17}$/.test(unmappedSnomed)
      ) {
        this.pointers.set(`/conditions/${String(out.length)}`, `${ref}/code`);
        this.pointers.set(`/conditions/${String(out.length)}/snomed`, `${ref}/code`);
        out.push({ snomed: unmappedSnomed });
      }
    }
    if (out.length > 0) body.conditions = out;
  }

  /** ATC code or supplement id of a medication concept (or a Medication it references). */
  private medicationOf(r: Json): {
    concept: unknown;
    field: string;
    atc?: string;
    intervention?: string;
    label: string;
  } {
    let concept: unknown = r.medicationCodeableConcept;
    let field = 'medicationCodeableConcept';
    const reference = str(obj(r.medicationReference)?.reference);
    if (concept === undefined && reference !== undefined) {
      field = 'medicationReference';
      const contained = reference.startsWith('#')
        ? arr(r.contained)
            .map(obj)
            .find((c) => c !== undefined && str(c.id) === reference.slice(1))
        : this.byRef.get(reference)?.resource;
      concept = contained?.code;
    }
    const { codings: list, text } = codings(concept);
    const label = text ?? list.find((c) => c.display !== undefined)?.display ?? 'medication';
    let atc: string | undefined;
    let intervention: string | undefined;
    for (const c of list) {
      if (c.code === undefined) continue;
      if (c.system === SYSTEM.intervention && this.catalog.interventions.has(c.code))
        intervention = c.code;
      if (
        c.system === SYSTEM.atc &&
        /^[A-Za-z][0-9]{2}([A-Za-z]([A-Za-z]([0-9]{2})?)?)?$/.test(c.code)
      )
        atc ??= c.code.toUpperCase();
      if (c.system === SYSTEM.rxnorm) atc ??= this.index.atcByRxnorm.get(c.code);
    }
    if (atc === undefined && intervention === undefined) {
      for (const name of [text, ...list.map((c) => c.display)]) {
        if (name === undefined) continue;
        const key = name.trim().toLowerCase();
        atc ??= this.catalog.drugsByName.get(key)?.atc;
        intervention ??= this.index.interventionByName.get(key);
      }
    }
    if (intervention === undefined && atc !== undefined) {
      const i = this.catalog.interventionByAtc.get(atc);
      if (i?.type === 'supplement') intervention = i.id;
    }
    if (intervention !== undefined && atc === undefined)
      atc = this.catalog.interventions.get(intervention)?.atc;
    return {
      concept,
      field,
      label,
      ...(atc === undefined ? {} : { atc }),
      ...(intervention === undefined ? {} : { intervention }),
    };
  }

  private medications(body: NativeBody): void {
    const items: NonNullable<NativeBody['medications']['items']> = [];
    const supplements = new Set<string>();
    for (const { resource: r, ref, type } of this.resources) {
      if (type !== 'MedicationStatement' && type !== 'MedicationRequest') continue;
      const status = medicationStatus(type, str(r.status));
      if (status === undefined) continue;
      const med = this.medicationOf(r);
      if (status === 'active' && med.intervention !== undefined) {
        if (!supplements.has(med.intervention)) {
          supplements.add(med.intervention);
          this.pointers.set(`/supplements/${String(supplements.size - 1)}`, `${ref}/${med.field}`);
        }
        continue;
      }
      const i = `/medications/items/${String(items.length)}`;
      this.pointers.set(i, ref);
      this.pointers.set(`${i}/name`, `${ref}/${med.field}`);
      this.pointers.set(`${i}/atc`, `${ref}/${med.field}`);
      this.pointers.set(`${i}/status`, `${ref}/status`);
      const item: (typeof items)[number] =
        med.atc !== undefined ? { atc: med.atc, status } : { name: UNMAPPED_MEDICATION, status };
      if (status === 'stopped') {
        const end = stoppedAt(type, r);
        if (end) {
          item.stoppedDaysAgo = Math.max(
            0,
            Math.floor((this.asOf.getTime() - end.date.getTime()) / 86_400_000),
          );
          this.pointers.set(`${i}/stoppedDaysAgo`, `${ref}/${end.field}`);
        }
      }
      items.push(item);
    }
    if (items.length > 0) body.medications.items = items;
    if (supplements.size > 0) body.supplements = [...supplements].map((id) => ({ id }));
    const list = this.of('List').find(
      (l) =>
        hasCode(l.resource.code, SYSTEM.loinc, LOINC.medicationList) &&
        str(l.resource.status) === 'current' &&
        str(l.resource.mode) === 'snapshot',
    );
    body.medications.attested = list !== undefined;
    const missing = `List?code=${SYSTEM.loinc}|${LOINC.medicationList}&status=current`;
    this.pointers.set('/medications', list?.ref ?? missing);
    this.pointers.set('/medications/attested', list ? `${list.ref}/mode` : missing);
  }

  private drafts(body: NativeBody, orders: readonly Located[]): DraftMapping[] {
    const out: DraftMapping[] = [];
    for (const { resource: r, ref, type } of orders) {
      if (type !== 'MedicationRequest') continue;
      const med = this.medicationOf(r);
      const draft: DraftMapping = {
        resourceId: ref,
        label: med.label,
        ...(med.intervention === undefined ? {} : { intervention: med.intervention }),
        ...(med.atc === undefined ? {} : { atc: med.atc }),
      };
      out.push(draft);
      if (med.intervention !== undefined) {
        const requested = (body.requested ??= []);
        if (requested.includes(med.intervention)) continue;
        this.pointers.set(`/requested/${String(requested.length)}`, `${ref}/${med.field}`);
        requested.push(med.intervention);
        continue;
      }
      // A drafted drug counts as taken from now: the same interaction rules decide.
      const items = (body.medications.items ??= []);
      const i = `/medications/items/${String(items.length)}`;
      this.pointers.set(i, ref);
      this.pointers.set(`${i}/name`, `${ref}/${med.field}`);
      items.push(
        med.atc !== undefined
          ? { atc: med.atc, status: 'active' }
          : { name: UNMAPPED_MEDICATION, status: 'active' },
      );
    }
    return out;
  }
}

/** Whole years from a FHIR birthDate to `at`; a partial date takes its latest day (the younger age). */
export function ageAt(birthDate: string | undefined, at: Date): number | undefined {
  if (birthDate === undefined) return undefined;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = m[2] === undefined ? 12 : Number(m[2]);
  const day = m[3] === undefined ? new Date(Date.UTC(year, month, 0)).getUTCDate() : Number(m[3]);
  let age = at.getUTCFullYear() - year;
  const beforeBirthday =
    at.getUTCMonth() + 1 < month || (at.getUTCMonth() + 1 === month && at.getUTCDate() < day);
  if (beforeBirthday) age -= 1;
  return age >= 0 && age <= 130 ? age : undefined;
}

function effective(o: Json): Date | undefined {
  return (
    fhirDate(o.effectiveDateTime) ??
    fhirDate(o.effectiveInstant) ??
    fhirDate(obj(o.effectivePeriod)?.start)
  );
}

function answerOf<T>(concept: unknown, answers: ReadonlyMap<string, T>): T | undefined {
  for (const c of codings(concept).codings) {
    const v = answers.get(`${c.system ?? ''}|${c.code ?? ''}`);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** A questionnaire score from an Observation or an answer: integer, quantity, or coded answer. */
function scoreOf(o: Json): { value: number; field: string } | undefined {
  const integer = num(o.valueInteger);
  if (integer !== undefined) return { value: integer, field: 'valueInteger' };
  const q = num(obj(o.valueQuantity)?.value);
  if (q !== undefined) return { value: q, field: 'valueQuantity/value' };
  const decimal = num(o.valueDecimal);
  if (decimal !== undefined) return { value: decimal, field: 'valueDecimal' };
  for (const [field, concept] of [
    ['valueCoding', { coding: [o.valueCoding] }],
    ['valueCodeableConcept', o.valueCodeableConcept],
  ] as const) {
    for (const c of codings(concept).codings) {
      const v =
        c.system === SYSTEM.loinc && c.code !== undefined ? ITEM_ANSWERS.get(c.code) : undefined;
      if (v !== undefined) return { value: v, field };
    }
  }
  return undefined;
}

function medicationStatus(
  type: string,
  status: string | undefined,
): 'active' | 'stopped' | undefined {
  switch (status) {
    case 'active':
    case 'intended':
    case 'on-hold':
    case 'unknown':
    case undefined:
      return 'active';
    case 'completed':
    case 'stopped':
      return 'stopped';
    case 'draft':
      // A draft MedicationRequest is an order being written, not a drug taken (order-select
      // sends drafts in context.draftOrders).
      return type === 'MedicationRequest' ? undefined : 'active';
    default:
      return undefined; // entered-in-error, not-taken, cancelled
  }
}

function stoppedAt(type: string, r: Json): { date: Date; field: string } | undefined {
  if (type === 'MedicationStatement') {
    const end = fhirDate(obj(r.effectivePeriod)?.end);
    // effectiveDateTime is when the statement holds, not when the drug was stopped: without an
    // end date the drug counts as still in washout.
    return end ? { date: end, field: 'effectivePeriod/end' } : undefined;
  }
  const validity = fhirDate(obj(obj(r.dispenseRequest)?.validityPeriod)?.end);
  if (validity) return { date: validity, field: 'dispenseRequest/validityPeriod/end' };
  const bounds = fhirDate(
    obj(obj(obj(obj(arr(r.dosageInstruction)[0])?.timing)?.repeat)?.boundsPeriod)?.end,
  );
  return bounds
    ? { date: bounds, field: 'dosageInstruction/0/timing/repeat/boundsPeriod/end' }
    : undefined;
}
