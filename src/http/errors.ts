import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../lib/logger';
import { locals } from './context';
import { asProblemError, ProblemError, toProblem } from './problems';

export function sendProblem(res: Response, req: Request, error: ProblemError): void {
  const l = locals(res);
  l.problemCode = error.code;
  const problem = toProblem(error, req.originalUrl.split('?')[0] ?? '/', l.requestId);
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
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
    const problem = asProblemError(error);
    if (problem.code === 'INTERNAL') {
      logger.error('unhandled error', {
        requestId: locals(res).requestId,
        errorName: error instanceof Error ? error.name : typeof error,
      });
    }
    sendProblem(res, req, problem);
  };
}
