import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { AuthConfig } from '../config';
import { isDevelopmentMode } from '../config';
import { locals } from './context';
import { ProblemError } from './problems';
import { RateLimiter } from './rate-limit';

export type PrincipalKind = 'development' | 'api-key' | 'admin-key' | 'jwt';

/** Who is calling. `id` is an opaque, non-reversible handle (never a key or a subject). */
export interface Principal {
  readonly kind: PrincipalKind;
  readonly id: string;
  readonly admin: boolean;
  /**
   * Who called, as the audit log names them: `key:<the first 16 hex digits of the key's
   * SHA-256>` (the digest an operator configured), `jwt:<the token's sub>`, or `development`.
   */
  readonly caller: string;
}

/** Longest `sub` the audit log keeps; longer ones are cut (a sub is an id, not a document). */
const MAX_LOGGED_SUBJECT = 128;

const MAX_CREDENTIAL_LENGTH = 8192;
const TOKEN_FAULTS: ReadonlySet<string> = new Set([
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares against every digest, in constant time per digest, without stopping early. */
function matchesAny(candidate: Buffer, digests: readonly Buffer[]): boolean {
  let found = false;
  for (const d of digests) found = timingSafeEqual(candidate, d) || found;
  return found;
}

export function principalOf(res: Response): Principal | undefined {
  return (res.locals as { principal?: Principal }).principal;
}

function setPrincipal(res: ServerResponse, principal: Principal): void {
  const l = locals(res);
  (l as { principal?: Principal }).principal = principal;
  l.caller = principal.caller;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The credential a request carries: `X-API-Key: <key>` or `Authorization: Bearer <token>`. */
function credentialOf(req: IncomingMessage): string | undefined | null {
  const apiKey = header(req, 'x-api-key');
  if (apiKey !== undefined) {
    const key = apiKey.trim();
    return key.length > 0 && key.length <= MAX_CREDENTIAL_LENGTH ? key : null;
  }
  const authorization = header(req, 'authorization');
  if (authorization === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(authorization);
  const token = match?.[1];
  return token !== undefined && token.length <= MAX_CREDENTIAL_LENGTH ? token : null;
}

/** `/admin`, `/ADMIN/`, `//admin/x`, `/%61dmin` …: anything routing could take for an admin path. */
export function isAdminPath(pathBelowV1: string): boolean {
  let p = pathBelowV1;
  try {
    p = decodeURIComponent(p);
  } catch {
    // An undecodable path matches no route; judge it as written.
  }
  p = p.replace(/\/+/g, '/').toLowerCase();
  return p === '/admin' || p.startsWith('/admin/');
}

/** The route template a path falls under, among `templates`. */
function routeTemplateOf(path: string, templates: readonly string[]): string | undefined {
  const segments = path.toLowerCase().replace(/\/+$/, '').split('/');
  return templates.find((template) => {
    const t = template.split('/');
    return (
      t.length === segments.length && t.every((s, i) => s.startsWith(':') || s === segments[i])
    );
  });
}

export interface Authenticator {
  /**
   * The principal for a credential, or a ProblemError (401 invalid, 503 issuer unreachable).
   * Synchronous for keys; a promise only when a JWT is checked against the issuer's keys.
   */
  verify(credential: string): Principal | ProblemError | Promise<Principal | ProblemError>;
}

export function createAuthenticator(auth: AuthConfig): Authenticator {
  const apiKeys = auth.apiKeyDigests.map((d) => Buffer.from(d, 'hex'));
  const adminKeys = auth.adminKeyDigests.map((d) => Buffer.from(d, 'hex'));
  const jwt = auth.jwt;
  const jwks =
    jwt === undefined
      ? undefined
      : createRemoteJWKSet(new URL(jwt.jwksUrl), {
          timeoutDuration: 5000,
          cooldownDuration: 30000,
          cacheMaxAge: 10 * 60 * 1000,
        });
  const invalid = (): ProblemError =>
    new ProblemError('UNAUTHORIZED', 'The credential is not valid.');

  const verifyJwt = async (
    token: string,
    issuer: NonNullable<AuthConfig['jwt']>,
    keys: NonNullable<typeof jwks>,
  ): Promise<Principal | ProblemError> => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: [...issuer.algorithms],
        clockTolerance: issuer.clockToleranceSec,
        requiredClaims: ['exp', 'sub'],
      });
      const subject = createHash('sha256')
        .update(`${payload.iss ?? ''}\u0000${payload.sub ?? ''}`)
        .digest('hex')
        .slice(0, 16);
      const sub = (payload.sub ?? '').slice(0, MAX_LOGGED_SUBJECT);
      return { kind: 'jwt', id: `jwt:${subject}`, admin: false, caller: `jwt:${sub}` };
    } catch (error) {
      // The token's fault → 401. The issuer's keys unreachable or unusable → 503. Matched by
      // jose's stable error codes (instanceof is unreliable across module realms).
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && TOKEN_FAULTS.has(code)) return invalid();
      return new ProblemError('AUTH-UNAVAILABLE', 'Tokens cannot be verified right now.');
    }
  };

  return {
    verify(credential) {
      const digest = sha256(credential);
      const handle = digest.toString('hex').slice(0, 16);
      const caller = `key:${handle}`;
      if (matchesAny(digest, adminKeys))
        return { kind: 'admin-key', id: `key:${handle}`, admin: true, caller };
      if (matchesAny(digest, apiKeys))
        return { kind: 'api-key', id: `key:${handle}`, admin: false, caller };
      if (jwt === undefined || jwks === undefined || !JWT_SHAPE.test(credential)) return invalid();
      return verifyJwt(credential, jwt, jwks);
    },
  };
}

