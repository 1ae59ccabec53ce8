import path from 'node:path';
import { projectRoot } from './lib/paths';
import { createAjv } from './rules/schemas';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly rulesDir: string;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly bodyLimitBytes: number;
  readonly maxJsonDepth: number;
  readonly requestTimeoutMs: number;
  readonly shutdownGraceMs: number;
  readonly nodeEnv: string;
}

/** Where the shipped ruleset lives. */
export function defaultRulesDir(): string {
  return path.join(projectRoot(), 'rules');
}

const envSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535 },
    HOST: { type: 'string', minLength: 1, maxLength: 255 },
    RULES_DIR: { type: 'string', minLength: 1, maxLength: 4096 },
    LOG_LEVEL: { enum: ['error', 'warn', 'info', 'debug'] },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, maximum: 10485760 },
    MAX_JSON_DEPTH: { type: 'integer', minimum: 4, maximum: 256 },
    REQUEST_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 600000 },
    SHUTDOWN_GRACE_MS: { type: 'integer', minimum: 0, maximum: 600000 },
    NODE_ENV: { type: 'string', maxLength: 40 },
  },
} as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The only reader of the environment: validated, then frozen. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
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
    throw new ConfigError(
      `invalid configuration: ${e?.instancePath.slice(1) ?? ''} ${e?.message ?? ''}`.trim(),
    );
  }
  const num = (key: string, fallback: number): number =>
    typeof raw[key] === 'number' ? raw[key] : fallback;
  const str = (key: string, fallback: string): string =>
    typeof raw[key] === 'string' ? raw[key] : fallback;
  return Object.freeze({
    port: num('PORT', 8080),
    host: str('HOST', '127.0.0.1'),
    rulesDir: path.resolve(str('RULES_DIR', defaultRulesDir())),
    logLevel: str('LOG_LEVEL', 'info') as Config['logLevel'],
    bodyLimitBytes: num('BODY_LIMIT_BYTES', 262144),
    maxJsonDepth: num('MAX_JSON_DEPTH', 32),
    requestTimeoutMs: num('REQUEST_TIMEOUT_MS', 30000),
    shutdownGraceMs: num('SHUTDOWN_GRACE_MS', 10000),
    nodeEnv: str('NODE_ENV', 'development'),
  });
}
