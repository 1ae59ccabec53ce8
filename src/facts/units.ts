import type { Catalog } from '../rules/catalog';
import type { Analyte, MassUnit } from '../rules/catalog-types';
import type { DoseUnit } from './request-types';
import { normaliseUnit } from '../lib/unit-text';

export type UnitProblem = 'DATA-UNIT-MISSING' | 'DATA-UNIT-UNKNOWN' | 'DATA-CREAT-MISSING';

export type Converted =
  | { readonly ok: true; readonly value: number; readonly converted: boolean }
  | { readonly ok: false; readonly problem: UnitProblem };

/**
 * Rounds away binary floating-point noise (4.03 mg/g × 1000 is 4030.0000000000005 µg/g; 2.01 / 0.67
 * is 2.9999999999999996) so that a value on an inclusive limit, or at exactly N × ULN, stays on it
 * whichever unit it was written in. 12 significant figures is far beyond any lab's precision.
 */
export function toSignificant(x: number, digits = 12): number {
  // A shortcut for speed: an integer with at most `digits` digits is its own rounding (−0 is 0).
  if (Number.isInteger(x) && Math.abs(x) < 10 ** digits) return x === 0 ? 0 : x;
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

/**
 * A value in the analyte's canonical unit: value × factor, and for molar creatinine ratios
 * × molarMass / creatinineMolarMass (clinical-reference §1.6).
 */
export function toCanonical(
  catalog: Catalog,
  analyte: Analyte,
  value: number,
  unit: string | undefined,
): Converted {
  if (unit === undefined || unit.trim() === '') return { ok: false, problem: 'DATA-UNIT-MISSING' };
  const family = catalog.unitFamilies.get(analyte.unitFamily);
  if (!family) return { ok: false, problem: 'DATA-UNIT-UNKNOWN' };
  const key = normaliseUnit(unit);
  const def = family.units.get(key);
  if (!def) {
    return {
      ok: false,
      problem: family.notNormalised.has(key) ? 'DATA-CREAT-MISSING' : 'DATA-UNIT-UNKNOWN',
    };
  }
  let factor = def.factor;
  if (def.molar === true) {
    const mw = analyte.molarMass;
    const creat = family.family.creatinineMolarMass;
    if (mw === undefined || creat === undefined) return { ok: false, problem: 'DATA-UNIT-UNKNOWN' };
    factor = (factor * mw) / creat;
  }
  const canonicalKey = normaliseUnit(family.family.canonical);
  return {
    ok: true,
    value: toSignificant(value * factor),
    converted: normaliseUnit(def.code) !== canonicalKey && key !== canonicalKey,
  };
}

/**
 * Whether the analyte's results must be ratios to creatinine: its unit family lists the units that
 * lack that basis (concentrations, 24-hour amounts), so a result without a unit shows none.
 */
export function needsCreatinineBasis(catalog: Catalog, analyte: Analyte): boolean {
  return (catalog.unitFamilies.get(analyte.unitFamily)?.notNormalised.size ?? 0) > 0;
}

const MASS_IN_UG: Readonly<Record<MassUnit, number>> = { g: 1e6, mg: 1e3, ug: 1 };

export function doseUnitToMass(unit: DoseUnit): MassUnit {
  switch (unit) {
    case 'g':
      return 'g';
    case 'mg':
      return 'mg';
    case 'ug':
    case 'mcg':
    case 'µg':
    case 'μg':
      return 'ug';
  }
}

export function convertMass(value: number, from: MassUnit, to: MassUnit): number {
  return (value * MASS_IN_UG[from]) / MASS_IN_UG[to];
}
