import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, ConfigError, isDevelopmentMode, loadConfig } from '../../src/config';
import { ROOT } from '../support/app';

const DIGEST = 'a'.repeat(64);
const SECRETISH = 'zzSECRETzz'.repeat(8);

describe('configuration (src/config.ts)', () => {
  it('when nothing is set, then defaults apply, development mode is on, and the object is frozen', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'info',
      bodyLimitBytes: 262144,
      maxJsonDepth: 32,
      batchMaxLines: 10000,
      batchMaxBytes: 67108864,
      requestTimeoutMs: 30000,
      shutdownGraceMs: 10000,
      nodeEnv: 'development',
      rateLimitPerMinute: 0,
      metricsRequireAuth: false,
    });
    expect(isDevelopmentMode(config.auth)).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auth)).toBe(true);
  });

  it('when the batch limits are set, then the batch route gets them', () => {
    const config = loadConfig({ BATCH_MAX_LINES: '250', BATCH_MAX_BYTES: '1048576' });
    expect(config.batchMaxLines).toBe(250);
    expect(config.batchMaxBytes).toBe(1048576);
  });

  it('when NODE_ENV=production has no authentication, then it refuses with a message naming what to set', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_ADMIN_KEYS: DIGEST })).toThrow(
      /NODE_ENV=production needs authentication.*AUTH_API_KEYS/,
    );
  });

  it('when the process never listens (the image build step), then the serving refusals do not apply', () => {
    const config = loadConfig({ NODE_ENV: 'production', HOST: '0.0.0.0' }, { listening: false });
    expect(config.nodeEnv).toBe('production');
    expect(() => loadConfig({ NODE_ENV: 'production', PORT: 'x' }, { listening: false })).toThrow(
      ConfigError,
    );
  });

  it('when development mode is asked to listen beyond loopback, then it refuses', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/only listens on 127\.0\.0\.1/);
    expect(loadConfig({ HOST: '0.0.0.0', AUTH_API_KEYS: DIGEST }).host).toBe('0.0.0.0');
  });

  it('when keys are given, then digests are normalised, de-duplicated and development mode is off', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      AUTH_API_KEYS: `${DIGEST.toUpperCase()}, ${DIGEST},${'b'.repeat(64)}`,
      AUTH_ADMIN_KEYS: 'c'.repeat(64),
    });
    expect(config.auth.apiKeyDigests).toEqual([DIGEST, 'b'.repeat(64)]);
    expect(config.auth.adminKeyDigests).toEqual(['c'.repeat(64)]);
    expect(isDevelopmentMode(config.auth)).toBe(false);
  });

  it('when a JWT issuer is configured, then all three settings are needed and algorithms default to RS256,ES256', () => {
    expect(() => loadConfig({ AUTH_JWKS_URL: 'https://idp.example/jwks' })).toThrow(
      /needs all of AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE/,
    );
    const config = loadConfig({
      NODE_ENV: 'production',
      AUTH_JWKS_URL: 'https://idp.example/jwks',
      AUTH_ISSUER: 'https://idp.example/',
      AUTH_AUDIENCE: 'cds',
    });
    expect(config.auth.jwt).toEqual({
      jwksUrl: 'https://idp.example/jwks',
      issuer: 'https://idp.example/',
      audience: 'cds',
      algorithms: ['RS256', 'ES256'],
      clockToleranceSec: 30,
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'verbose'],
    ['AUTH_API_KEYS', SECRETISH],
    ['AUTH_ADMIN_KEYS', `${DIGEST},${SECRETISH}`],
    ['AUTH_JWT_ALGORITHMS', 'HS256'],
    ['AUTH_JWT_ALGORITHMS', 'none'],
    ['AUTH_JWKS_URL', 'file:///etc/passwd'],
    ['RATE_LIMIT_PER_MINUTE', '-1'],
    ['METRICS_REQUIRE_AUTH', 'yes'],
    ['SHUTDOWN_GRACE_MS', '1e3'],
    ['CDS_FHIR_SERVERS', 'ftp://ehr.example/fhir'],
    ['CDS_FHIR_SERVERS', 'https://ehr.example/fhir?_format=json'],
    ['CDS_FHIR_SERVERS', 'https://user:zzSECRETzz@ehr.example/fhir'],
    ['BATCH_MAX_LINES', '0'],
    ['BATCH_MAX_BYTES', '12'],
  ])(
    'when %s=%s, then start-up fails with a ConfigError that names the variable, not its value',
    (key, value) => {
      let error: unknown;
      try {
        loadConfig({ [key]: value });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(key);
      expect((error as Error).message).not.toContain('zzSECRETzz');
    },
  );

  it('when CDS_FHIR_SERVERS is unset, then no FHIR server may be read; when set, its bases are listed', () => {
    expect(loadConfig({}).cdsHooks.fhirServers).toEqual([]);
    const config = loadConfig({
      CDS_FHIR_SERVERS: 'https://ehr.example/fhir/r4, https://other.example',
    });
    expect(config.cdsHooks.fhirServers).toEqual([
      'https://ehr.example/fhir/r4',
      'https://other.example',
    ]);
    expect(config.cdsHooks.allowHttpFhirServer).toBe(false);
  });

  it('when CDS_FHIR_SERVERS lists a plain-http server, then development allows it and production refuses to start', () => {
    const dev = loadConfig({ CDS_FHIR_SERVERS: 'http://127.0.0.1:4600/fhir' });
    expect(dev.cdsHooks.allowHttpFhirServer).toBe(true);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        AUTH_API_KEYS: DIGEST,
        CDS_FHIR_SERVERS: 'https://ehr.example/fhir,http://127.0.0.1:4600/fhir',
      }),
    ).toThrow(/CDS_FHIR_SERVERS must list https URLs only when NODE_ENV=production/);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        AUTH_API_KEYS: DIGEST,
        CDS_FHIR_SERVERS: 'https://ehr.example/fhir',
      }).cdsHooks.allowHttpFhirServer,
    ).toBe(false);
  });

  it("README's Configuration table lists exactly the variables loadConfig reads", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.split('## Configuration')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
