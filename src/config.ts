import path from 'node:path';
import { projectRoot } from './lib/paths';
import { createAjv } from './lib/schemas';

/** JWT algorithms this service will ever accept; `none` and HMAC are never among them. */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'ES256',
  'ES384',
  'EdDSA',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface JwtConfig {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly clockToleranceSec: number;
}

/**
 * Who may call: accepted key digests (SHA-256, lower-case hex) and/or a JWT issuer. With no API
 * key and no JWT issuer the service is in development mode: /v1 is open (loopback only), while
 * /v1/admin/* still needs an admin key.
 */
export interface AuthConfig {
  readonly apiKeyDigests: readonly string[];
  readonly adminKeyDigests: readonly string[];
  readonly jwt?: JwtConfig;
}

/** True when callers of /v1 need no credentials (development mode). */
export function isDevelopmentMode(auth: AuthConfig | undefined): boolean {
  return auth === undefined || (auth.apiKeyDigests.length === 0 && auth.jwt === undefined);
}

/** A CDS client allowed to call /cds-services: its `iss` and its public keys. */
export interface CdsClientIssuer {
  readonly iss: string;
  readonly jwksUrl?: string;
  /** An inline JWK Set (tests, or keys exchanged out of band). */
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
}

export interface CdsHooksConfig {
  /** Allow-listed CDS clients. None, in development mode: CDS routes need no JWT. */
  readonly issuers: readonly CdsClientIssuer[];
  /** `jku` URLs honoured in a client JWT header (only for an allow-listed issuer). */
  readonly jkuAllowList: readonly string[];
  readonly algorithms: readonly JwtAlgorithm[];
  readonly clockToleranceSec: number;
  /** Oldest `iat` accepted. */
  readonly maxTokenAgeSec: number;
  /** The public base URL (e.g. https://cds.example.org); `aud` must be this + the path called. */
  readonly publicBaseUrl?: string;
  readonly fhirTimeoutMs: number;
  /** Allow a plain-http fhirServer (loopback development and tests only). */
  readonly allowHttpFhirServer: boolean;
  /**
   * FHIR base URLs (or bare origins) the service may read missing prefetch from
   * (CDS_FHIR_SERVERS). A request naming any other fhirServer is answered 412: the service never
   * sends requests, or the client's token, to a host its operator did not list. Empty: none.
   */
  readonly fhirServers: readonly string[];
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly rulesDir: string;
  /** Where checked-ruleset snapshots are kept; '' when turned off (RULESET_SNAPSHOT_DIR=off). */
  readonly rulesetSnapshotDir: string;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly bodyLimitBytes: number;
  readonly maxJsonDepth: number;
  /** POST /v1/evaluations/batch: evaluation lines per request at most (the next gets TOO-MANY-LINES). */
  readonly batchMaxLines: number;
  /** POST /v1/evaluations/batch: body bytes per request at most (413, or a BODY-TOO-LARGE line). */
  readonly batchMaxBytes: number;
  readonly requestTimeoutMs: number;
  readonly shutdownGraceMs: number;
  /** Processes serving on the port (node:cluster); 1 = this process alone. */
  readonly workers: number;
  readonly nodeEnv: string;
  /** Development mode when it holds no API key and no JWT issuer (see isDevelopmentMode). */
  readonly auth: AuthConfig;
  /** Requests per minute per caller (key digest, JWT subject, or address in development); 0 = off. */
  readonly rateLimitPerMinute: number;
  /** Failed authentications per minute per client address before 429; 0 = no bound. */
  readonly authFailuresPerMinute: number;
  /** Whether GET /metrics needs an API key like /v1 routes do. */
  readonly metricsRequireAuth: boolean;
  readonly cdsHooks: CdsHooksConfig;
}

/** Where checked-ruleset snapshots go unless RULESET_SNAPSHOT_DIR says otherwise. */
export function defaultSnapshotDir(): string {
  return path.join(projectRoot(), 'node_modules', '.cache', 'neurotransmitter-cds');
}

/** Where the shipped ruleset lives. */
export function defaultRulesDir(): string {
  return path.join(projectRoot(), 'rules');
}

const DIGEST_LIST = '^[0-9a-fA-F]{64}(\\s*,\\s*[0-9a-fA-F]{64})*$';

const envSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    HOST: { type: 'string', minLength: 1, maxLength: 255 },
    RULES_DIR: { type: 'string', minLength: 1, maxLength: 4096 },
    RULESET_SNAPSHOT_DIR: { type: 'string', minLength: 1, maxLength: 4096 },
    LOG_LEVEL: { enum: ['error', 'warn', 'info', 'debug'] },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, maximum: 10485760 },
    MAX_JSON_DEPTH: { type: 'integer', minimum: 4, maximum: 256 },
    BATCH_MAX_LINES: { type: 'integer', minimum: 1, maximum: 10000000 },
    BATCH_MAX_BYTES: { type: 'integer', minimum: 1024, maximum: 17179869184 },
    REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600000 },
    SHUTDOWN_GRACE_MS: { type: 'integer', minimum: 0, maximum: 600000 },
    WORKERS: { type: 'integer', minimum: 1, maximum: 64 },
    NODE_ENV: { type: 'string', maxLength: 40 },
    AUTH_API_KEYS: { type: 'string', maxLength: 65536, pattern: DIGEST_LIST },
    AUTH_ADMIN_KEYS: { type: 'string', maxLength: 65536, pattern: DIGEST_LIST },
    AUTH_JWKS_URL: { type: 'string', maxLength: 2048, pattern: '^https?://[^\\s]+$' },
    AUTH_ISSUER: { type: 'string', minLength: 1, maxLength: 2048 },
    AUTH_AUDIENCE: { type: 'string', minLength: 1, maxLength: 2048 },
    AUTH_JWT_ALGORITHMS: {
      type: 'string',
      maxLength: 200,
      pattern: `^(${JWT_ALGORITHMS.join('|')})(\\s*,\\s*(${JWT_ALGORITHMS.join('|')}))*$`,
    },
    AUTH_CLOCK_TOLERANCE_S: { type: 'integer', minimum: 0, maximum: 300 },
    RATE_LIMIT_PER_MINUTE: { type: 'integer', minimum: 0, maximum: 1000000 },
    AUTH_FAILURES_PER_MINUTE: { type: 'integer', minimum: 0, maximum: 1000000 },
    METRICS_REQUIRE_AUTH: { enum: ['true', 'false'] },
    CDS_CLIENTS: {
      type: 'string',
      maxLength: 65536,
      pattern: '^\\S+ https://\\S+(\\s*,\\s*\\S+ https://\\S+)*$',
    },
    CDS_JKU_ALLOWLIST: {
      type: 'string',
      maxLength: 65536,
      pattern: '^https://\\S+(\\s*,\\s*https://\\S+)*$',
    },
    CDS_PUBLIC_BASE_URL: { type: 'string', maxLength: 2048, pattern: '^https?://[^\\s]+[^/\\s]$' },
    CDS_FHIR_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 60000 },
    CDS_FHIR_SERVERS: {
      type: 'string',
      maxLength: 65536,
      pattern: '^https?://[^\\s,?#@]+(\\s*,\\s*https?://[^\\s,?#@]+)*$',
    },
  },
} as const;

type EnvKey = keyof typeof envSchema.properties;

/** Every variable loadConfig reads, with its default as README documents it. */
export const CONFIG_VARIABLES: readonly EnvKey[] = Object.keys(envSchema.properties) as EnvKey[];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function digests(value: unknown): string[] {
  if (typeof value !== 'string') return [];
  return [...new Set(value.split(',').map((d) => d.trim().toLowerCase()))];
}

