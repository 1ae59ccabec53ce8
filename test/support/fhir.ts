import type { Catalog } from '../../src/rules/catalog';
import { LOINC, SYSTEM } from '../../src/fhir/codes';

/**
 * Native evaluation request → FHIR R4 resources, for tests: the inverse of src/fhir for every
 * field FHIR can carry. `undefined` when the request uses something the mapper cannot express
 * (symptoms, lab profiles, doses, postpartum, condition ids without a code, items without item
 * codes, repeated analytes, requested therapies).
 */
export interface FhirPatient {
  /** Patient and clinical data, as a Bundle of type collection. */
  readonly bundle: Record<string, unknown>;
  /** `requested` agents as draft MedicationRequests (for order-select). */
  readonly drafts: Record<string, unknown>[];
}

type Native = Record<string, unknown>;

const rec = (v: unknown): Native => (v ?? {}) as Native;
const list = (v: unknown): Native[] => (Array.isArray(v) ? (v as Native[]) : []);

const SPECIMEN_CODE: Record<string, string> = {
  urine: '122575003',
  blood: '119297000',
  serum: '119364003',
  plasma: '119361006',
  saliva: '119342007',
};

function minusDays(asOf: Date, days: number): string {
  return new Date(asOf.getTime() - days * 86_400_000).toISOString();
}

