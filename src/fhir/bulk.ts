import { obj, str } from './json';

/**
 * FHIR Bulk Data ($export) files hold one resource per line, one file (or several) per resource
 * type, not grouped by patient. These say which patient a resource belongs to, so a replay can
 * group each patient's resources into one Bundle for the mapper (src/fhir/map.ts).
 */

/** `Patient/abc`, `https://ehr.example/fhir/Patient/abc` or `Patient/abc/_history/2` → `abc`. */
export function patientIdOfReference(reference: string | undefined): string | undefined {
  if (reference === undefined) return undefined;
  const m = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
  return m?.[1];
}

/** The fields through which a patient-compartment resource names its patient, in order. */
const PATIENT_FIELDS = ['subject', 'patient'] as const;

/**
 * The patient a resource belongs to: a Patient's own id, or the patient its `subject` (or
 * `patient`) references. Undefined when it names none (it cannot be grouped).
 */
export function bulkPatientOf(resource: unknown): { patient: boolean; id: string } | undefined {
  const r = obj(resource);
  const type = str(r?.resourceType);
  if (!r || type === undefined) return undefined;
  if (type === 'Patient') {
    const id = str(r.id);
    return id === undefined ? undefined : { patient: true, id };
  }
  for (const field of PATIENT_FIELDS) {
    const id = patientIdOfReference(str(obj(r[field])?.reference));
    if (id !== undefined) return { patient: false, id };
  }
  return undefined;
}
