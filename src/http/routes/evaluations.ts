import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { buildFacts, requestProblems } from '../../facts/build';
import { evaluate } from '../../engine/evaluate';
import type { EvaluationResponse } from '../../engine/response-types';
import { locals } from '../context';
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

function traceMode(query: Request['query']): boolean {
  for (const key of Object.keys(query)) {
    if (key !== 'trace')
      throw new ProblemError('INVALID-QUERY', 'Only the query parameter "trace" is allowed.');
  }
  const trace = query.trace;
  if (trace === undefined || trace === 'hits') return false;
  if (trace === 'full') return true;
  throw new ProblemError('INVALID-QUERY', 'trace must be "hits" (default) or "full".');
}

export function evaluationRoutes(deps: EvaluationRouteDeps): Router {
  const router = Router();
  router.post(
    '/v1/evaluations',
    (_req, res, next) => {
      locals(res).route = '/v1/evaluations';
      next();
    },
    ...jsonBody(deps.bodyLimitBytes, deps.maxJsonDepth),
    async (req: Request, res: Response) => {
      const traceFull = traceMode(req.query);
      const active = deps.store.get();
      if (!active) throw new ProblemError('NOT-READY');
      const checked = active.requests.validate(req.body);
      if (!checked.ok)
        throw new ProblemError(
          'INVALID-REQUEST',
          'See errors[] for the field at fault.',
          checked.errors,
        );
      const { ruleset } = active;
      const problems = requestProblems(ruleset.catalog, checked.request);
      if (problems.length > 0) {
        throw new ProblemError(
          'INCONSISTENT-REQUEST',
          'See errors[] for the fields at fault.',
          problems.map((p) => ({ pointer: p.pointer, code: 'inconsistent', message: p.message })),
        );
      }
      const started = process.hrtime.bigint();
      const model = buildFacts(ruleset.catalog, checked.request);
      const response = await evaluate(ruleset, model, {
        evaluationId: randomUUID(),
        asOf: checked.request.asOf ?? deps.now().toISOString(),
        traceFull,
      });
      deps.onEvaluated?.(response, Number(process.hrtime.bigint() - started) / 1e9);
      const l = locals(res);
      l.firedRules = response.hits.map((h) => h.ruleId);
      l.rulesetVersion = ruleset.manifest.version;
      res.status(200).json(response);
    },
  );
  router.all('/v1/evaluations', () => {
    throw new ProblemError('METHOD-NOT-ALLOWED', 'Use POST.');
  });
  return router;
}