export function birthDateFor(age: number, asOf: Date): string {
  const y = asOf.getUTCFullYear() - age;
  const m = asOf.getUTCMonth() + 1;
  let d = asOf.getUTCDate();
  if (m === 2 && d === 29) d = 28;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function nativeToFhir(
  catalog: Catalog,
  request: Native,
  asOf: Date,
): FhirPatient | undefined {
  const entries: Native[] = [];
  const add = (resource: Native): void => {
    entries.push({ fullUrl: `urn:uuid:${String(resource.id)}`, resource });
  };
  const patient = rec(request.patient);
  const subject = { reference: 'Patient/p1' };
  add({
    resourceType: 'Patient',
    id: 'p1',
    birthDate: birthDateFor(Number(patient.age), asOf),
    ...(patient.sex === undefined ? {} : { gender: patient.sex }),
  });
  if (patient.pregnancy === 'postpartum') return undefined;
  const pregnancy: Record<string, string> = {
    pregnant: '77386006',
    'not-pregnant': '60001007',
    unknown: '261665006',
  };
  if (typeof patient.pregnancy === 'string')
    add({
      resourceType: 'Observation',
      id: 'preg',
      status: 'final',
      subject,
      code: { coding: [{ system: SYSTEM.loinc, code: LOINC.pregnancyStatus }] },
      valueCodeableConcept: {
        coding: [{ system: SYSTEM.snomed, code: pregnancy[patient.pregnancy] }],
      },
    });
  if (typeof patient.lactating === 'boolean')
    add({
      resourceType: 'Observation',
      id: 'lact',
      status: 'final',
      subject,
      code: { coding: [{ system: SYSTEM.loinc, code: LOINC.breastfeedingStatus }] },
      valueCodeableConcept: {
        coding: [{ system: SYSTEM.snomed, code: patient.lactating ? '169750002' : '373067005' }],
      },
    });

  const seen = new Set<string>();
  for (const [i, b] of list(request.biomarkers).entries()) {
    const analyte = catalog.analytes.get(String(b.analyte));
    if (!analyte || b.lab !== undefined || seen.has(analyte.id)) return undefined;
    seen.add(analyte.id);
    const code =
      analyte.loinc !== undefined
        ? { system: SYSTEM.loinc, code: analyte.loinc }
        : { system: SYSTEM.local, code: analyte.localCode };
    const range = b.referenceRange === undefined ? undefined : rec(b.referenceRange);
    const q = (value: unknown, unit: unknown): Native => ({
      value,
      ...(unit === undefined ? {} : { unit }),
    });
    if (b.specimen !== undefined)
      add({
        resourceType: 'Specimen',
        id: `s${String(i)}`,
        type: { coding: [{ system: SYSTEM.snomed, code: SPECIMEN_CODE[b.specimen as string] }] },
      });
    add({
      resourceType: 'Observation',
      id: `b${String(i)}`,
      status: 'final',
      subject,
      code: { coding: [code] },
      valueQuantity: q(b.value, b.unit),
      ...(b.collectedAt === undefined ? {} : { effectiveDateTime: b.collectedAt }),
      ...(b.specimen === undefined ? {} : { specimen: { reference: `Specimen/s${String(i)}` } }),
      ...(range === undefined
        ? {}
        : {
            referenceRange: [
              {
                ...(range.low === undefined ? {} : { low: q(range.low, range.unit) }),
                ...(range.high === undefined ? {} : { high: q(range.high, range.unit) }),
              },
            ],
          }),
    });
  }

  const symptomIds = list(request.symptoms).map((sy) => String(sy.id));
  // The native request keeps the highest of repeated severities, FHIR the latest: not the same.
  if (new Set(symptomIds).size !== symptomIds.length) return undefined;
  for (const [i, sy] of list(request.symptoms).entries())
    add({
      resourceType: 'Observation',
      id: `sy${String(i)}`,
      status: 'final',
      subject,
      code: { coding: [{ system: SYSTEM.symptom, code: String(sy.id) }] },
      valueInteger: sy.severity,
    });
  for (const [i, qn] of list(request.questionnaires).entries()) {
    const def = catalog.questionnaires.get(String(qn.instrument));
    if (!def) return undefined;
    const totalCode =
      def.loinc !== undefined
        ? { system: SYSTEM.loinc, code: def.loinc }
        : { system: SYSTEM.local, code: def.localCode };
    if (Array.isArray(qn.items)) {
      if (def.itemLoinc?.length !== def.itemCount) return undefined;
      if (qn.items.length !== def.itemCount) return undefined;
      (qn.items as number[]).forEach((v, k) => {
        add({
          resourceType: 'Observation',
          id: `q${String(i)}i${String(k + 1)}`,
          status: 'final',
          subject,
          code: { coding: [{ system: SYSTEM.loinc, code: def.itemLoinc?.[k] }] },
          valueInteger: v,
          ...(qn.completedAt === undefined ? {} : { effectiveDateTime: qn.completedAt }),
        });
      });
    } else {
      const answers = Array.isArray(qn.answers)
        ? (qn.answers as { item: number; value: number }[])
        : [];
      if (typeof qn.total !== 'number' && answers.length === 0) return undefined;
      // Items 1..n alone read as a short form (PHQ-2) in FHIR: not the same request.
      const leading = answers.every((a) => a.item <= answers.length);
      if (typeof qn.total !== 'number' && leading) return undefined;
      if (typeof qn.total === 'number')
        add({
          resourceType: 'Observation',
          id: `q${String(i)}`,
          status: 'final',
          subject,
          code: { coding: [totalCode] },
          valueInteger: qn.total,
          ...(qn.completedAt === undefined ? {} : { effectiveDateTime: qn.completedAt }),
        });
      for (const a of answers) {
        const code = def.itemLoinc?.[a.item - 1];
        if (code === undefined) return undefined;
        add({
          resourceType: 'Observation',
          id: `q${String(i)}a${String(a.item)}`,
          status: 'final',
          subject,
          code: { coding: [{ system: SYSTEM.loinc, code }] },
          valueInteger: a.value,
          ...(qn.completedAt === undefined ? {} : { effectiveDateTime: qn.completedAt }),
        });
      }
    }
  }

  const vitals = rec(request.vitals);
  const vital = (id: string, code: string, value: unknown, unit: string): void => {
    if (value === undefined) return;
    add({
      resourceType: 'Observation',
      id,
      status: 'final',
      subject,
      code: { coding: [{ system: SYSTEM.loinc, code }] },
      valueQuantity: { value, unit, system: SYSTEM.ucum, code: unit },
    });
  };
  vital('temp', LOINC.bodyTemperature, vitals.temperatureC, 'Cel');
  vital('hr', LOINC.heartRate, vitals.heartRate, '/min');
  vital('sbp', LOINC.systolic, vitals.systolic, 'mm[Hg]');
  vital('dbp', LOINC.diastolic, vitals.diastolic, 'mm[Hg]');

  const meds = request.medications === undefined ? undefined : rec(request.medications);
  if (meds?.attested === true)
    add({
      resourceType: 'List',
      id: 'medlist',
      status: 'current',
      mode: 'snapshot',
      subject,
      code: { coding: [{ system: SYSTEM.loinc, code: LOINC.medicationList }] },
      ...(list(meds.items).length === 0
        ? {
            emptyReason: {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason',
                  code: 'nilknown',
                },
              ],
            },
          }
        : {}),
    });
  for (const [i, m] of list(meds?.items).entries()) {
    const atc =
      typeof m.atc === 'string'
        ? m.atc.toUpperCase()
        : catalog.drugsByName.get(String(m.name).trim().toLowerCase())?.atc;
    const drug = atc === undefined ? undefined : catalog.drugsByAtc.get(atc);
    const coding =
      atc === undefined
        ? []
        : drug?.rxnorm?.[0] !== undefined
          ? [{ system: SYSTEM.rxnorm, code: drug.rxnorm[0] }]
          : [{ system: SYSTEM.atc, code: atc }];
    // A supplement's ATC code (5-HTP) would be read as the supplement taken: not the same request.
    if (atc !== undefined && catalog.interventionByAtc.get(atc)?.type === 'supplement') {
      if (m.status === 'active') return undefined;
    }
    add({
      resourceType: 'MedicationStatement',
      id: `m${String(i)}`,
      status: m.status === 'active' ? 'active' : 'stopped',
      subject,
      medicationCodeableConcept: {
        coding,
        text: atc === undefined ? 'an unlisted drug' : (drug?.name ?? atc),
      },
      ...(typeof m.stoppedDaysAgo === 'number'
        ? { effectivePeriod: { end: minusDays(asOf, m.stoppedDaysAgo) } }
        : typeof m.stoppedOn === 'string'
          ? { effectivePeriod: { end: m.stoppedOn } }
          : {}),
    });
  }
  for (const [i, s] of list(request.supplements).entries()) {
    if (s.dose !== undefined) return undefined;
    add({
      resourceType: 'MedicationStatement',
      id: `sup${String(i)}`,
      status: 'active',
      subject,
      medicationCodeableConcept: { coding: [{ system: SYSTEM.intervention, code: s.id }] },
    });
  }
  for (const [i, c] of list(request.conditions).entries()) {
    let coding: Native;
    if (typeof c.icd10 === 'string') coding = { system: SYSTEM.icd10cm, code: c.icd10 };
    else {
      const def = catalog.conditions.get(String(c.id));
      const snomed = def?.snomed?.[0];
      if (snomed === undefined) return undefined;
      coding = { system: SYSTEM.snomed, code: snomed };
    }
    add({ resourceType: 'Condition', id: `c${String(i)}`, subject, code: { coding: [coding] } });
  }
  const drafts: Native[] = [];
  for (const [i, r] of list(
    Array.isArray(request.requested)
      ? (request.requested as unknown[]).map((x) => (typeof x === 'string' ? { id: x } : x))
      : [],
  ).entries()) {
    const def = catalog.interventions.get(String(r.id));
    if (def?.type !== 'supplement' || r.dose !== undefined) return undefined;
    drafts.push({
      resourceType: 'MedicationRequest',
      id: `draft${String(i)}`,
      status: 'draft',
      intent: 'order',
      subject,
      medicationCodeableConcept: {
        coding: [{ system: SYSTEM.intervention, code: def.id, display: def.name }],
        text: def.name,
      },
    });
  }
  return {
    bundle: { resourceType: 'Bundle', type: 'collection', entry: entries },
    drafts,
  };
}
