import { randomUUID } from 'node:crypto';
import { buildFacts, requestProblems } from '../facts/build';
import type { FactModel } from '../facts/model';
import type { EvaluationRequest } from '../facts/request-types';
import type { FieldError } from '../lib/field-error';
import type { Ruleset } from './ruleset';
import { evaluateSync } from './evaluate';
import { createRequestValidator } from './request-validator';
import type { RequestValidator } from './request-validator';
import type { EvaluationResponse } from './response-types';

/** A checked ruleset ready to answer: the ruleset and its request validator, compiled once. */
export interface ServedRuleset {
  readonly ruleset: Ruleset;
  readonly requests: RequestValidator;
}

export function serveRuleset(ruleset: Ruleset): ServedRuleset {
  return { ruleset, requests: createRequestValidator(ruleset.catalog) };
}

export interface AnswerOptions {
  /** Also report every active rule that did not fire, with the leaf that failed. */
  readonly traceFull: boolean;
  /** The clock for `asOf` when the request gives none. */
  readonly now: () => Date;
  /** Default: a random UUID. */
  readonly evaluationId?: string;
}

/** Why a body was not answered: the problem code every channel maps to its own error shape. */
export interface Rejection {
  readonly code: 'INVALID-REQUEST' | 'INCONSISTENT-REQUEST';
  readonly detail: string;
  readonly errors: readonly FieldError[];
}

export type Answer =
  | {
      readonly ok: true;
      readonly response: EvaluationResponse;
      /** The validated request the answer was built from (for channels that map back). */
      readonly request: EvaluationRequest;
      readonly model: FactModel;
      /** Seconds spent building facts and evaluating (metrics). */
      readonly seconds: number;
    }
  | { readonly ok: false; readonly rejection: Rejection };

/**
 * The one evaluation use case: validate the body against the request schema, check what the
 * schema cannot, build facts from the validated fields only, run the rules and assemble the
 * answer. Every channel (HTTP route, fast path, batch, CDS Hooks, CLI, tests) answers through
 * this function; none re-implements a step of it.
 */
export function answer(served: ServedRuleset, body: unknown, options: AnswerOptions): Answer {
  const checked = served.requests.validate(body);
  if (!checked.ok)
    return {
      ok: false,
      rejection: {
        code: 'INVALID-REQUEST',
        detail: 'See errors[] for the field at fault.',
        errors: checked.errors,
      },
    };
  return answerRequest(served.ruleset, checked.request, options);
}

/** `answer` for a request already validated against the request schema. */
export function answerRequest(
  ruleset: Ruleset,
  request: EvaluationRequest,
  options: AnswerOptions,
): Answer {
  // One instant for the whole answer: results are dated, refused and judged stale against it.
  const asOf = request.asOf ?? options.now().toISOString();
  const problems = requestProblems(ruleset.catalog, request, asOf);
  if (problems.length > 0)
    return {
      ok: false,
      rejection: {
        code: 'INCONSISTENT-REQUEST',
        detail: 'See errors[] for the fields at fault.',
        errors: problems.map((p) => ({
          pointer: p.pointer,
          code: 'inconsistent',
          message: p.message,
        })),
      },
    };
  const started = process.hrtime.bigint();
  const model = buildFacts(ruleset.catalog, request, asOf);
  const response = evaluateSync(ruleset, model, {
    evaluationId: options.evaluationId ?? randomUUID(),
    asOf,
    traceFull: options.traceFull,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ok: true, response, request, model, seconds };
}
