/**
 * Compile-time agreement between the types the code works with and the types generated from the
 * JSON Schemas (src/generated, `npm run types:generate`). Checked by `npm run typecheck` (CI),
 * not by jest: a disagreement is a type error on the line that names it.
 *
 * Direction matters. Input (a request, a regression case): everything the schema admits must be
 * something the code is typed to handle. Output (an answer, a problem): everything the code is
 * typed to produce must be something the schema admits.
 */
import type { EvaluationResponse } from '../../src/engine/response-types';
import type { EvaluationRequest, MedicationInput } from '../../src/facts/request-types';
import type * as GeneratedProblem from '../../src/generated/problem';
import type * as GeneratedCase from '../../src/generated/regression-case';
import type * as GeneratedRequest from '../../src/generated/evaluation-request';
import type * as GeneratedResponse from '../../src/generated/evaluation-response';
import type { Problem } from '../../src/http/problems';
import type { RegressionCase } from '../../src/regression/case';

/** T with every readonly (property or array) made writable, all the way down. */
type Writable<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends readonly (infer U)[]
    ? Writable<U>[]
    : { -readonly [K in keyof T]: Writable<T[K]> };

/** `true` when every From is a To; the `true` annotations below fail to compile otherwise. */
type Assignable<From, To> = [From] extends [To] ? true : false;

export const requestsTheSchemaAdmitsAreTyped: Assignable<
  Omit<GeneratedRequest.EvaluationRequest, 'medications'>,
  Omit<EvaluationRequest, 'medications'>
> = true;

// A medication's "name or atc" is an anyOf of `required` lists, which the generator renders as
// `{name: unknown} | {atc: unknown}` intersected with the properties; the rest is compared.
type GeneratedMedication = NonNullable<
  NonNullable<GeneratedRequest.EvaluationRequest['medications']>['items']
>[number];
export const medicationsTheSchemaAdmitsAreTyped: Assignable<
  Omit<GeneratedMedication, 'name' | 'atc'>,
  Omit<MedicationInput, 'name' | 'atc'>
> = true;
export const medicationListsTheSchemaAdmitsAreTyped: Assignable<
  Omit<NonNullable<GeneratedRequest.EvaluationRequest['medications']>, 'items'>,
  Omit<NonNullable<EvaluationRequest['medications']>, 'items'>
> = true;

/** The loaded case adds where it came from (name, file); the file's own fields must fit. */
export const casesTheSchemaAdmitsAreTyped: Assignable<
  GeneratedCase.RegressionCase,
  Omit<RegressionCase, 'name' | 'file'>
> = true;

export const answersTheCodeBuildsMatchTheSchema: Assignable<
  Writable<EvaluationResponse>,
  GeneratedResponse.EvaluationResponse
> = true;

export const problemsTheCodeBuildsMatchTheSchema: Assignable<
  Writable<Problem>,
  GeneratedProblem.Problem
> = true;
