import request from 'supertest';
import type { AuthConfig } from '../../src/config';
import { loadConfig } from '../../src/config';
import { makeRequest } from '../support/factories';
import { appWith, sha256Hex } from './support';

const KEY = 'user-key-0123456789abcdef';
const auth: AuthConfig = { apiKeyDigests: [sha256Hex(KEY)], adminKeyDigests: [] };
const body = makeRequest();

describe('failed authentication is bounded per client address (AUTH_FAILURES_PER_MINUTE)', () => {
  it('when an address keeps sending bad keys, then past the bound it gets 429 with Retry-After, even with a good key, until its budget refills', async () => {
    // 60 per minute: one token back every second of the limiter's clock, which only the test moves.
    let clock = 1_000_000;
    const { app } = appWith({ auth, authFailuresPerMinute: 60, limiterClock: () => clock });
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) {
      const res = await request(app)
        .post('/v1/evaluations')
        .set('X-API-Key', `wrong-${String(i)}`)
        .send(body);
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401).length).toBe(60);
    expect(statuses.slice(60)).toEqual(Array.from({ length: 10 }, () => 429));

    const blocked = await request(app).get('/v1/ruleset').set('X-API-Key', KEY);
    expect(blocked.status).toBe(429);
    expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(blocked.body).toMatchObject({ status: 429, code: 'TOO-MANY-REQUESTS' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    clock += 1000;
    const after = await request(app).get('/v1/ruleset').set('X-API-Key', KEY);
    expect(after.status).toBe(200);
  });

  it('when requests without any credential are refused, then they count as failures too (the fast path included)', async () => {
    const { app } = appWith({ auth, authFailuresPerMinute: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await request(app).post('/v1/evaluations').send(body)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('when the credentials are good, then they never use up the failure budget', async () => {
    const { app } = appWith({ auth, authFailuresPerMinute: 2 });
    for (let i = 0; i < 10; i++)
      expect((await request(app).get('/v1/ruleset').set('X-API-Key', KEY)).status).toBe(200);
    const res = await request(app).get('/v1/ruleset').set('X-API-Key', 'wrong');
    expect(res.status).toBe(401);
  });

  it('when AUTH_FAILURES_PER_MINUTE is not set, then the service bounds failures at 30 per minute; 0 turns it off', () => {
    expect(loadConfig({}).authFailuresPerMinute).toBe(30);
    expect(loadConfig({ AUTH_FAILURES_PER_MINUTE: '0' }).authFailuresPerMinute).toBe(0);
    expect(() => loadConfig({ AUTH_FAILURES_PER_MINUTE: '-1' })).toThrow();
  });
});
