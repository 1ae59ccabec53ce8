import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { checkJsonShape } from './json-depth';
import { ProblemError } from './problems';

/**
 * JSON bodies only (415 otherwise), at most `limit` bytes (413), nested at most `maxDepth`
 * deep and with no repeated key in an object (400, checked on the raw bytes before parsing).
 */
/** The raw body's shape problem (nesting, a repeated key) as the answer it gets, if any. */
export function shapeProblem(raw: Buffer, maxDepth: number): ProblemError | undefined {
  const problem = checkJsonShape(raw, maxDepth);
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
