import type { Catalog } from '../rules/catalog';
import type { MedicationClass } from '../rules/catalog-types';

export type ClassState = 'active' | 'washout';

export interface ResolvedMedication {
  readonly atc: string;
  readonly status: 'active' | 'stopped';
  /** Undefined for a stopped drug with no stoppedDaysAgo: counted as still in washout. */
  readonly stoppedDaysAgo?: number;
}

export function classesOf(catalog: Catalog, atc: string): MedicationClass[] {
  return [...catalog.medicationClasses.values()].filter((c) =>
    c.atcPrefixes.some((p) => atc.startsWith(p)),
  );
}

/**
 * The state of every class any medication belongs to. A stopped drug keeps its classes in washout
 * while stoppedDaysAgo < washout days (drug's own, else the class's); day N of an N-day washout is clear.
 */
export function classStates(
  catalog: Catalog,
  meds: readonly ResolvedMedication[],
): Map<string, ClassState> {
  const states = new Map<string, ClassState>();
  for (const med of meds) {
    for (const cls of classesOf(catalog, med.atc)) {
      if (med.status === 'active') {
        states.set(cls.id, 'active');
        continue;
      }
      const washout = catalog.drugsByAtc.get(med.atc)?.washoutDays ?? cls.washoutDays;
      const inWashout = med.stoppedDaysAgo === undefined || med.stoppedDaysAgo < washout;
      if (inWashout && states.get(cls.id) !== 'active') states.set(cls.id, 'washout');
    }
  }
  return states;
}

/** ATC by code (upper-cased) or by generic/brand name through the catalog. */
export function resolveAtc(
  catalog: Catalog,
  name: string | undefined,
  atc: string | undefined,
): string | undefined {
  if (atc !== undefined) return atc.trim().toUpperCase();
  if (name === undefined) return undefined;
  return catalog.drugsByName.get(name.trim().toLowerCase())?.atc;
}
