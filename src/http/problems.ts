import type { FieldError } from '../lib/field-error';

/**
 * The one registry of problem codes the HTTP API answers with (RFC 9457). Codes are stable and
 * never reused; README's error table lists exactly these (a test checks it).
 */
export const PROBLEMS = {
  'BAD-JSON': { status: 400, title: 'The body is not valid JSON' },
  'NESTING-TOO-DEEP': { status: 400, title: 'The body nests deeper than allowed' },
  'DUPLICATE-KEY': { status: 400, title: 'The body repeats a key within one object' },
  'INVALID-REQUEST': { status: 400, title: 'The request does not match its schema' },
  'INVALID-QUERY': { status: 400, title: 'A query parameter is not allowed or has a bad value' },
  'BAD-PATH': { status: 400, title: 'The path is not valid percent-encoding' },
  'BAD-REQUEST': { status: 400, title: 'The request is not valid HTTP' },
  UNAUTHORIZED: { status: 401, title: 'Missing or invalid credentials' },
  FORBIDDEN: { status: 403, title: 'The credentials do not allow this' },
  'NOT-FOUND': { status: 404, title: 'No such resource' },
  'RULE-NOT-FOUND': { status: 404, title: 'No rule with this id in the loaded ruleset' },
  'RULE-PATH-REFUSED': {
    status: 400,
    title: 'Not a rule file path under rules/ (the rule studio reads and writes nothing else)',
  },
  'VERSION-BUMP-NEEDED': {
    status: 409,
    title: 'A rule changed without a version bump; save again with the bump offered',
  },
  'RULE-FILE-REJECTED': {
    status: 422,
    title: 'The edited ruleset does not load; nothing was saved or compared',
  },
  'METHOD-NOT-ALLOWED': { status: 405, title: 'Method not allowed on this resource' },
  'REQUEST-TIMEOUT': { status: 408, title: 'The request did not arrive in time' },
  'BODY-TOO-LARGE': { status: 413, title: 'The body is larger than allowed' },
  'TOO-MANY-LINES': { status: 413, title: 'The batch holds more lines than allowed' },
  'UNSUPPORTED-MEDIA-TYPE': {
    status: 415,
    title: 'The body is not of a media type this route reads',
  },
  'INCONSISTENT-REQUEST': { status: 422, title: 'The request is well-formed but inconsistent' },
  'RULESET-REJECTED': {
    status: 422,
    title: 'The ruleset on disk was rejected; the last good ruleset keeps serving',
  },
  'TOO-MANY-REQUESTS': { status: 429, title: 'Too many requests; retry later' },
  'HEADERS-TOO-LARGE': { status: 431, title: 'The request headers are larger than allowed' },
  'NOT-READY': { status: 503, title: 'No ruleset is loaded yet' },
  'AUTH-UNAVAILABLE': { status: 503, title: 'Credentials cannot be verified right now' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export type { FieldError } from '../lib/field-error';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ProblemCode;
  readonly detail?: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly FieldError[];
}

/** A failure to answer, carrying what a caller needs to fix the request. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly code: ProblemCode;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[] | undefined;

  constructor(code: ProblemCode, detail?: string, errors?: readonly FieldError[]) {
    super(PROBLEMS[code].title);
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }
}

export function problemType(code: ProblemCode): string {
  return `urn:neurotransmitter-cds:problem:${code.toLowerCase()}`;
}

/** The only place a code becomes an HTTP answer. */
export function toProblem(error: ProblemError, instance: string, requestId: string): Problem {
  const def = PROBLEMS[error.code];
  return {
    type: problemType(error.code),
    title: def.title,
    status: def.status,
    code: error.code,
    ...(error.detail === undefined ? {} : { detail: error.detail }),
    instance,
    requestId,
    ...(error.errors === undefined ? {} : { errors: error.errors }),
  };
}

interface BodyParserError {
  type?: unknown;
  status?: unknown;
}

/** Maps any thrown value to a ProblemError; unknown errors become INTERNAL with no detail. */
export function asProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  // A malformed escape that something decoded after the path check (router params, say).
  if (error instanceof URIError)
    return new ProblemError('BAD-PATH', 'The path has a malformed percent-escape.');
  const e = (typeof error === 'object' && error !== null ? error : {}) as BodyParserError;
  switch (e.type) {
    case 'entity.too.large':
      return new ProblemError('BODY-TOO-LARGE');
    case 'entity.parse.failed':
      return new ProblemError('BAD-JSON', 'The body could not be parsed as JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemError('UNSUPPORTED-MEDIA-TYPE', 'Send UTF-8 JSON.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new ProblemError('BAD-JSON', 'The body was incomplete.');
    default:
      return new ProblemError('INTERNAL');
  }
}
