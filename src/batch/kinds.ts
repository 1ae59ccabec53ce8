import type { Rejection } from '../engine/answer';

/**
 * What one parsed line is and how it becomes a native evaluation request body. The batch channel
 * asks each kind in order and uses the first that claims the line; a mapped kind (such as a FHIR
 * R4 Bundle, once src/fhir exists) is added to the list ahead of the native one, which claims
 * everything left.
 */
export interface LineKind {
  readonly name: string;
  claims(value: unknown): boolean;
  toEvaluationBody(
    value: unknown,
  ):
    | { readonly ok: true; readonly body: unknown }
    | { readonly ok: false; readonly rejection: Rejection };
}

/** A native evaluation request (POST /v1/evaluations body), passed through unchanged. */
export const NATIVE_REQUEST: LineKind = {
  name: 'evaluation-request',
  claims: () => true,
  toEvaluationBody: (value) => ({ ok: true, body: value }),
};

export const DEFAULT_KINDS: readonly LineKind[] = [NATIVE_REQUEST];

export function kindOf(value: unknown, kinds: readonly LineKind[]): LineKind {
  return kinds.find((k) => k.claims(value)) ?? NATIVE_REQUEST;
}
