import type { Rejection } from '../engine/answer';
import { isFhirInput, mapFhir } from '../fhir/map';
import type { PointerMap } from '../fhir/pointers';
import type { Catalog } from '../rules/catalog';

/** What a kind may need to map a line: the answering ruleset's catalog and the mapping instant. */
export interface KindContext {
  readonly catalog: Catalog;
  /** The instant FHIR input is read at (ages, days since stopping): the evaluation's asOf. */
  readonly asOf: Date;
}

export type KindMapping =
  | {
      readonly ok: true;
      readonly body: unknown;
      /** Where each native pointer came from (a mapped kind): data issues and errors point there. */
      readonly pointers?: PointerMap;
    }
  | { readonly ok: false; readonly rejection: Rejection };

/**
 * What one parsed line is and how it becomes a native evaluation request body. The batch channel
 * asks each kind in order and uses the first that claims the line; a mapped kind (a FHIR R4
 * Bundle) comes ahead of the native one, which claims everything left.
 */
export interface LineKind {
  readonly name: string;
  claims(value: unknown): boolean;
  toEvaluationBody(value: unknown, context: KindContext): KindMapping;
}

/** A native evaluation request (POST /v1/evaluations body), passed through unchanged. */
export const NATIVE_REQUEST: LineKind = {
  name: 'evaluation-request',
  claims: () => true,
  toEvaluationBody: (value) => ({ ok: true, body: value }),
};

/**
 * A FHIR R4 Bundle (or resource, or non-empty array of resources) — what POST /v1/evaluations
 * takes as application/fhir+json — mapped by src/fhir/map.ts exactly as that route maps it.
 */
export const FHIR_BUNDLE: LineKind = {
  name: 'fhir-r4',
  claims: (value) => isFhirInput(value) && !(Array.isArray(value) && value.length === 0),
  toEvaluationBody: (value, context) => {
    const mapped = mapFhir(context.catalog, value, { asOf: context.asOf });
    if (mapped.ok) return { ok: true, body: mapped.body, pointers: mapped.pointers };
    const notFhir = mapped.errors.some((e) => e.code === 'not-fhir');
    return {
      ok: false,
      rejection: {
        code: notFhir ? 'INVALID-REQUEST' : 'INCONSISTENT-REQUEST',
        detail: notFhir
          ? 'Send a FHIR R4 Bundle (or resource) as application/fhir+json.'
          : 'See errors[] for the FHIR element at fault.',
        errors: mapped.errors,
      },
    };
  },
};

export const DEFAULT_KINDS: readonly LineKind[] = [FHIR_BUNDLE, NATIVE_REQUEST];

export function kindOf(value: unknown, kinds: readonly LineKind[]): LineKind {
  return kinds.find((k) => k.claims(value)) ?? NATIVE_REQUEST;
}
