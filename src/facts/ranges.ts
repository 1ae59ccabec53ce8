import type { Catalog } from '../rules/catalog';
import type { Analyte } from '../rules/catalog-types';
import type { BiomarkerInput } from './request-types';
import { toCanonical } from './units';
import type { UnitProblem } from './units';

export interface CanonicalRange {
  readonly low?: number;
  readonly high?: number;
  readonly source: 'lab-printed' | 'lab-profile';
}

export type RangeResult =
  | { readonly ok: true; readonly range: CanonicalRange }
  | { readonly ok: false; readonly problem: 'DATA-RI-MISSING' | UnitProblem };

/**
 * The lab's printed range wins; otherwise a named lab profile from the catalog; otherwise none
 * (DATA-RI-MISSING). A printed range without its own unit is in the result's unit.
 */
export function resolveRange(
  catalog: Catalog,
  analyte: Analyte,
  input: BiomarkerInput,
): RangeResult {
  const printed = input.referenceRange;
  if (printed && (printed.low !== undefined || printed.high !== undefined)) {
    const unit = printed.unit ?? input.unit;
    const low =
      printed.low === undefined ? undefined : toCanonical(catalog, analyte, printed.low, unit);
    const high =
      printed.high === undefined ? undefined : toCanonical(catalog, analyte, printed.high, unit);
    if (low && !low.ok) return { ok: false, problem: low.problem };
    if (high && !high.ok) return { ok: false, problem: high.problem };
    return { ok: true, range: rangeOf(low?.value, high?.value, 'lab-printed') };
  }
  const profile =
    input.lab === undefined ? undefined : catalog.labs.get(input.lab)?.get(analyte.id);
  if (profile) {
    const low =
      profile.low === undefined
        ? undefined
        : toCanonical(catalog, analyte, profile.low, profile.unit);
    const high =
      profile.high === undefined
        ? undefined
        : toCanonical(catalog, analyte, profile.high, profile.unit);
    if ((low && !low.ok) || (high && !high.ok)) return { ok: false, problem: 'DATA-RI-MISSING' };
    return { ok: true, range: rangeOf(low?.value, high?.value, 'lab-profile') };
  }
  return { ok: false, problem: 'DATA-RI-MISSING' };
}

/** A range with only the limits it has (no closures or spreads: this runs per biomarker). */
function rangeOf(
  low: number | undefined,
  high: number | undefined,
  source: CanonicalRange['source'],
): CanonicalRange {
  if (low === undefined) return high === undefined ? { source } : { high, source };
  return high === undefined ? { low, source } : { low, high, source };
}

/** Limits are inclusive: a value on a limit is normal. */
export function classify(value: number, range: CanonicalRange): 'low' | 'normal' | 'high' {
  if (range.low !== undefined && value < range.low) return 'low';
  if (range.high !== undefined && value > range.high) return 'high';
  return 'normal';
}
