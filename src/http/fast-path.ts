import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger';
import type { V1Admission } from './auth';
import { startRequest } from './context';
import type { RequestLocals } from './context';
import { decodeJsonBody } from './json-body';
import type { Metrics } from './metrics';
import { problemAnswer } from './errors';
import { ProblemError } from './problems';
import { utf8 } from '../lib/utf8';
import { answerEvaluation, EVALUATIONS_ROUTE } from './routes/evaluations';
import type { EvaluationRouteDeps } from './routes/evaluations';

type Middleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

export interface FastPathDeps {
  readonly evaluation: EvaluationRouteDeps;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly admission: V1Admission;
  /** The same security-header middleware the Express app runs (helmet). */
  readonly securityHeaders: Middleware;
}

/** The request lines the fast path answers; any other query goes to Express. */
const URLS: ReadonlyMap<string, boolean> = new Map([
  [EVALUATIONS_ROUTE, false],
  [`${EVALUATIONS_ROUTE}?trace=hits`, false],
  [`${EVALUATIONS_ROUTE}?trace=full`, true],
]);
/** `application/json`, optionally with `charset=utf-8`: what body-parser reads as plain UTF-8. */
const PLAIN_JSON = /^application\/json[ \t]*(?:;[ \t]*charset=(?:utf-8|"utf-8")[ \t]*)?$/i;
const DIGITS = /^[0-9]{1,15}$/;
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/**
 * POST /v1/evaluations without Express. Express's router, request/response decoration and
 * body-parser cost more CPU per request than evaluating the rules (see README, Performance), so
 * the plain case — the exact path, a `trace` query or none, an uncompressed UTF-8 JSON body with
 * a Content-Length within the limit — is answered here, with the same request id, access log,
 * metrics, security headers, credentials check, body checks, handler and problem answers as the
 * Express route. Everything else (chunked or compressed bodies, other charsets, other spellings
 * of the path) goes to Express, whose route is also the reference the fast path is tested against
 * (test/http/fast-path.test.ts). Returns false, having touched nothing, when the request is not
 * one it answers.
 */
export function createFastPath(
  deps: FastPathDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { evaluation, logger, metrics, admission, securityHeaders } = deps;
  const servedHash = (): string | undefined => evaluation.store.get()?.ruleset.hash;

  // Helmet's headers do not depend on the request: recorded once, written with the answer's head.
  const security = recordHeaders(securityHeaders);

  /**
   * Writes the whole head at once: the request id, helmet's headers, then the content headers —
   * the names, values and order the Express route gives. A head passed whole to writeHead skips
   * Node's per-header bookkeeping; headers someone set before (Connection: close while draining,
   * WWW-Authenticate or Retry-After on a refusal) are merged in by Node.
   */
  const head = (
    res: ServerResponse,
    l: RequestLocals,
    status: number,
    type: string,
    length: number,
  ): void => {
    const headers: string[] = ['X-Request-Id', l.requestId, ...security];
    headers.push('Content-Type', type, 'Content-Length', String(length));
    res.writeHead(status, headers);
  };

  const sendProblem = (res: ServerResponse, l: RequestLocals, error: unknown): void => {
    const answer = problemAnswer(error, logger, l, EVALUATIONS_ROUTE);
    const body = Buffer.from(JSON.stringify(answer));
    head(res, l, answer.status, PROBLEM_TYPE, body.length);
    res.end(body);
  };

  const answer = (res: ServerResponse, l: RequestLocals, raw: Buffer, traceFull: boolean): void => {
    try {
      const body = decodeJsonBody(raw, evaluation.maxJsonDepth);
      // Encoded here rather than by the socket: see utf8().
      const json = utf8(JSON.stringify(answerEvaluation(evaluation, body, traceFull, l)));
      head(res, l, 200, JSON_TYPE, json.length);
      res.end(json);
    } catch (error) {
      sendProblem(res, l, error);
    }
  };

  const readBody = (
    req: IncomingMessage,
    res: ServerResponse,
    l: RequestLocals,
    traceFull: boolean,
  ): void => {
    const chunks: Buffer[] = [];
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      answer(
        res,
        l,
        chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks),
        traceFull,
      );
    });
    const incomplete = (): void => {
      if (settled) return;
      settled = true;
      sendProblem(res, l, new ProblemError('BAD-JSON', 'The body was incomplete.'));
    };
    req.on('aborted', incomplete);
    req.on('error', incomplete);
  };

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const traceFull = URLS.get(req.url ?? '');
    if (traceFull === undefined) return false;
    const { headers } = req;
    const type = headers['content-type'];
    const length = headers['content-length'];
    if (
      type === undefined ||
      !PLAIN_JSON.test(type) ||
      length === undefined ||
      !DIGITS.test(length) ||
      Number(length) > evaluation.bodyLimitBytes ||
      headers['transfer-encoding'] !== undefined ||
      headers['content-encoding'] !== undefined
    )
      return false;

    const l = startRequest(logger, req, res, undefined, servedHash);
    l.route = EVALUATIONS_ROUTE;
    metrics.track(req, res);
    const admitted = admission(req, res, EVALUATIONS_ROUTE.slice('/v1'.length));
    if (admitted instanceof Promise) {
      admitted.then(
        (refusal) => {
          if (refusal) sendProblem(res, l, refusal);
          else readBody(req, res, l, traceFull);
        },
        (error: unknown) => {
          sendProblem(res, l, error);
        },
      );
    } else if (admitted) sendProblem(res, l, admitted);
    else readBody(req, res, l, traceFull);
    return true;
  };
}

/**
 * The headers a middleware sets on a response that has none, as a flat [name, value, …] list
 * (what `writeHead` takes), by running it once on a recorder. For helmet with fixed options,
 * whose headers are the same on every response; test/http/fast-path.test.ts compares every
 * header of the fast path's answers with the Express route's.
 */
export function recordHeaders(middleware: Middleware): string[] {
  const set = new Map<string, [string, string]>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      set.set(name.toLowerCase(), [name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      set.delete(name.toLowerCase());
    },
    getHeader(name: string) {
      return set.get(name.toLowerCase())?.[1];
    },
    hasHeader(name: string) {
      return set.has(name.toLowerCase());
    },
  };
  const outcome: { done: boolean; error?: unknown } = { done: false };
  middleware(
    { headers: {}, method: 'GET', url: '/' } as IncomingMessage,
    recorder as unknown as ServerResponse,
    (err) => {
      outcome.done = true;
      outcome.error = err;
    },
  );
  if (!outcome.done || outcome.error !== undefined)
    throw new Error('the header middleware did not finish synchronously without an error');
  return [...set.values()].flat();
}
