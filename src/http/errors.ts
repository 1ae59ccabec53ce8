import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../lib/logger';
import { locals } from './context';
import type { RequestLocals } from './context';
import { asProblemError, ProblemError, toProblem } from './problems';
import type { Problem } from './problems';

/**
 * Any thrown value as the problem answer it gets (unknown errors become INTERNAL and are logged
 * by class name only), recorded on the request's locals for the access log. Shared by the
 * Express error handler and the evaluation fast path.
 */
export function problemAnswer(
  error: unknown,
  logger: Logger,
  l: RequestLocals,
  instance: string,
): Problem {
  const problem = asProblemError(error);
  if (problem.code === 'INTERNAL') {
    logger.error('unhandled error', {
      requestId: l.requestId,
      errorName: error instanceof Error ? error.name : typeof error,
    });
  }
  l.problemCode = problem.code;
  return toProblem(problem, instance, l.requestId);
}

function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

/**
 * 400 BAD-PATH for a path that is not valid percent-encoding (`/v1/rules/%ZZ`, a lone `%`, an
 * escape that is not UTF-8), on every route, before anything decodes it. Nothing after this
 * point can trip over a malformed escape.
 */
export function wellFormedPath(req: Request, _res: Response, next: NextFunction): void {
  try {
    decodeURIComponent(req.path);
  } catch {
    next(new ProblemError('BAD-PATH', 'The path has a malformed percent-escape.'));
    return;
  }
  next();
}

export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new ProblemError('NOT-FOUND', `No resource at ${req.method} ${req.path.slice(0, 200)}.`));
}

/** The edge: every error becomes problem+json; no stack, path or library message leaves. */
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    // body-parser wraps errors thrown in `verify` (e.g. NESTING-TOO-DEEP) and keeps them as-is.
    sendProblem(
      res,
      problemAnswer(error, logger, locals(res), req.originalUrl.split('?')[0] ?? '/'),
    );
  };
}
