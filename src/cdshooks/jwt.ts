import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { CdsClientIssuer, CdsHooksConfig } from '../config';

/**
 * CDS Hooks client authentication (CDS Hooks 2.0 "Trusting CDS Clients"): a bearer JWT signed
 * with an asymmetric key of an allow-listed issuer (its JWKS configured, or a `jku` from the
 * allow-list), `aud` the exact URL called, `exp`, `iat` and `jti` required, each `jti` used once.
 */
export type CdsAuthResult = { ok: true; iss: string } | { ok: false; reason: string };

export interface CdsClientVerifier {
  verify(authorization: string | undefined, audience: string): Promise<CdsAuthResult>;
}

const ASYMMETRIC = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
]);

function keySet(issuer: CdsClientIssuer): JWTVerifyGetKey | undefined {
  if (issuer.jwks !== undefined) return createLocalJWKSet(issuer.jwks as unknown as JSONWebKeySet);
  if (issuer.jwksUrl !== undefined)
    return createRemoteJWKSet(new URL(issuer.jwksUrl), { timeoutDuration: 5000 });
  return undefined;
}

export function createCdsClientVerifier(
  config: CdsHooksConfig,
  now: () => number = Date.now,
): CdsClientVerifier {
  const byIssuer = new Map<string, JWTVerifyGetKey>();
  for (const issuer of config.issuers) {
    const keys = keySet(issuer);
    if (keys) byIssuer.set(issuer.iss, keys);
  }
  const byJku = new Map<string, JWTVerifyGetKey>();
  for (const jku of config.jkuAllowList)
    byJku.set(jku, createRemoteJWKSet(new URL(jku), { timeoutDuration: 5000 }));
  const algorithms = config.algorithms.filter((a) => ASYMMETRIC.has(a));
  // jti → expiry (ms); entries are dropped once expired, so the cache stays bounded by exp.
  const seen = new Map<string, number>();
  const maxAgeSec = config.maxTokenAgeSec;

  return {
    async verify(authorization, audience) {
      const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(
        authorization ?? '',
      );
      if (!m?.[1]) return { ok: false, reason: 'a bearer JWT is required' };
      const token = m[1];
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return { ok: false, reason: 'malformed JWT' };
      }
      if (typeof header.alg !== 'string' || !algorithms.includes(header.alg as never))
        return { ok: false, reason: 'algorithm not accepted' };
      let unverifiedIss: unknown;
      try {
        const payload = token.split('.')[1] ?? '';
        unverifiedIss = (
          JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }
        ).iss;
      } catch {
        return { ok: false, reason: 'malformed JWT' };
      }
      if (typeof unverifiedIss !== 'string') return { ok: false, reason: 'iss required' };
      let keys = byIssuer.get(unverifiedIss);
      if (typeof header.jku === 'string') {
        // A jku is honoured only from the allow-list, and only for an allow-listed issuer.
        const jkuKeys = byJku.get(header.jku);
        if (!jkuKeys || !config.issuers.some((i) => i.iss === unverifiedIss))
          return { ok: false, reason: 'jku not allowed' };
        keys = jkuKeys;
      }
      if (!keys) return { ok: false, reason: 'issuer not allowed' };
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: unverifiedIss,
          audience,
          algorithms,
          clockTolerance: config.clockToleranceSec,
          requiredClaims: ['exp', 'iat', 'jti'],
          maxTokenAge: `${String(maxAgeSec)}s`,
          currentDate: new Date(now()),
        });
        const jti = payload.jti;
        if (typeof jti !== 'string' || jti === '') return { ok: false, reason: 'jti required' };
        const t = now();
        for (const [k, exp] of seen) if (exp < t) seen.delete(k);
        const key = `${unverifiedIss}\u0000${jti}`;
        if (seen.has(key)) return { ok: false, reason: 'jti replayed' };
        seen.set(key, ((payload.exp ?? 0) + config.clockToleranceSec) * 1000);
        return { ok: true, iss: unverifiedIss };
      } catch {
        return { ok: false, reason: 'JWT not valid' };
      }
    },
  };
}
