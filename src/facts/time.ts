/** Time arithmetic of the fact layer: instants in epoch milliseconds, windows in whole days. */

export const DAY_MS = 86_400_000;

/** An RFC 3339 date-time (schema-validated) as epoch milliseconds. */
export function instantOf(dateTime: string): number {
  return Date.parse(dateTime);
}

/**
 * Whether a result taken at `at` is older than a window of `days` days before `asOf`. Day N of an
 * N-day window is still current: a result exactly N × 24 hours old counts, one millisecond more
 * does not.
 */
export function olderThan(at: number, asOf: number, days: number): boolean {
  return asOf - at > days * DAY_MS;
}

/** Whole days between two instants, rounded down (for messages). */
export function wholeDays(from: number, to: number): number {
  return Math.floor((to - from) / DAY_MS);
}

/**
 * Calendar days from a date (YYYY-MM-DD) to the calendar date of `asOf` as written (its own
 * offset: the clinician's day, not UTC's). Negative when the date is after asOf's date.
 */
export function daysToAsOf(date: string, asOf: string): number {
  return (Date.parse(`${asOf.slice(0, 10)}T00:00:00Z`) - Date.parse(`${date}T00:00:00Z`)) / DAY_MS;
}