/**
 * The only reader of the environment: validated, then frozen. `listening: false` is for a
 * process that never serves (the image build's `prepare`): the refusals about serving without
 * authentication do not apply to it.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly listening?: boolean } = {},
): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(envSchema.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    raw[key] =
      'type' in def && def.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  const ajv = createAjv();
  const validate = ajv.compile(envSchema);
  if (!validate(raw)) {
    const e = validate.errors?.[0];
    // Name the variable and the rule broken, never echo the value (it may be a secret).
    const rule =
      e?.keyword === 'pattern'
        ? 'does not have the expected form'
        : e?.keyword === 'enum'
          ? 'is not one of the allowed values'
          : (e?.message ?? 'is invalid');
    throw new ConfigError(`invalid configuration: ${e?.instancePath.slice(1) ?? ''} ${rule}`);
  }
  const num = (key: EnvKey, fallback: number): number =>
    typeof raw[key] === 'number' ? raw[key] : fallback;
  const str = (key: EnvKey, fallback: string): string =>
    typeof raw[key] === 'string' ? raw[key] : fallback;

  const nodeEnv = str('NODE_ENV', 'development');
  const apiKeyDigests = digests(raw.AUTH_API_KEYS);
  const adminKeyDigests = digests(raw.AUTH_ADMIN_KEYS);
  const jwtParts = ['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const;
  const jwtSet = jwtParts.filter((k) => raw[k] !== undefined);
  if (jwtSet.length > 0 && jwtSet.length < jwtParts.length) {
    throw new ConfigError(
      `invalid configuration: JWT authentication needs all of ${jwtParts.join(', ')}`,
    );
  }
  const jwt: JwtConfig | undefined =
    jwtSet.length === jwtParts.length
      ? {
          jwksUrl: str('AUTH_JWKS_URL', ''),
          issuer: str('AUTH_ISSUER', ''),
          audience: str('AUTH_AUDIENCE', ''),
          algorithms: [
            ...new Set(
              str('AUTH_JWT_ALGORITHMS', 'RS256,ES256')
                .split(',')
                .map((a) => a.trim()),
            ),
          ] as JwtAlgorithm[],
          clockToleranceSec: num('AUTH_CLOCK_TOLERANCE_S', 30),
        }
      : undefined;
  const configured = apiKeyDigests.length > 0 || jwt !== undefined;
  const host = str('HOST', '127.0.0.1');

  const listening = options.listening !== false;
  if (listening && !configured && nodeEnv === 'production') {
    throw new ConfigError(
      'refusing to start: NODE_ENV=production needs authentication — set AUTH_API_KEYS ' +
        '(SHA-256 hex digests of the accepted keys) and/or AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE',
    );
  }
  if (listening && !configured && !LOOPBACK.has(host)) {
    throw new ConfigError(
      'refusing to start: development mode (no AUTH_API_KEYS and no AUTH_JWKS_URL) only listens on 127.0.0.1; ' +
        'configure authentication to listen on another address',
    );
  }

  const fhirServers = str('CDS_FHIR_SERVERS', '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  // A bearer token over plain http can be read on the way: production reads FHIR over https only.
  const httpFhirServer = fhirServers.some((u) => u.startsWith('http://'));
  if (httpFhirServer && nodeEnv === 'production')
    throw new ConfigError(
      'invalid configuration: CDS_FHIR_SERVERS must list https URLs only when NODE_ENV=production',
    );

  return Object.freeze({
    port: num('PORT', 8080),
    host,
    rulesDir: path.resolve(str('RULES_DIR', defaultRulesDir())),
    rulesetSnapshotDir:
      str('RULESET_SNAPSHOT_DIR', '') === 'off'
        ? ''
        : path.resolve(str('RULESET_SNAPSHOT_DIR', defaultSnapshotDir())),
    logLevel: str('LOG_LEVEL', 'info') as Config['logLevel'],
    bodyLimitBytes: num('BODY_LIMIT_BYTES', 262144),
    maxJsonDepth: num('MAX_JSON_DEPTH', 32),
    batchMaxLines: num('BATCH_MAX_LINES', 10000),
    batchMaxBytes: num('BATCH_MAX_BYTES', 67108864),
    requestTimeoutMs: num('REQUEST_TIMEOUT_MS', 30000),
    shutdownGraceMs: num('SHUTDOWN_GRACE_MS', 10000),
    workers: num('WORKERS', 1),
    nodeEnv,
    auth: Object.freeze({
      apiKeyDigests: Object.freeze(apiKeyDigests),
      adminKeyDigests: Object.freeze(adminKeyDigests),
      ...(jwt ? { jwt: Object.freeze({ ...jwt, algorithms: Object.freeze(jwt.algorithms) }) } : {}),
    }),
    rateLimitPerMinute: num('RATE_LIMIT_PER_MINUTE', 0),
    authFailuresPerMinute: num('AUTH_FAILURES_PER_MINUTE', 30),
    metricsRequireAuth: str('METRICS_REQUIRE_AUTH', 'false') === 'true',
    cdsHooks: {
      // CDS_CLIENTS: "iss jwksUrl" pairs, comma-separated.
      issuers: str('CDS_CLIENTS', '')
        .split(',')
        .map((pair) => pair.trim().split(/\s+/))
        .filter((p): p is [string, string] => p.length === 2)
        .map(([iss, jwksUrl]) => ({ iss, jwksUrl })),
      jkuAllowList: str('CDS_JKU_ALLOWLIST', '')
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== ''),
      algorithms: ['ES384', 'RS384', 'ES256', 'RS256', 'EdDSA'] satisfies JwtAlgorithm[],
      clockToleranceSec: num('AUTH_CLOCK_TOLERANCE_S', 30),
      maxTokenAgeSec: 300,
      ...(raw.CDS_PUBLIC_BASE_URL === undefined
        ? {}
        : { publicBaseUrl: str('CDS_PUBLIC_BASE_URL', '') }),
      fhirTimeoutMs: num('CDS_FHIR_TIMEOUT_MS', 5000),
      // Development only, and only for the http servers the operator listed.
      allowHttpFhirServer: httpFhirServer,
      fhirServers,
    },
  });
}
