import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { makeApp, ROOT } from '../support/app';
import { appWith, sha256Hex } from './support';

const MARKER = 'ZZMARKERZZ';
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const readmeRequest = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8'),
) as Json;

/** Every request obtained by putting the marker into one place of the README request. */
function markedVariants(value: Json): Json[] {
  const out: Json[] = [];
  const visit = (node: Json, replace: (v: Json) => Json): void => {
    if (typeof node === 'string') {
      out.push(replace(`${node}${MARKER}`), replace(MARKER), replace(`${MARKER} ${node}`));
    } else if (typeof node === 'number' || typeof node === 'boolean') {
      out.push(replace(MARKER), replace([MARKER]));
    } else if (Array.isArray(node)) {
      out.push(replace([...node, MARKER]));
      node.forEach((child, i) => {
        visit(child, (v) => replace(node.map((c, j) => (j === i ? v : c))));
      });
    } else if (node !== null) {
      out.push(replace({ ...node, [MARKER]: MARKER }));
      for (const [k, child] of Object.entries(node))
        visit(child, (v) => replace({ ...node, [k]: v }));
    }
  };
  visit(value, (v) => v);
  return out;
}

/** A request whose every string leaf carries the marker at once (free-text fields included). */
function allMarked(node: Json): Json {
  if (typeof node === 'string') return `${node} ${MARKER}`;
  if (Array.isArray(node)) return node.map(allMarked);
  if (node !== null && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, allMarked(v)]));
  return node;
}

describe('no patient data in logs (marker in every string field, logger at debug)', () => {
  it('when requests carry a marker in every field, path, query and header, then no log line at any level contains it', async () => {
    const dev = makeApp();
    const keyed = appWith({ auth: { apiKeyDigests: [sha256Hex('k')], adminKeyDigests: [] } });
    const variants = markedVariants(readmeRequest);
    expect(variants.length).toBeGreaterThan(50);

    const statuses = new Set<number>();
    const send = async (r: request.Test): Promise<void> => {
      statuses.add((await r).status);
    };
    for (const body of [...variants, allMarked(readmeRequest)]) {
      await send(
        request(dev.app)
          .post('/v1/evaluations')
          .send(body as object),
      );
    }
    // Free-text fields that are valid with a marker: the evaluation runs (200) and is logged.
    const meds = { attested: true, items: [{ name: `sertraline ${MARKER}`, status: 'active' }] };
    await send(
      request(dev.app)
        .post('/v1/evaluations?trace=full')
        .send({ ...(readmeRequest as object), medications: meds }),
    );
    const raw = `{"patient": {"age": "${MARKER}"`;
    await send(
      request(dev.app).post('/v1/evaluations').set('content-type', 'application/json').send(raw),
    );
    await send(
      request(dev.app).post('/v1/evaluations').set('content-type', `text/${MARKER}`).send(MARKER),
    );
    await send(
      request(dev.app)
        .post(`/v1/evaluations?${MARKER}=${MARKER}`)
        .send(readmeRequest as object),
    );
    await send(
      request(dev.app)
        .post(`/v1/evaluations?trace=${MARKER}`)
        .send(readmeRequest as object),
    );
    await send(request(dev.app).get(`/v1/rules/${MARKER}`));
    await send(request(dev.app).get(`/${MARKER}/patient`));
    await send(request(dev.app).get('/livez').set('X-Request-Id', `${MARKER} with spaces`));
    await send(
      request(dev.app)
        .post('/v1/evaluations')
        .set('content-type', 'application/json')
        .send(`{"${MARKER}":${'['.repeat(40)}`),
    );
    await send(
      request(dev.app)
        .post('/v1/evaluations')
        .send({ pad: MARKER.repeat(30000) }),
    );
    await send(request(keyed.app).get('/v1/ruleset').set('X-API-Key', MARKER));
    await send(
      request(keyed.app)
        .get('/v1/ruleset')
        .set('Authorization', `Bearer ${MARKER}.${MARKER}.${MARKER}`),
    );
    await send(request(keyed.app).post('/v1/admin/reload').set('X-API-Key', MARKER));
    // An unexpected error whose message carries the marker (logged at error level).
    const broken = makeApp();
    broken.store.get = () => {
      throw new Error(`failed on ${MARKER}`);
    };
    await send(
      request(broken.app)
        .post('/v1/evaluations')
        .send(allMarked(readmeRequest) as object),
    );

    const lines = [...dev.logs, ...keyed.logs, ...broken.logs];
    // The test only means something if requests were answered in every way and logged.
    expect([...statuses].sort()).toEqual(
      expect.arrayContaining([200, 400, 401, 404, 413, 415, 500]),
    );
    const levels = new Set(lines.map((l) => (JSON.parse(l) as { level: string }).level));
    expect(levels).toEqual(new Set(['info', 'error']));
    expect(lines.length).toBeGreaterThan(variants.length);
    expect(lines.filter((l) => l.includes(MARKER))).toEqual([]);
  });

  it('when debug, warn and error lines are written with fields outside the allow-list, then those fields are dropped', () => {
    const { logger, logs } = makeApp();
    const smuggled = { requestId: 'r1', patient: MARKER, body: MARKER, message2: MARKER } as never;
    logger.debug('d', smuggled);
    logger.info('i', smuggled);
    logger.warn('w', smuggled);
    logger.error('e', smuggled);
    const written = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(written.map((l) => l.level)).toEqual(['debug', 'info', 'warn', 'error']);
    for (const l of written) {
      expect(l.requestId).toBe('r1');
      expect(JSON.stringify(l)).not.toContain(MARKER);
    }
  });
});
