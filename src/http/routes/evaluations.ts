import { Router } from 'express';
import type { Request, Response } from 'express';
import { answer } from '../../engine/answer';
import type { ServedRuleset } from '../../engine/answer';
import { mapFhir } from '../../fhir/map';
import { relocate } from '../../fhir/pointers';
import type { PointerMap } from '../../fhir/pointers';
import type { EvaluationResponse } from '../../engine/response-types';
import { locals } from '../context';
import type { RequestLocals } from '../context';
import { jsonBody } from '../json-body';
import { ProblemError } from '../problems';
import type { RulesetStore } from '../ruleset-store';

export interface EvaluationRouteDeps {
  readonly store: RulesetStore;
  readonly bodyLimitBytes: number;
  readonly maxJsonDepth: number;
  readonly now: () => Date;
  /** Told of each answered evaluation and its duration (metrics). */
  readonly onEvaluated?: (response: EvaluationResponse, seconds: number) => void;
}

export const EVALUATIONS_ROUTE = '/v1/evaluations';

/** `trace` is the only query parameter: "hits" (default) or "full". */
export function traceMode(query: Readonly<Record<string, unknown>>): boolean {
  for (const key of Object.keys(query)) {
    if (key !== 'trace')
      throw new ProblemError('INVALID-QUERY', 'Only the query parameter "trace" is allowed.');
  }
  const trace = query.trace;
  if (trace === undefined || trace === 'hits') return false;
  if (trace === 'full') return true;
  throw new ProblemError('INVALID-QUERY', 'trace must be "hits" (default) or "full".');
}

/**
 * Answers one parsed evaluation body, or throws the ProblemError that says why not. The one
 * implementation behind POST /v1/evaluations, on the Express route and the fast path alike; the
 * body reaches the engine only through the validated request and the facts built from it.
 */
export function answerEvaluation(
  deps: EvaluationRouteDeps,
  body: unknown,
  traceFull: boolean,
  l: RequestLocals,
): EvaluationResponse {
  const active = deps.store.get();
  if (!active) throw new ProblemError('NOT-READY');
  return respond(deps, active, body, traceFull, l);
}

/** One answer through the use case; with `pointers`, every pointer is rewritten to FHIR. */
function respond(
  deps: EvaluationRouteDeps,
  active: ServedRuleset,
  body: unknown,
  traceFull: boolean,
  l: RequestLocals,
  pointers?: PointerMap,
): EvaluationResponse {
  const answered = answer(active, body, { traceFull, now: deps.now });
  if (!answered.ok) {
    const { code, detail, errors } = answered.rejection;
    throw new ProblemError(code, detail, pointers ? relocate(errors, pointers) : errors);
  }
  const { response } = answered;
  deps.onEvaluated?.(response, answered.seconds);
  l.firedRules = response.hits.map((h) => h.ruleId);
  l.rulesetVersion = active.ruleset.manifest.version;
  l.rulesetHash = active.ruleset.hash;
  l.evaluationId = response.evaluationId;
  return pointers ? { ...response, dataIssues: relocate(response.dataIssues, pointers) } : response;
}

export const FHIR_JSON = 'application/fhir+json';

/**
 * POST /v1/evaluations with a FHIR R4 Bundle (application/fhir+json): the mapper builds the
 * native body, the one use case answers it, and every data issue and error pointer is rewritten
 * to the FHIR resource and element it came from.
 */
export function answerFhirEvaluation(
  deps: EvaluationRouteDeps,
  body: unknown,
  traceFull: boolean,
  l: RequestLocals,
): EvaluationResponse {
  const active = deps.store.get();
  if (!active) throw new ProblemError('NOT-READY');
  const mapped = mapFhir(active.ruleset.catalog, body, { asOf: deps.now() });
  if (!mapped.ok) {
    const notFhir = mapped.errors.some((e) => e.code === 'not-fhir');
    throw new ProblemError(
      notFhir ? 'INVALID-REQUEST' : 'INCONSISTENT-REQUEST',
      notFhir
        ? 'Send a FHIR R4 Bundle (or resource) as application/fhir+json.'
        : 'See errors[] for the FHIR element at fault.',
      mapped.errors,
    );
  }
  return respond(deps, active, mapped.body, traceFull, l, mapped.pointers);
}

/**
 * The Express route. In the service, plain JSON POSTs are answered by the fast path
 * (src/http/fast-path.ts) before Express sees them; this route answers the rest (chunked or
 * compressed bodies, other charsets, odd spellings of the path) and is the reference the fast
 * path is tested against.
 */
export function evaluationRoutes(deps: EvaluationRouteDeps): Router {
  const router = Router();
  router.post(
    EVALUATIONS_ROUTE,
    (_req, res, next) => {
      locals(res).route = EVALUATIONS_ROUTE;
      next();
    },
    ...jsonBody(deps.bodyLimitBytes, deps.maxJsonDepth, ['application/json', FHIR_JSON]),
    (req: Request, res: Response) => {
      const traceFull = traceMode(req.query);
      const answerer = req.is(FHIR_JSON) ? answerFhirEvaluation : answerEvaluation;
      res.status(200).json(answerer(deps, req.body, traceFull, locals(res)));
    },
  );
  return router;
}
