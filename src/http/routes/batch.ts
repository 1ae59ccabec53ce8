import type { IncomingMessage } from 'node:http';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { answerLines } from '../../batch/batch';
import type { LineOutcome } from '../../batch/batch';
import type { ServedRuleset } from '../../engine/answer';
import { writable } from '../../lib/streams';
import { utf8 } from '../../lib/utf8';
import { locals } from '../context';
import { decodeJsonBody } from '../json-body';
import { asProblemError, ProblemError, toProblem } from '../problems';
import type { Problem } from '../problems';
import type { EvaluationRouteDeps } from './evaluations';
import { traceMode } from './evaluations';

export const BATCH_ROUTE = '/v1/evaluations/batch';

/** Answer lines are written at the latest once this many bytes are waiting. */
const WRITE_BYTES = 64 * 1024;

export interface BatchRouteDeps extends EvaluationRouteDeps {
  /** Evaluation lines answered per request at most (the next line gets TOO-MANY-LINES). */
  readonly batchMaxLines: number;
  /** Body bytes per request at most (413 up front by Content-Length, else a problem line). */
  readonly batchMaxBytes: number;
}

/** A problem line's `problem`: problem+json without `instance` and `requestId` (on the headers). */
type LineProblem = Omit<Problem, 'instance' | 'requestId'>;

export type BatchLine =
  | { readonly line: number; readonly answer: unknown }
  | { readonly line: number; readonly problem: LineProblem };

function lineProblem(error: ProblemError): LineProblem {
  // The instance and request id are the batch request's, on its headers, not each line's.
  const { instance: _instance, requestId: _requestId, ...problem } = toProblem(error, '', '');
  return problem;
}

function problemOf(outcome: Exclude<LineOutcome, { kind: 'answer' }>): ProblemError {
  switch (outcome.kind) {
    case 'rejected': {
      const { code, detail, errors } = outcome.rejection;
      return new ProblemError(code, detail, errors);
    }
    case 'unreadable':
      return asProblemError(outcome.error);
    case 'line-too-long':
      return new ProblemError(
        'BODY-TOO-LARGE',
        `A line may be at most ${String(outcome.maxLineBytes)} bytes.`,
      );
    case 'too-many-lines':
      return new ProblemError(
        'TOO-MANY-LINES',
        `A batch may hold at most ${String(outcome.maxLines)} requests; this line and the rest were not read.`,
      );
  }
}

/** One outcome as the NDJSON line the batch route (and `ntcds replay`) writes for it. */
export function batchLine(outcome: LineOutcome): BatchLine {
  return outcome.kind === 'answer'
    ? { line: outcome.line, answer: outcome.response }
    : { line: outcome.line, problem: lineProblem(problemOf(outcome)) };
}

class BatchTooLarge extends Error {
  override readonly name = 'BatchTooLarge';
}

/** The request body as chunks, at most `limit` bytes; not destroyed when the reader stops. */
async function* limitedBody(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const buf = chunk as Buffer;
    seen += buf.length;
    if (seen > limit) throw new BatchTooLarge();
    yield buf;
  }
}

/**
 * Streams one NDJSON line per outcome, in input order, writing the next only when the socket has
 * taken the last (`res.write()` returning false waits for 'drain'): a slow reader holds back the
 * evaluation and the reading of the body, and the server never buffers the whole answer.
 */
async function stream(
  deps: BatchRouteDeps,
  served: ServedRuleset,
  req: Request,
  res: Response,
  traceFull: boolean,
): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  const l = locals(res);
  l.rulesetVersion = served.ruleset.manifest.version;
  let lastLine = 0;
  let stoppedEarly = false;
  // Lines are gathered into one write per turn of the event loop (or per WRITE_BYTES), not one
  // per line: answers still leave as soon as the reader's next line is awaited, and a write the
  // socket does not take holds back the next line's evaluation until it drains. Each line is
  // encoded to UTF-8 as it is made and the turn's lines are copied into one Buffer: joining the
  // strings instead cost ~150 µs per 23 KB answer (Array.prototype.join of large two-byte
  // strings), more than evaluating it — bench/replay.ts measures the route.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  let blocked: Promise<void> | undefined;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0 || res.destroyed) return;
    const bytes = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (!res.write(bytes))
      blocked = writable(res).then(() => {
        blocked = undefined;
      });
  };
  const send = async (out: BatchLine): Promise<boolean> => {
    if (blocked) await blocked;
    if (res.destroyed) return false;
    const bytes = utf8(`${JSON.stringify(out)}\n`);
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= WRITE_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    if (blocked) await blocked;
    return !res.destroyed;
  };
  try {
    const outcomes = answerLines(limitedBody(req, deps.batchMaxBytes), {
      served,
      maxLines: deps.batchMaxLines,
      maxLineBytes: deps.bodyLimitBytes,
      traceFull,
      now: deps.now,
      decode: (bytes) => decodeJsonBody(bytes, deps.maxJsonDepth),
    });
    for await (const outcome of outcomes) {
      lastLine = outcome.line;
      if (outcome.kind === 'answer') deps.onEvaluated?.(outcome.response, outcome.seconds);
      if (outcome.kind === 'too-many-lines') stoppedEarly = true;
      if (!(await send(batchLine(outcome)))) return;
    }
  } catch (error) {
    stoppedEarly = true;
    const problem =
      error instanceof BatchTooLarge
        ? new ProblemError(
            'BODY-TOO-LARGE',
            `A batch may be at most ${String(deps.batchMaxBytes)} bytes; this line and the rest were not read.`,
          )
        : new ProblemError('INTERNAL');
    if (problem.code === 'INTERNAL') l.problemCode = 'INTERNAL';
    await send({ line: lastLine + 1, problem: lineProblem(problem) });
  }
  flush();
  if (blocked) await blocked;
  if (res.destroyed) return;
  res.end();
  // The rest of an unread body is not worth reading: close the connection after this answer.
  if (stoppedEarly)
    res.once('finish', () => {
      req.socket.destroySoon();
    });
}

/** POST /v1/evaluations/batch: NDJSON of evaluation requests in, NDJSON of answers out. */
export function batchRoutes(deps: BatchRouteDeps): Router {
  const router = Router();
  router.post(BATCH_ROUTE, (req: Request, res: Response) => {
    locals(res).route = BATCH_ROUTE;
    const traceFull = traceMode(req.query);
    if (!req.is('application/x-ndjson'))
      throw new ProblemError(
        'UNSUPPORTED-MEDIA-TYPE',
        'Send the body as application/x-ndjson, one evaluation request per line.',
      );
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity')
      throw new ProblemError('UNSUPPORTED-MEDIA-TYPE', 'Send the body uncompressed.');
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > deps.batchMaxBytes)
      throw new ProblemError(
        'BODY-TOO-LARGE',
        `A batch may be at most ${String(deps.batchMaxBytes)} bytes.`,
      );
    const served = deps.store.get();
    if (!served) throw new ProblemError('NOT-READY');
    return stream(deps, served, req, res, traceFull);
  });
  router.all(BATCH_ROUTE, () => {
    throw new ProblemError('METHOD-NOT-ALLOWED', 'Use POST.');
  });
  return router;
}
