import { createHash, timingSafeEqual } from 'node:crypto';
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
}

/** The /v1 route templates, so a request refused before routing is still counted per route. */
export const V1_ROUTE_TEMPLATES = [
  '/v1/evaluations',
  '/v1/ruleset',
  '/v1/rules/:id',
  '/v1/catalog',
  '/v1/admin/reload',
] as const;

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

function setPrincipal(res: Response, principal: Principal): void {
  (res.locals as { principal?: Principal }).principal = principal;
}

/** The credential a request carries: `X-API-Key: <key>` or `Authorization: Bearer <token>`. */
function credentialOf(req: Request): string | undefined | null {
  const apiKey = req.get('x-api-key');
  if (apiKey !== undefined) {
    const key = apiKey.trim();
    return key.length > 0 && key.length <= MAX_CREDENTIAL_LENGTH ? key : null;
  }
  const authorization = req.get('authorization');
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

function routeTemplateOf(path: string): string | undefined {
  const segments = path.toLowerCase().replace(/\/+$/, '').split('/');
  return V1_ROUTE_TEMPLATES.find((template) => {
    const t = template.split('/');
    return (
      t.length === segments.length && t.every((s, i) => s.startsWith(':') || s === segments[i])
    );
  });
}

export interface Authenticator {
  /** The principal for a credential, or a ProblemError (401 invalid, 503 issuer unreachable). */
  verify(credential: string): Promise<Principal | ProblemError>;
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

  return {
    async verify(credential) {
      const digest = sha256(credential);
      const handle = digest.toString('hex').slice(0, 16);
      if (matchesAny(digest, adminKeys))
        return { kind: 'admin-key', id: `key:${handle}`, admin: true };
      if (matchesAny(digest, apiKeys))
        return { kind: 'api-key', id: `key:${handle}`, admin: false };
      if (jwt === undefined || jwks === undefined || !JWT_SHAPE.test(credential)) return invalid();
      try {
        const { payload } = await jwtVerify(credential, jwks, {
          issuer: jwt.issuer,
          audience: jwt.audience,
          algorithms: [...jwt.algorithms],
          clockTolerance: jwt.clockToleranceSec,
          requiredClaims: ['exp', 'sub'],
        });
        const subject = createHash('sha256')
          .update(`${payload.iss ?? ''}\u0000${payload.sub ?? ''}`)
          .digest('hex')
          .slice(0, 16);
        return { kind: 'jwt', id: `jwt:${subject}`, admin: false };
      } catch (error) {
        // The token's fault → 401. The issuer's keys unreachable or unusable → 503. Matched by
        // jose's stable error codes (instanceof is unreliable across module realms).
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && TOKEN_FAULTS.has(code)) return invalid();
        return new ProblemError('AUTH-UNAVAILABLE', 'Tokens cannot be verified right now.');
      }
    },
  };
}

export interface GuardOptions {
  readonly auth?: AuthConfig | undefined;
  readonly rateLimitPerMinute?: number | undefined;
  readonly now?: () => number;
}

/**
 * Authentication (and optional rate limiting) for everything below /v1. Development mode (no API
 * key, no JWT issuer) lets /v1 through; /v1/admin/* needs an admin key in every mode.
 */
export function v1Guard(options: GuardOptions): RequestHandler {
  const auth = options.auth ?? { apiKeyDigests: [], adminKeyDigests: [] };
  const development = isDevelopmentMode(auth);
  const authenticator = createAuthenticator(auth);
  const perMinute = options.rateLimitPerMinute ?? 0;
  const limiter = perMinute > 0 ? new RateLimiter(perMinute, options.now) : undefined;

  const refuse = (req: Request, res: Response, next: NextFunction, error: ProblemError): void => {
    const l = locals(res);
    const template = routeTemplateOf(req.originalUrl.split('?')[0] ?? '');
    if (l.route === undefined && template !== undefined) l.route = template;
    if (error.code === 'UNAUTHORIZED')
      res.setHeader('WWW-Authenticate', 'Bearer realm="neurotransmitter-cds"');
    next(error);
  };

  return (req, res, next) => {
    const admin = isAdminPath(req.path);
    const credential = credentialOf(req);
    void (async () => {
      let principal: Principal;
      if (credential === undefined) {
        if (admin || !development) {
          refuse(req, res, next, new ProblemError('UNAUTHORIZED', 'Send an API key.'));
          return;
        }
        principal = { kind: 'development', id: `dev:${req.ip ?? 'unknown'}`, admin: false };
      } else if (credential === null) {
        refuse(req, res, next, new ProblemError('UNAUTHORIZED', 'The credential is malformed.'));
        return;
      } else {
        const verified = await authenticator.verify(credential);
        if (verified instanceof ProblemError) {
          refuse(req, res, next, verified);
          return;
        }
        principal = verified;
      }
      if (admin && !principal.admin) {
        refuse(req, res, next, new ProblemError('FORBIDDEN', 'This route needs an admin key.'));
        return;
      }
      if (limiter !== undefined) {
        const taken = limiter.take(principal.id);
        if (!taken.ok) {
          res.setHeader('Retry-After', String(taken.retryAfterSec));
          refuse(req, res, next, new ProblemError('TOO-MANY-REQUESTS', 'Slow down.'));
          return;
        }
      }
      setPrincipal(res, principal);
      next();
    })().catch(next);
  };
}

/** Defence in depth for admin handlers: refuses unless the guard found an admin principal. */
export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  if (principalOf(res)?.admin === true) next();
  else next(new ProblemError('FORBIDDEN', 'This route needs an admin key.'));
}

/** For /metrics when METRICS_REQUIRE_AUTH=true: any valid key or token, no rate limit. */
export function anyCredential(auth: AuthConfig | undefined): RequestHandler {
  const guard = v1Guard({ auth });
  return (req, res, next) => {
    if (auth === undefined || isDevelopmentMode(auth)) {
      next();
      return;
    }
    guard(req, res, next);
  };
}
