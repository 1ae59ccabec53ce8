/** Small readers for untrusted FHIR JSON: every access checks the type, nothing throws. */

export type Json = Readonly<Record<string, unknown>>;

export function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

export function arr(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export interface Coding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}

/** The codings of a CodeableConcept, and its text. */
export function codings(concept: unknown): { codings: Coding[]; text?: string } {
  const c = obj(concept);
  const list: Coding[] = [];
  for (const raw of arr(c?.coding)) {
    const coding = obj(raw);
    if (!coding) continue;
    const system = str(coding.system);
    const code = str(coding.code);
    const display = str(coding.display);
    list.push({
      ...(system === undefined ? {} : { system }),
      ...(code === undefined ? {} : { code }),
      ...(display === undefined ? {} : { display }),
    });
  }
  const text = str(c?.text);
  return text === undefined ? { codings: list } : { codings: list, text };
}

/** True when the concept holds `code` in `system`. */
export function hasCode(concept: unknown, system: string, code: string): boolean {
  return codings(concept).codings.some((c) => c.system === system && c.code === code);
}

/** A FHIR date, dateTime or instant as a Date (a partial date takes its earliest instant). */
export function fhirDate(value: unknown): Date | undefined {
  const s = str(value);
  if (s === undefined) return undefined;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(T.*)?$/.exec(s);
  if (!m) return undefined;
  const text = m[4] === undefined ? `${m[1] ?? ''}-${m[2] ?? '01'}-${m[3] ?? '01'}T00:00:00Z` : s;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
