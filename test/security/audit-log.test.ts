import request from 'supertest';
import type { AuthConfig } from '../../src/config';
import { makeRequest } from '../support/factories';
import { shippedRuleset } from '../support/app';
import { appWith, sha256Hex } from './support';

/**
 * The access log is the audit record: each request line says which evaluation it was, which
 * ruleset answered, and who called — a key by the first 16 hex digits of its SHA-256 digest
 * (what the operator configured in AUTH_API_KEYS), never the key itself.
 */
const KEY = 'audit-user-key-0123456789abcdef';
const ADMIN = 'audit-admin-key-0123456789abcdef';
const auth: AuthConfig = { apiKeyDigests: [sha256Hex(KEY)], adminKeyDigests: [sha256Hex(ADMIN)] };
const KEY_ID = `key:${sha256Hex(KEY).slice(0, 16)}`;

type Line = Record<string, unknown>;
const requestLines = (logs: string[]): Line[] =>
  logs.map((l) => JSON.parse(l) as Line).filter((l) => l.message === 'request');

describe('audit fields on access-log request lines', () => {
  it.each([
    ['the fast path', true],
    ['the Express route', false],
  ] as const)(
    'when a keyed caller evaluates through %s, then the line carries the evaluation id, the ruleset hash and the key id, not the key',
    async (_path, fastPath) => {
      const { app, logs } = appWith({ auth, fastPath });
      const res = await request(app)
        .post('/v1/evaluations')
        .set('X-API-Key', KEY)
        .send(makeRequest());
      expect(res.status).toBe(200);
      const [line] = requestLines(logs);
      expect(line).toMatchObject({
        route: '/v1/evaluations',
        status: 200,
        evaluationId: (res.body as { evaluationId: string }).evaluationId,
        rulesetHash: shippedRuleset().hash,
        caller: KEY_ID,
      });
      expect(logs.join('\n')).not.toContain(KEY);
    },
  );

  it('when two callers use two keys, then their lines name two different key ids, and an admin key is named the same way', async () => {
    const { app, logs } = appWith({ auth });
    await request(app).get('/v1/ruleset').set('X-API-Key', KEY);
    await request(app).post('/v1/admin/reload').set('X-API-Key', ADMIN);
    const callers = requestLines(logs).map((l) => l.caller);
    expect(callers).toEqual([KEY_ID, `key:${sha256Hex(ADMIN).slice(0, 16)}`]);
    for (const c of callers) expect(c).toMatch(/^key:[0-9a-f]{16}$/);
  });

  it('when a request is not an evaluation, then its line has the served ruleset hash and the caller but no evaluation id', async () => {
    const { app, logs } = appWith({ auth });
    await request(app).get('/v1/catalog').set('X-API-Key', KEY);
    await request(app).get('/livez');
    const [catalog, livez] = requestLines(logs);
    expect(catalog).toMatchObject({ rulesetHash: shippedRuleset().hash, caller: KEY_ID });
    expect(catalog).not.toHaveProperty('evaluationId');
    expect(livez).toMatchObject({ route: '/livez', rulesetHash: shippedRuleset().hash });
    expect(livez).not.toHaveProperty('caller');
  });

  it('when a credential is refused, then the line names no caller and no evaluation', async () => {
    const { app, logs } = appWith({ auth });
    const res = await request(app)
      .post('/v1/evaluations')
      .set('X-API-Key', 'not-a-key')
      .send(makeRequest());
    expect(res.status).toBe(401);
    const [line] = requestLines(logs);
    expect(line).toMatchObject({ status: 401, problemCode: 'UNAUTHORIZED' });
    expect(line).not.toHaveProperty('caller');
    expect(line).not.toHaveProperty('evaluationId');
    expect(logs.join('\n')).not.toContain('not-a-key');
  });

  it('when the service runs without authentication (development), then the caller is "development", not an address', async () => {
    const { app, logs } = appWith();
    await request(app).post('/v1/evaluations').send(makeRequest());
    const [line] = requestLines(logs);
    expect(line).toMatchObject({ caller: 'development' });
    expect(typeof line!.evaluationId).toBe('string');
  });
});
