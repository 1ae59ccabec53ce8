import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../lib/logger';

const INCOMING_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface RequestLocals {
  requestId: string;
  /** Route template, e.g. /v1/rules/:id — never the concrete path, which may carry ids. */
  route?: string;
  problemCode?: string;
  firedRules?: readonly string[];
  rulesetVersion?: string;
}

export function locals(res: Response): RequestLocals {
  return res.locals as RequestLocals;
}

/** Request id (taken from X-Request-Id when well-formed) and one access-log line per request. */
export function requestContext(logger: Logger, now: () => number = () => performance.now()) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId =
      incoming !== undefined && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    locals(res).requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = now();
    res.on('finish', () => {
      const l = locals(res);
      logger.info('request', {
        requestId,
        method: req.method,
        route: l.route ?? 'unmatched',
        status: res.statusCode,
        durationMs: Math.round((now() - started) * 1000) / 1000,
        ...(l.problemCode === undefined ? {} : { problemCode: l.problemCode }),
        ...(l.firedRules === undefined ? {} : { firedRules: l.firedRules }),
        ...(l.rulesetVersion === undefined ? {} : { rulesetVersion: l.rulesetVersion }),
      });
    });
    next();
  };
}
