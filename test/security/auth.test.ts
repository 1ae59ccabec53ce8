import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { JWK, KeyLike } from 'jose';
import request from 'supertest';
import type { AuthConfig } from '../../src/config';
import { RateLimiter } from '../../src/http/rate-limit';
import { makeRequest } from '../support/factories';
import { appWith, sha256Hex } from './support';

const USER_KEY = 'user-key-0123456789abcdef';
const OTHER_USER_KEY = 'other-user-key-fedcba9876543210';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const keyAuth: AuthConfig = {
  apiKeyDigests: [sha256Hex(USER_KEY), sha256Hex(OTHER_USER_KEY)],
  adminKeyDigests: [sha256Hex(ADMIN_KEY)],
};
const body = makeRequest();

function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
}

describe('development mode (createApp without API keys or JWT issuer)', () => {
  const { app } = appWith();

  it('when no credential is sent to /v1, then the evaluation is answered', async () => {
    const res = await request(app).post('/v1/evaluations').send(body);
    expect(res.status).toBe(200);
  });

  it('when no credential is sent to /v1/admin/reload, then it is refused with 401 problem+json', async () => {
    const res = await request(app).post('/v1/admin/reload');
    expectProblem(res, 401, 'UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('when a key is sent that no one configured, then /v1/admin/reload is still refused', async () => {
    const res = await request(app).post('/v1/admin/reload').set('X-API-Key', ADMIN_KEY);
    expectProblem(res, 401, 'UNAUTHORIZED');
  });
});

describe('API keys (AUTH_API_KEYS / AUTH_ADMIN_KEYS as SHA-256 digests)', () => {
  const { app } = appWith({ auth: keyAuth });

  it('when no credential is sent, then /v1 answers 401 problem+json with WWW-Authenticate', async () => {
    const res = await request(app).post('/v1/evaluations').send(body);
    expectProblem(res, 401, 'UNAUTHORIZED');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="neurotransmitter-cds"');
  });

  it.each([
    ['X-API-Key', (r: request.Test) => r.set('X-API-Key', USER_KEY)],
    ['Authorization: Bearer', (r: request.Test) => r.set('Authorization', `Bearer ${USER_KEY}`)],
    ['lower-case bearer', (r: request.Test) => r.set('Authorization', `bearer ${USER_KEY}`)],
    ['the second configured key', (r: request.Test) => r.set('X-API-Key', OTHER_USER_KEY)],
    ['an admin key', (r: request.Test) => r.set('X-API-Key', ADMIN_KEY)],
  ])('when a valid key is sent as %s, then the evaluation is answered', async (_name, withKey) => {
    const res = await withKey(request(app).post('/v1/evaluations')).send(body);
    expect(res.status).toBe(200);
    expect(res.body.hits).toBeDefined();
  });

  it.each([
    ['a wrong key', { 'X-API-Key': 'not-a-key' }],
    ['the digest instead of the key', { 'X-API-Key': sha256Hex(USER_KEY) }],
    ['a key with one character changed', { 'X-API-Key': USER_KEY.slice(0, -1) + 'X' }],
    [
      'Basic authentication',
      { Authorization: `Basic ${Buffer.from(`u:${USER_KEY}`).toString('base64')}` },
    ],
    ['an empty bearer token', { Authorization: 'Bearer ' }],
    ['an empty X-API-Key', { 'X-API-Key': ' ' }],
    ['an oversized key', { 'X-API-Key': 'k'.repeat(9000) }],
  ])('when %s is sent, then /v1 answers 401', async (_name, headers) => {
    const res = await request(app).get('/v1/ruleset').set(headers);
    expectProblem(res, 401, 'UNAUTHORIZED');
  });

  it('when a caller without credentials asks for an unknown /v1 path, then it is 401, not 404', async () => {
    const res = await request(app).get('/v1/no-such-thing');
    expectProblem(res, 401, 'UNAUTHORIZED');
  });

  it.each(['/livez', '/readyz', '/metrics'])(
    'when %s is asked without credentials, then it answers 200 (probes and scrapes stay open)',
    async (path) => {
      const res = await request(app).get(path);
      expect(res.status).toBe(200);
    },
  );

  it.each([
    '/v1/admin/reload',
    '/V1/ADMIN/reload',
    '/v1//admin/reload',
    '/v1/%61dmin/reload',
    '/v1/admin',
  ])('when a user key (not admin) is sent to %s, then it is 403 FORBIDDEN', async (path) => {
    const res = await request(app).post(path).set('X-API-Key', USER_KEY);
    expectProblem(res, 403, 'FORBIDDEN');
  });

  it('when an admin key is sent to /v1/admin/reload, then the guard lets it through', async () => {
    const res = await request(app)
      .post('/v1/admin/reload')
      .set('Authorization', `Bearer ${ADMIN_KEY}`);
    expect([401, 403]).not.toContain(res.status);
  });

  it('when a request is refused for credentials, then the access log names the route template, not the path', async () => {
    const { app: a, logs } = appWith({ auth: keyAuth });
    await request(a).get('/v1/rules/some-rule-id');
    const line = logs
      .map((l) => JSON.parse(l) as { message: string })
      .find((l) => l.message === 'request');
    expect(line).toMatchObject({
      route: '/v1/rules/:id',
      status: 401,
      problemCode: 'UNAUTHORIZED',
    });
    expect(logs.join('\n')).not.toContain('some-rule-id');
  });

  it.each([
    ['/v1/evaluations/batch', 'post'],
    ['/v1/catalog', 'get'],
    ['/v1/admin/reload', 'post'],
  ] as const)(
    'when %s is refused for credentials, then its template comes from the routes themselves (no list kept by hand)',
    async (route, method) => {
      const { app: a, logs } = appWith({ auth: keyAuth });
      await request(a)[method](route);
      const line = logs
        .map((l) => JSON.parse(l) as { message: string; route?: string })
        .find((l) => l.message === 'request');
      expect(line?.route).toBe(route);
    },
  );
});

describe('per-caller rate limiting (RATE_LIMIT_PER_MINUTE)', () => {
  it('when a caller exceeds the limit, then it gets 429 problem+json with Retry-After, and other callers do not', async () => {
    const { app } = appWith({ auth: keyAuth, rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i += 1) {
      const ok = await request(app).get('/v1/ruleset').set('X-API-Key', USER_KEY);
      expect(ok.status).toBe(200);
    }
    const limited = await request(app).get('/v1/ruleset').set('X-API-Key', USER_KEY);
    expectProblem(limited, 429, 'TOO-MANY-REQUESTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const other = await request(app).get('/v1/ruleset').set('X-API-Key', OTHER_USER_KEY);
    expect(other.status).toBe(200);
  });
});

describe('RateLimiter (token bucket per caller)', () => {
  it('when a caller has spent its tokens, then it refills continuously and never beyond capacity', () => {
    let t = 0;
    const limiter = new RateLimiter(60, () => t);
    for (let i = 0; i < 60; i += 1) expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSec: 1 });
    t += 1000;
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    t += 10 * 60_000;
    for (let i = 0; i < 60; i += 1) expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
  });

  it('when more callers arrive than it tracks, then it stays bounded', () => {
    const limiter = new RateLimiter(1, () => 0, 100);
    for (let i = 0; i < 1000; i += 1) expect(limiter.take(`caller-${i}`).ok).toBe(true);
    expect(
      (limiter as unknown as { buckets: Map<string, unknown> }).buckets.size,
    ).toBeLessThanOrEqual(100);
  });
});

describe('GET /metrics with metricsRequireAuth (METRICS_REQUIRE_AUTH=true)', () => {
  const { app } = appWith({ auth: keyAuth, metricsRequireAuth: true });

  it('when no credential is sent, then /metrics is 401 but /livez and /readyz stay open', async () => {
    expectProblem(await request(app).get('/metrics'), 401, 'UNAUTHORIZED');
    expect((await request(app).get('/livez')).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('when an API key is sent, then /metrics answers', async () => {
    const res = await request(app).get('/metrics').set('X-API-Key', USER_KEY);
    expect(res.status).toBe(200);
    expect(res.text).toContain('ntcds_http_request_duration_seconds');
  });
});

describe('OAuth2 bearer JWTs verified against a JWKS (served on 127.0.0.1 by this test)', () => {
  const ISSUER = 'https://issuer.test/';
  const AUDIENCE = 'neurotransmitter-cds';
  let server: http.Server;
  let jwksUrl: string;
  let rsa: { privateKey: KeyLike; publicKey: KeyLike };
  let ec: { privateKey: KeyLike; publicKey: KeyLike };
  let stranger: { privateKey: KeyLike; publicKey: KeyLike };
  let jwksHits = 0;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    stranger = await generateKeyPair('RS256');
    const keys: JWK[] = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = http.createServer((_req, res) => {
      jwksHits += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const jwtAuth = (): AuthConfig => ({
    apiKeyDigests: [],
    adminKeyDigests: [sha256Hex(ADMIN_KEY)],
    jwt: {
      jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['RS256', 'ES256'],
      clockToleranceSec: 30,
    },
  });

  const token = (
    key: KeyLike | Uint8Array,
    options: {
      alg?: string;
      kid?: string;
      iss?: string;
      aud?: string;
      exp?: number;
      sub?: string | null;
    } = {},
  ): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ scope: 'cds' })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1' })
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setIssuedAt(now - 60)
      .setExpirationTime(options.exp ?? now + 300);
    if (options.sub !== null) jwt.setSubject(options.sub ?? 'clinician-42');
    return jwt.sign(key);
  };

  const evaluateWith = async (bearer: string): Promise<request.Response> => {
    const { app } = appWith({ auth: jwtAuth() });
    return request(app).post('/v1/evaluations').set('Authorization', `Bearer ${bearer}`).send(body);
  };

  it('when a valid RS256 token is sent, then the evaluation is answered', async () => {
    const res = await evaluateWith(await token(rsa.privateKey));
    expect(res.status).toBe(200);
    expect(jwksHits).toBeGreaterThan(0);
  });

  it("when a valid token is sent, then the access-log line names the caller by the token's sub, and holds no token", async () => {
    const { app, logs } = appWith({ auth: jwtAuth() });
    const bearer = await token(rsa.privateKey, { sub: 'service-account-7' });
    const res = await request(app)
      .post('/v1/evaluations')
      .set('Authorization', `Bearer ${bearer}`)
      .send(body);
    expect(res.status).toBe(200);
    const line = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.message === 'request');
    expect(line).toMatchObject({
      caller: 'jwt:service-account-7',
      evaluationId: (res.body as { evaluationId: string }).evaluationId,
    });
    expect(logs.join('\n')).not.toContain(bearer.split('.')[2]!);
  });

  it('when a valid ES256 token is sent, then the evaluation is answered', async () => {
    const res = await evaluateWith(await token(ec.privateKey, { alg: 'ES256', kid: 'ec-1' }));
    expect(res.status).toBe(200);
  });

  it('when a token expired less than the clock tolerance ago, then it is still accepted', async () => {
    const res = await evaluateWith(
      await token(rsa.privateKey, { exp: Math.floor(Date.now() / 1000) - 10 }),
    );
    expect(res.status).toBe(200);
  });

  it.each([
    [
      'expired beyond the clock tolerance',
      () => token(rsa.privateKey, { exp: Math.floor(Date.now() / 1000) - 120 }),
    ],
    ['for another audience', () => token(rsa.privateKey, { aud: 'someone-else' })],
    ['from another issuer', () => token(rsa.privateKey, { iss: 'https://evil.test/' })],
    ['without a subject', () => token(rsa.privateKey, { sub: null })],
    ['signed by a key not in the JWKS', () => token(stranger.privateKey)],
    [
      'signed by an unknown key claiming a known kid',
      () => token(stranger.privateKey, { kid: 'rsa-1' }),
    ],
    [
      'signed with HS256 using a shared secret',
      () => token(new TextEncoder().encode('x'.repeat(32)), { alg: 'HS256' }),
    ],
    [
      'with alg none',
      () =>
        Promise.resolve(
          new UnsecuredJWT({ sub: 'x' })
            .setIssuer(ISSUER)
            .setAudience(AUDIENCE)
            .setExpirationTime('5m')
            .encode(),
        ),
    ],
    [
      'with a tampered payload',
      async () => {
        const [h, , s] = (await token(rsa.privateKey)).split('.');
        const payload = Buffer.from(
          JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'admin', exp: 9999999999 }),
        ).toString('base64url');
        return `${h}.${payload}.${s}`;
      },
    ],
    ['that is not a JWT', () => Promise.resolve('a.b.c')],
  ])('when a token %s is sent, then it is refused with 401', async (_name, make) => {
    const res = await evaluateWith(await make());
    expectProblem(res, 401, 'UNAUTHORIZED');
  });

  it('when a valid token is sent to /v1/admin/reload, then it is 403: only admin keys may administer', async () => {
    const { app } = appWith({ auth: jwtAuth() });
    const res = await request(app)
      .post('/v1/admin/reload')
      .set('Authorization', `Bearer ${await token(rsa.privateKey)}`);
    expectProblem(res, 403, 'FORBIDDEN');
  });

  it('when the JWKS cannot be fetched, then a token gets 503 AUTH-UNAVAILABLE, not 401 or 500', async () => {
    const dead = http.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((resolve) => dead.close(resolve));
    const { app } = appWith({
      auth: {
        ...jwtAuth(),
        jwt: { ...jwtAuth().jwt!, jwksUrl: `http://127.0.0.1:${port}/jwks.json` },
      },
    });
    const res = await request(app)
      .post('/v1/evaluations')
      .set('Authorization', `Bearer ${await token(rsa.privateKey)}`)
      .send(body);
    expectProblem(res, 503, 'AUTH-UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|at .*\.js/);
  });
});
