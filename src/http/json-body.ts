import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { checkJsonShape, checkJsonTextShape } from './json-depth';
import type { JsonShapeProblem } from './json-depth';
import { ProblemError } from './problems';

/**
 * JSON bodies only (415 otherwise), at most `limit` bytes (413), nested at most `maxDepth`
 * deep and with no repeated key in an object (400, checked on the raw bytes before parsing).
 */
/** The raw body's shape problem (nesting, a repeated key) as the answer it gets, if any. */
export function shapeProblem(raw: Buffer, maxDepth: number): ProblemError | undefined {
  return problemOf(checkJsonShape(raw, maxDepth), maxDepth);
}

function problemOf(
  problem: JsonShapeProblem | undefined,
  maxDepth: number,
): ProblemError | undefined {
  if (problem === 'too-deep')
    return new ProblemError(
      'NESTING-TOO-DEEP',
      `JSON may nest at most ${String(maxDepth)} levels.`,
    );
  if (problem === 'duplicate-key')
    return new ProblemError('DUPLICATE-KEY', 'An object repeats a key; send each field once.');
  return undefined;
}

export function jsonBody(
  limit: number,
  maxDepth: number,
  types: readonly string[] = ['application/json'],
): RequestHandler[] {
  const requireJson = (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.is([...types])) {
      next(new ProblemError('UNSUPPORTED-MEDIA-TYPE', `Send the body as ${types.join(' or ')}.`));
      return;
    }
    next();
  };
  const parse = express.json({
    limit,
    strict: true,
    type: [...types],
    verify: (_req, _res, buf) => {
      const problem = shapeProblem(buf, maxDepth);
      if (problem) throw problem;
    },
  });
  return [requireJson, parse];
}

/**
 * Raw bytes to a JSON value with the checks and order of body-parser's json() as the single route
 * runs it: verify the raw bytes (nesting, repeated keys), decode as UTF-8 dropping a BOM, parse
 * strictly (an object or array at the top; an empty body is {}). Throws the ProblemError.
 * Shared by the evaluation fast path and the batch route (each NDJSON line is such a body).
 */
export function decodeJsonBody(raw: Buffer, maxDepth: number): unknown {
  let text = raw.toString('utf8');
  // The same check as on the raw bytes (shapeProblem), on the text this decodes anyway: faster.
  const shape = problemOf(checkJsonTextShape(text, maxDepth), maxDepth);
  if (shape) throw shape;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.length === 0 ? {} : parseStrict(text);
}

/** JSON.parse behind body-parser's `strict`: the top level must be an object or an array. */
function parseStrict(text: string): unknown {
  if (!startsLikeContainer(text))
    throw new ProblemError('BAD-JSON', 'The body could not be parsed as JSON.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProblemError('BAD-JSON', 'The body could not be parsed as JSON.');
  }
}

/** The first character after JSON whitespace (space, tab, LF, CR) is `{` or `[`. */
function startsLikeContainer(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return false;
}