export interface GuardOptions {
  readonly auth?: AuthConfig | undefined;
  readonly rateLimitPerMinute?: number | undefined;
  /**
   * Failed authentications (401s) allowed per minute per client address; past that the address
   * gets 429 with Retry-After on /v1 until its budget refills. 0 or absent = no bound.
   */
  readonly authFailuresPerMinute?: number | undefined;
  readonly now?: () => number;
  /**
   * The app's route templates (read from its router once every route is registered), so a
   * request refused before routing is still counted under its route. Absent: not counted per route.
   */
  readonly routeTemplates?: () => readonly string[];
}

/**
 * Admits a request below /v1 (recording its principal on the response) or says why not, with
 * the headers the refusal needs already set. Synchronous unless a JWT must be verified.
 */
export type V1Admission = (
  req: IncomingMessage,
  res: ServerResponse,
  pathBelowV1: string,
) => ProblemError | undefined | Promise<ProblemError | undefined>;

/**
 * Authentication (and optional rate limiting) for everything below /v1. Development mode (no API
 * key, no JWT issuer) lets /v1 through; /v1/admin/* needs an admin key in every mode.
 */
export function v1Admission(options: GuardOptions): V1Admission {
  const auth = options.auth ?? { apiKeyDigests: [], adminKeyDigests: [] };
  const development = isDevelopmentMode(auth);
  const authenticator = createAuthenticator(auth);
  const perMinute = options.rateLimitPerMinute ?? 0;
  const limiter = perMinute > 0 ? new RateLimiter(perMinute, options.now) : undefined;
  const failuresPerMinute = options.authFailuresPerMinute ?? 0;
  // Keyed by the socket's address (never a forwarded header, which the caller controls).
  const failures =
    failuresPerMinute > 0 ? new RateLimiter(failuresPerMinute, options.now) : undefined;
  const addressOf = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';
  let templates: readonly string[] | undefined;
  const v1Templates = (): readonly string[] =>
    (templates ??= (options.routeTemplates?.() ?? []).filter((t) => t.startsWith('/v1/')));

  const refuse = (res: ServerResponse, pathBelowV1: string, error: ProblemError): ProblemError => {
    const l = locals(res);
    const template = routeTemplateOf(`/v1${pathBelowV1}`, v1Templates());
    if (l.route === undefined && template !== undefined) l.route = template;
    if (error.code === 'UNAUTHORIZED') {
      res.setHeader('WWW-Authenticate', 'Bearer realm="neurotransmitter-cds"');
      failures?.take(addressOf(res.req));
    }
    return error;
  };

  const admit = (
    res: ServerResponse,
    pathBelowV1: string,
    admin: boolean,
    principal: Principal,
  ): ProblemError | undefined => {
    if (admin && !principal.admin)
      return refuse(
        res,
        pathBelowV1,
        new ProblemError('FORBIDDEN', 'This route needs an admin key.'),
      );
    if (limiter !== undefined) {
      const taken = limiter.take(principal.id);
      if (!taken.ok) {
        res.setHeader('Retry-After', String(taken.retryAfterSec));
        return refuse(res, pathBelowV1, new ProblemError('TOO-MANY-REQUESTS', 'Slow down.'));
      }
    }
    setPrincipal(res, principal);
    return undefined;
  };

  return (req, res, pathBelowV1) => {
    // An address past its failed-authentication budget is refused before any credential is
    // checked, so guessing keys from it learns nothing until the budget refills.
    const wait = failures?.wait(addressOf(req)) ?? 0;
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return refuse(
        res,
        pathBelowV1,
        new ProblemError('TOO-MANY-REQUESTS', 'Too many failed authentications; slow down.'),
      );
    }
    const admin = isAdminPath(pathBelowV1);
    const credential = credentialOf(req);
    if (credential === undefined) {
      if (admin || !development)
        return refuse(res, pathBelowV1, new ProblemError('UNAUTHORIZED', 'Send an API key.'));
      const ip = req.socket.remoteAddress ?? 'unknown';
      return admit(res, pathBelowV1, admin, {
        kind: 'development',
        id: `dev:${ip}`,
        admin: false,
        caller: 'development',
      });
    }
    if (credential === null)
      return refuse(
        res,
        pathBelowV1,
        new ProblemError('UNAUTHORIZED', 'The credential is malformed.'),
      );
    const settle = (verified: Principal | ProblemError): ProblemError | undefined =>
      verified instanceof ProblemError
        ? refuse(res, pathBelowV1, verified)
        : admit(res, pathBelowV1, admin, verified);
    const verified = authenticator.verify(credential);
    return verified instanceof Promise ? verified.then(settle) : settle(verified);
  };
}

/** `v1Admission` as Express middleware, mounted at /v1. */
export function v1Guard(admission: V1Admission): RequestHandler {
  return (req, res, next) => {
    const outcome = admission(req, res, req.path);
    if (outcome instanceof Promise) outcome.then(next, next);
    else next(outcome);
  };
}

/** Defence in depth for admin handlers: refuses unless the guard found an admin principal. */
export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  if (principalOf(res)?.admin === true) next();
  else next(new ProblemError('FORBIDDEN', 'This route needs an admin key.'));
}

/** For /metrics when METRICS_REQUIRE_AUTH=true: any valid key or token, no rate limit. */
export function anyCredential(auth: AuthConfig | undefined): RequestHandler {
  const guard = v1Guard(v1Admission({ auth }));
  return (req, res, next) => {
    if (auth === undefined || isDevelopmentMode(auth)) {
      next();
      return;
    }
    guard(req, res, next);
  };
}
