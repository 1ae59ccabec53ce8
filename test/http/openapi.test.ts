import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import type { RequestListener } from 'node:http';
import { createApp } from '../../src/http/app';
import { createReloader } from '../../src/http/reload';
import { RulesetStore } from '../../src/http/ruleset-store';
import { createLogger } from '../../src/lib/logger';
import { appWith, sha256Hex } from '../security/support';
import { makeApp, ROOT, RULES_DIR, shippedRuleset } from '../support/app';
import { makeRequest, phq9 } from '../support/factories';
import { raisedThreshold, removeTempDirs, SI_FILE, studioApp, TOKEN } from '../studio/support';

const KEY = 'openapi-user-key-0123456789';
const ADMIN = 'openapi-admin-key-0123456789';
const auth = { apiKeyDigests: [sha256Hex(KEY)], adminKeyDigests: [sha256Hex(ADMIN)] };

interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, Response> };
}
interface Operation {
  responses: Record<string, Response | { $ref: string }>;
}
interface Response {
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown }>;
}

async function servedDocument(): Promise<Doc> {
  const res = await request(makeApp().app).get('/openapi.json');
  expect(res.status).toBe(200);
  return res.body as Doc;
}

describe('the served /openapi.json', () => {
  it('when it is fetched, then @apidevtools/swagger-parser validates it (every $ref resolves)', async () => {
    const doc = await servedDocument();
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('when it is fetched, then Redocly lints it with no error and no unresolved reference', async () => {
    const doc = await servedDocument();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-openapi-'));
    const file = path.join(dir, 'served-openapi.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    try {
      const out = execFileSync(
        process.execPath,
        [
          path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'),
          'lint',
          '--config',
          path.join(ROOT, '.redocly.yaml'),
          file,
        ],
        { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
      expect(out).not.toMatch(/Can't resolve \$ref|no-unresolved-refs/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  it('when it is fetched, then no 200 answer is described as a bare object', async () => {
    const doc = await servedDocument();
    for (const [p, item] of Object.entries(doc.paths))
      for (const [m, op] of Object.entries(item)) {
        const ok = op.responses['200'] as Response;
        for (const media of Object.values(ok.content ?? {}))
          expect([`${m} ${p}`, media.schema]).not.toEqual([`${m} ${p}`, { type: 'object' }]);
      }
  });
});

describe('live answers match the served document', () => {
  let doc: Doc;
  let ajv: Ajv2020;
  const covered = new Set<string>();

  beforeAll(async () => {
    doc = await servedDocument();
    ajv = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi');
  });

  const pointer = (...parts: string[]): string =>
    parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

  /** Checks status, documented headers and body of one live answer against its operation. */
  function conforms(template: string, method: string, res: request.Response): void {
    const item = doc.paths[template] ?? {};
    // A method the path does not answer has no operation: its 405 is the one every operation
    // of the path documents.
    const opMethod = method in item ? method : res.status === 405 ? Object.keys(item)[0] : method;
    const op = opMethod === undefined ? undefined : item[opMethod];
    expect([method, template, op !== undefined]).toEqual([method, template, true]);
    const code = String(res.status);
    const documented = op?.responses[code];
    expect([method, template, code, documented !== undefined]).toEqual([
      method,
      template,
      code,
      true,
    ]);
    if (documented === undefined || op === undefined) return;
    let base = `openapi#/${pointer('paths', template, opMethod ?? method, 'responses', code)}`;
    let response = documented as Response;
    if ('$ref' in documented) {
      const name = documented.$ref.split('/').pop() ?? '';
      response = doc.components.responses[name] ?? {};
      base = `openapi#/${pointer('components', 'responses', name)}`;
    }
    for (const header of Object.keys(response.headers ?? {}))
      expect([code, header, res.headers[header.toLowerCase()] !== undefined]).toEqual([
        code,
        header,
        true,
      ]);
    const type = (res.headers['content-type'] ?? '').split(';')[0] ?? '';
    // An answer documented without content (CDS Hooks feedback's 200) has an empty body.
    if (response.content === undefined && res.text === '') {
      covered.add(`${method} ${template}`);
      return;
    }
    const media = response.content?.[type];
    expect([method, template, code, type, media !== undefined]).toEqual([
      method,
      template,
      code,
      type,
      true,
    ]);
    if (type.endsWith('json')) {
      const validate = ajv.getSchema(`${base}/${pointer('content', type, 'schema')}`);
      // NDJSON: every line is one instance of the documented schema.
      const bodies: unknown[] =
        type === 'application/x-ndjson'
          ? res.text
              .split('\n')
              .filter((l) => l !== '')
              .map((l) => JSON.parse(l) as unknown)
          : [JSON.parse(res.text) as unknown];
      for (const body of bodies) {
        const valid = validate?.(body) ?? false;
        expect([method, template, code, valid ? [] : validate?.errors]).toEqual([
          method,
          template,
          code,
          [],
        ]);
      }
    }
    covered.add(`${method} ${template}`);
  }

  async function exchange(
    app: RequestListener,
    method: 'get' | 'post' | 'delete' | 'put',
    url: string,
    template: string,
    prepare: (r: request.Test) => request.Test = (r) => r,
  ): Promise<void> {
    conforms(template, method, await prepare(request(app)[method](url)));
  }

  it('when representative requests are sent to every route, then each answer (status, headers, body) is one the document describes', async () => {
    const open = makeApp().app;
    const empty = makeApp({ ruleset: null }).app;
    const keyedStore = new RulesetStore();
    keyedStore.set(shippedRuleset());
    const logger = createLogger('error');
    const keyed = createApp({
      store: keyedStore,
      logger,
      auth,
      reload: createReloader(keyedStore, RULES_DIR, logger, () => undefined),
    });
    const limited = appWith({ auth, rateLimitPerMinute: 1 }).app;
    const withKey = (r: request.Test): request.Test => r.set('X-API-Key', KEY);
    const ev = '/v1/evaluations';

    await exchange(open, 'post', ev, ev, (r) => r.send(makeRequest()));
    await exchange(open, 'post', `${ev}?trace=full`, ev, (r) => r.send(makeRequest()));
    await exchange(open, 'post', ev, ev, (r) => r.type('json').send('{"a":'));
    await exchange(open, 'post', ev, ev, (r) => r.type('text').send('x'));
    await exchange(open, 'post', ev, ev, (r) =>
      r.send(
        makeRequest({ questionnaires: [{ ...phq9([1, 2, 1, 1, 1, 1, 1, 0, 0]), total: 12 }] }),
      ),
    );
    await exchange(open, 'post', ev, ev, (r) =>
      r.type('json').send(JSON.stringify({ pad: 'x'.repeat(300000) })),
    );
    await exchange(open, 'get', ev, ev);
    await exchange(empty, 'post', ev, ev, (r) => r.send(makeRequest()));
    await exchange(keyed, 'post', ev, ev, (r) => r.send(makeRequest()));
    await exchange(keyed, 'post', ev, ev, (r) => withKey(r).send(makeRequest()));
    await exchange(limited, 'post', ev, ev, (r) => withKey(r).send(makeRequest()));
    await exchange(limited, 'post', ev, ev, (r) => withKey(r).send(makeRequest()));

    await exchange(open, 'get', '/v1/ruleset', '/v1/ruleset');
    await exchange(open, 'delete', '/v1/ruleset', '/v1/ruleset');
    await exchange(empty, 'get', '/v1/ruleset', '/v1/ruleset');
    await exchange(keyed, 'get', '/v1/ruleset', '/v1/ruleset');

    const ids = ((await request(open).get('/v1/ruleset')).body as { rules: { id: string }[] })
      .rules;
    for (const { id } of ids) await exchange(open, 'get', `/v1/rules/${id}`, '/v1/rules/{id}');
    await exchange(open, 'get', '/v1/rules/nope', '/v1/rules/{id}');
    await exchange(open, 'get', '/v1/rules/%ZZ', '/v1/rules/{id}');
    await exchange(open, 'put', '/v1/rules/nope', '/v1/rules/{id}');

    await exchange(open, 'get', '/v1/catalog', '/v1/catalog');
    await exchange(keyed, 'get', '/v1/catalog', '/v1/catalog', withKey);

    const reload = '/v1/admin/reload';
    await exchange(keyed, 'post', reload, reload, (r) => r.set('X-API-Key', ADMIN));
    await exchange(keyed, 'post', reload, reload, withKey);
    await exchange(keyed, 'post', reload, reload);
    await exchange(keyed, 'get', reload, reload, (r) => r.set('X-API-Key', ADMIN));
    await exchange(open, 'post', reload, reload, (r) => r.set('X-API-Key', ADMIN));

    await exchange(open, 'get', '/openapi.json', '/openapi.json');
    await exchange(empty, 'get', '/openapi.json', '/openapi.json');
    await exchange(open, 'get', '/livez', '/livez');
    await exchange(open, 'post', '/livez', '/livez');
    await exchange(open, 'get', '/readyz', '/readyz');
    await exchange(empty, 'get', '/readyz', '/readyz');
    await exchange(open, 'get', '/metrics', '/metrics');
    await exchange(open, 'delete', '/metrics', '/metrics');

    // The batch channel: NDJSON in, NDJSON out (its lines are checked in test/http/batch.test.ts).
    const batch = `${ev}/batch`;
    const lines = `${JSON.stringify(makeRequest())}\n{\n`;
    await exchange(open, 'post', batch, batch, (r) => r.type('application/x-ndjson').send(lines));
    await exchange(open, 'post', batch, batch, (r) => r.type('json').send('{}'));

    // CDS Hooks (open in development mode without CDS clients), with the README's examples.
    const example = (name: string): unknown =>
      JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'cds-hooks', name), 'utf8'));
    const review = '/cds-services/neurotransmitter-balance-review';
    await exchange(open, 'get', '/cds-services', '/cds-services');
    await exchange(open, 'post', review, '/cds-services/{id}', (r) =>
      r.send(example('patient-view.json') as object),
    );
    await exchange(open, 'post', '/cds-services/nope', '/cds-services/{id}', (r) =>
      r.send(example('patient-view.json') as object),
    );
    await exchange(open, 'post', `${review}/feedback`, '/cds-services/{id}/feedback', (r) =>
      r.send(example('feedback.json') as object),
    );

    // The rule book.
    await exchange(open, 'get', '/rules', '/rules');
    await exchange(open, 'get', `/rules/${ids[0]?.id ?? ''}`, '/rules/{id}');
    await exchange(open, 'get', '/rules/nope', '/rules/{id}');

    // The rule studio (development mode, on a copy of rules/).
    const studio = studioApp().app;
    const token = (r: request.Test): request.Test => r.set('X-Studio-Token', TOKEN);
    await exchange(studio, 'get', '/studio', '/studio');
    await exchange(studio, 'get', '/studio/api/state', '/studio/api/state');
    const caseName = '004-item9-with-low-total-defers-supplements';
    await exchange(studio, 'get', `/studio/api/case?name=${caseName}`, '/studio/api/case');
    await exchange(studio, 'get', `/studio/api/file?path=${SI_FILE}`, '/studio/api/file');
    const text = fs.readFileSync(path.join(RULES_DIR, SI_FILE), 'utf8');
    const changed = raisedThreshold(text);
    await exchange(studio, 'post', '/studio/api/run', '/studio/api/run', (r) =>
      token(r).send({ request: makeRequest() }),
    );
    await exchange(studio, 'post', '/studio/api/check', '/studio/api/check', (r) =>
      token(r).send({ path: SI_FILE, text: changed }),
    );
    await exchange(studio, 'post', '/studio/api/impact', '/studio/api/impact', (r) =>
      token(r).send({ path: SI_FILE, text: changed }),
    );
    await exchange(studio, 'post', '/studio/api/save', '/studio/api/save', (r) =>
      token(r).send({ path: SI_FILE, text: changed }),
    );
    await exchange(studio, 'post', '/studio/api/save', '/studio/api/save', (r) =>
      token(r).send({ path: SI_FILE, text: changed, bump: true }),
    );
    removeTempDirs();

    const every = Object.entries(doc.paths).flatMap(([p, item]) =>
      Object.keys(item).map((m) => `${m} ${p}`),
    );
    expect(every.filter((op) => !covered.has(op))).toEqual([]);
  }, 60000);
});
