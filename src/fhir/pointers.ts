/**
 * Where each part of a mapped native request came from in the FHIR input: native JSON pointer
 * (e.g. `/biomarkers/2/unit`) → FHIR location (e.g. `Observation/abc/valueQuantity/code`).
 */
export class PointerMap {
  private readonly entries = new Map<string, string>();

  set(native: string, fhir: string): void {
    this.entries.set(native, fhir);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every mapping, for tests and the answer's provenance. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.entries);
  }

  /**
   * The FHIR location of a native pointer: the longest mapped prefix, with the rest of the
   * pointer appended (`/biomarkers/2/value` with only `/biomarkers/2` mapped gives
   * `Observation/abc/value`). A pointer nothing maps is returned as it is.
   */
  toFhir(native: string): string {
    let pointer = native;
    let rest = '';
    for (;;) {
      const hit = this.entries.get(pointer);
      if (hit !== undefined) return hit + rest;
      const cut = pointer.lastIndexOf('/');
      if (cut <= 0) return native;
      rest = pointer.slice(cut) + rest;
      pointer = pointer.slice(0, cut);
    }
  }
}

/** The same items with every `pointer` rewritten to its FHIR location. */
export function relocate<T extends { readonly pointer: string }>(
  items: readonly T[],
  pointers: PointerMap,
): T[] {
  return items.map((item) => ({ ...item, pointer: pointers.toFhir(item.pointer) }));
}
