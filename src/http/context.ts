import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
  /** The ruleset that answered (an evaluation); other requests log the one being served. */
  rulesetHash?: string;
  /** The evaluation's id, as in its answer. */
  evaluationId?: string;
  /** Who called, as the audit log names them (see Principal.caller); unset when refused. */
  caller?: string;
}

/** The per-request record on `res.locals` (Express keeps an object it finds there). */
export function locals(res: Response | ServerResponse): RequestLocals {
  const r = res as { locals?: unknown };
  r.locals ??= Object.create(null) as RequestLocals;
  return r.locals as RequestLocals;
}

/**
 * Starts a request's context on a plain Node request/response: the request id (taken from
 * X-Request-Id when well-formed), its response header, and one access-log line when the response
 * finishes. Used by Express (`requestContext`) and by the evaluation fast path alike.
 *
 * The access-log line is the audit record: request id, route template, status, duration, who
 * called (`caller`), the evaluation id and the ruleset's hash (the one that answered, else the
 * one being served: `servedHash`). Never a body, path, query or header value.
 */
export function beginRequest(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  now: () => number = () => performance.now(),
  servedHash: () => string | undefined = () => undefined,
): RequestLocals {
  const l = startRequest(logger, req, res, now, servedHash);
  res.setHeader('X-Request-Id', l.requestId);
  return l;
}

/**
 * `beginRequest` without setting the X-Request-Id header: for a caller that writes every header
 * of its answer at once (the evaluation fast path) and sends `requestId` itself.
 */
export function startRequest(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  now: () => number = () => performance.now(),
  servedHash: () => string | undefined = () => undefined,
): RequestLocals {
  const incoming = req.headers['x-request-id'];
  const requestId =
    typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  const l = locals(res);
  l.requestId = requestId;
  const started = now();
  res.on('finish', () => {
    const rulesetHash = l.rulesetHash ?? currentHash(servedHash);
    logger.info('request', {
      requestId,
      method: req.method ?? 'UNKNOWN',
      route: l.route ?? 'unmatched',
      status: res.statusCode,
      durationMs: Math.round((now() - started) * 1000) / 1000,
      ...(l.problemCode === undefined ? {} : { problemCode: l.problemCode }),
      ...(l.firedRules === undefined ? {} : { firedRules: l.firedRules }),
      ...(l.rulesetVersion === undefined ? {} : { rulesetVersion: l.rulesetVersion }),
      ...(l.evaluationId === undefined ? {} : { evaluationId: l.evaluationId }),
      ...(rulesetHash === undefined ? {} : { rulesetHash }),
      ...(l.caller === undefined ? {} : { caller: l.caller }),
    });
  });
  return l;
}

/** The served ruleset's hash; the access log must not throw, even when the store does. */
function currentHash(servedHash: () => string | undefined): string | undefined {
  try {
    return servedHash();
  } catch {
    return undefined;
  }
}

/** Express middleware form of `beginRequest`. */
export function requestContext(
  logger: Logger,
  now: () => number = () => performance.now(),
  servedHash?: () => string | undefined,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    beginRequest(logger, req, res, now, servedHash);
    next();
  };
}
