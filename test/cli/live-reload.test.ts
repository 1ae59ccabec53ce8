import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import Transport from 'winston-transport';
import { createApp } from '../../src/http/app';
import { createReloader } from '../../src/http/reload';
import { isLoopback } from '../../src/http/routes/admin';
import { RulesetStore } from '../../src/http/ruleset-store';
import { createLogger } from '../../src/lib/logger';
import { loadRuleset } from '../../src/engine/ruleset';
import { createAjv, readSchema } from '../../src/lib/schemas';
import { createOffThreadLoader } from '../../src/engine/off-thread';
import { watchRules } from '../../src/rules/watch';
import { ensureBuilt } from '../ops/process';
import { ROOT } from '../support/app';
import type { RulesWatcher } from '../../src/rules/watch';
import { cli, FIXTURES, fixtureRules, removeTempDirs } from './support';

class MemoryTransport extends Transport {
  readonly lines: string[] = [];
  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

const ADMIN_KEY = 'cli-test-admin-key-0123456789abcdef';
const watchers: RulesWatcher[] = [];

afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
});
afterAll(removeTempDirs);

/** `watch: true` is `npm run dev` (development mode); `watch: false` an admin-keyed production server. */
function serve(options: { watch: boolean }) {
  const rules = fixtureRules();
  const loaded = loadRuleset(rules);
  if (!loaded.ok) throw new Error('fixture ruleset does not load');
  const store = new RulesetStore();
  store.set(loaded.ruleset);
  const transport = new MemoryTransport();
  const logger = createLogger('debug', [transport]);
  const stderr: string[] = [];
  const reload = createReloader(store, rules, logger, (line) => stderr.push(line), {
    development: options.watch,
  });
  const watcher = options.watch
    ? watchRules(rules, () => void reload(), { debounceMs: 50 })
    : undefined;
  if (watcher) watchers.push(watcher);
  const app = createApp({
    store,
    logger,
    reload,
    auth: {
      apiKeyDigests: [],
      adminKeyDigests: [createHash('sha256').update(ADMIN_KEY).digest('hex')],
    },
  });
  return {
    app,
    rules,
    logs: transport.lines,
    stderr,
    hash: loaded.ruleset.hash,
    ready: watcher?.ready ?? Promise.resolve(),
  };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pheoVersion = (body: { rules: { id: string; version: number }[] }): number | undefined =>
  body.rules.find((r) => r.id === 'red-flag.pheochromocytoma')?.version;

const at2_5x = {
  patient: { age: 50, sex: 'female', pregnancy: 'not-pregnant' },
  medications: { attested: true, items: [] },
  biomarkers: [
    { analyte: 'normetanephrine', value: 250, unit: 'ug/g', referenceRange: { low: 0, high: 100 } },
  ],
};

const variantFile = (variant: string, rel: string): string =>
  fs.readFileSync(path.join(FIXTURES, 'variants', variant, rel), 'utf8');

describe('live reload (npm run dev watches rules/)', () => {
  it('when a rule file is edited well, then the new ruleset is swapped in whole and answers at once', async () => {
    const { app, rules, hash, ready } = serve({ watch: true });
    await ready;
    const before = await request(app).post('/v1/evaluations').send(at2_5x);
    expect(before.body.redFlags).toEqual([]);

    fs.writeFileSync(
      path.join(rules, 'red-flags', 'pheochromocytoma.yaml'),
      variantFile('v2', 'red-flags/pheochromocytoma.yaml'),
    );
    const body = await until(async () => {
      const res = await request(app).get('/v1/ruleset');
      const info = res.body as {
        hash: string;
        lastReloadError: unknown;
        validation: { status: string; problems: { code: string }[] };
      } & Parameters<typeof pheoVersion>[0];
      return pheoVersion(info) === 2 ? info : undefined;
    }, 'the v2 rule to be served');
    expect(body.hash).not.toBe(hash);
    expect(body.lastReloadError).toBeNull();
    // Bumped but not yet locked (nor the ruleset version raised): development mode serves it,
    // and says loudly that it fails validation.
    expect(body.validation.status).toBe('failed');
    expect(body.validation.problems.map((p: { code: string }) => p.code)).toEqual(
      expect.arrayContaining(['RULE-LOCK-OUTDATED', 'RULESET-VERSION-NOT-BUMPED']),
    );
    const readyz = await request(app).get('/readyz');
    expect(readyz.body.ruleset.validation.status).toBe('failed');

    const after = await request(app).post('/v1/evaluations').send(at2_5x);
    expect(after.body.redFlags.map((f: { code: string }) => f.code)).toEqual(['RF-PHEO']);
  });

  it('when an edit breaks a rule, then the last good ruleset keeps serving and /readyz and /v1/ruleset show the problems', async () => {
    const { app, rules, hash, logs, stderr, ready: watching } = serve({ watch: true });
    await watching;
    fs.writeFileSync(
      path.join(rules, 'safety', 'sero-maoi.yaml'),
      variantFile('schema', 'safety/sero-maoi.yaml'),
    );
    const ready = await until(async () => {
      const res = await request(app).get('/readyz');
      return res.body.lastReloadError ? res : undefined;
    }, 'the reload error');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.ruleset.hash).toBe(hash);
    expect(ready.body.lastReloadError.issues).toEqual([
      {
        code: 'SCHEMA',
        message: 'missing property "grade" at /rules/0/evidence',
        file: 'rules/safety/sero-maoi.yaml',
        line: 10,
        column: 7,
        text: 'rules/safety/sero-maoi.yaml:10:7  SCHEMA  missing property "grade" at /rules/0/evidence',
      },
    ]);

    const info = await request(app).get('/v1/ruleset');
    expect(info.body.hash).toBe(hash);
    expect(info.body.lastReloadError.issues[0].code).toBe('SCHEMA');
    expect(typeof info.body.lastReloadError.at).toBe('string');

    // Still serving the old rules: the MAOI block works.
    const res = await request(app)
      .post('/v1/evaluations')
      .send({
        patient: { age: 45, sex: 'male' },
        medications: { attested: true, items: [{ name: 'phenelzine', status: 'active' }] },
        requested: ['5-htp'],
      });
    expect(res.body.interventions[0]).toMatchObject({ id: '5-htp', status: 'blocked' });

    // The file:line:column lines go to stderr; the structured log carries codes only.
    expect(stderr).toContain(
      'rules/safety/sero-maoi.yaml:10:7  SCHEMA  missing property "grade" at /rules/0/evidence',
    );
    const rejected = logs
      .map((l) => JSON.parse(l) as { message: string; issues?: string[] })
      .filter((l) => l.message.includes('reload rejected'));
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]?.issues).toEqual(['SCHEMA']);
    expect(logs.join('\n')).not.toContain('sero-maoi.yaml');

    // Fixing the file clears the error.
    fs.writeFileSync(
      path.join(rules, 'safety', 'sero-maoi.yaml'),
      fs.readFileSync(path.join(FIXTURES, 'rules', 'safety', 'sero-maoi.yaml'), 'utf8'),
    );
    await until(async () => {
      const r = await request(app).get('/readyz');
      return r.body.lastReloadError === undefined ? r : undefined;
    }, 'the error to clear');
  });
});

describe('the watcher never goes stale (chokidar): rename-saves, in-place saves, new files, deletions', () => {
  const hashOf = async (app: ReturnType<typeof serve>['app']): Promise<string> =>
    ((await request(app).get('/readyz')).body as { ruleset: { hash: string } }).ruleset.hash;

  /** Waits until /readyz serves a hash other than `previous`, and returns it. */
  const nextHash = (app: ReturnType<typeof serve>['app'], previous: string, what: string) =>
    until(async () => {
      const h = await hashOf(app);
      return h !== previous ? h : undefined;
    }, what);

  /** A save by rename, as `sed -i`, vim and `git checkout` do: a new file (inode) moved over. */
  const renameSave = (file: string, text: string): void => {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.swp`);
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, file);
  };

  it('when one file is saved by rename again and again (and in place in between), then every save is served, and /readyz never reports a stale hash', async () => {
    const { app, rules, hash, ready } = serve({ watch: true });
    await ready;
    const file = path.join(rules, 'red-flags', 'pheochromocytoma.yaml');
    const original = fs.readFileSync(file, 'utf8');
    let served = hash;
    for (let i = 1; i <= 3; i++) {
      renameSave(file, `${original}# rename-save ${String(i)}\n`);
      served = await nextHash(app, served, `rename-save ${String(i)} to be served`);
      fs.writeFileSync(file, `${original}# in-place save ${String(i)}\n`);
      served = await nextHash(app, served, `in-place save ${String(i)} to be served`);
    }
    // The last save carries the semantic change: the v2 rule answers.
    renameSave(file, variantFile('v2', 'red-flags/pheochromocytoma.yaml'));
    await until(async () => {
      const res = await request(app).get('/v1/ruleset');
      return pheoVersion(res.body as Parameters<typeof pheoVersion>[0]) === 2 ? res : undefined;
    }, 'the v2 rule after a rename-save');
  });

  it('when a file is created and then deleted, then each is picked up (a stray file is rejected, its deletion clears the error)', async () => {
    const { app, rules, hash, ready } = serve({ watch: true });
    await ready;
    fs.mkdirSync(path.join(rules, 'notes'));
    fs.writeFileSync(path.join(rules, 'notes', 'todo.yaml'), 'todo: true\n');
    const rejected = await until(async () => {
      const res = await request(app).get('/readyz');
      return res.body.lastReloadError ? res : undefined;
    }, 'the new file to be seen');
    expect(rejected.body.ruleset.hash).toBe(hash);
    expect(rejected.body.lastReloadError.issues[0].code).toBe('RULESET-UNEXPECTED-FILE');

    fs.rmSync(path.join(rules, 'notes'), { recursive: true });
    await until(async () => {
      const res = await request(app).get('/readyz');
      return res.body.lastReloadError === undefined ? res : undefined;
    }, 'the deletion to be seen');

    // A new rule-folder file that is not a valid rule, then its deletion.
    const extra = path.join(rules, 'findings', 'extra.yaml');
    fs.writeFileSync(extra, 'rules: []\n');
    await until(async () => {
      const res = await request(app).get('/readyz');
      return res.body.lastReloadError ? res : undefined;
    }, 'the new rule file to be seen');
    fs.unlinkSync(extra);
    await until(async () => {
      const res = await request(app).get('/readyz');
      return res.body.lastReloadError === undefined ? res : undefined;
    }, 'the deleted rule file to be seen');
  });
});

describe('reloads run off the main thread (engine/off-thread.ts)', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 120000);

  it('when a reload of the shipped rules runs on the worker, then requests sent meanwhile are answered before it finishes and the new ruleset is served', async () => {
    const loader = createOffThreadLoader();
    try {
      const loaded = loadRuleset(path.join(ROOT, 'rules'));
      if (!loaded.ok) throw new Error('shipped rules do not load');
      const store = new RulesetStore();
      store.set(loaded.ruleset);
      const logger = createLogger('error');
      const reload = createReloader(store, path.join(ROOT, 'rules'), logger, () => undefined, {
        load: (dir, options) => loader.load(dir, options),
      });
      const app = createApp({ store, logger, reload });
      await reload(); // the worker is up and has compiled its schemas
      const before = store.get();

      let reloaded = false;
      const reloading = reload().then((outcome) => {
        reloaded = true;
        return outcome;
      });
      const answeredDuringReload: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await request(app).get('/livez');
        expect(res.status).toBe(200);
        answeredDuringReload.push(!reloaded);
      }
      const outcome = await reloading;
      expect(answeredDuringReload).toEqual([true, true, true]);
      expect(outcome.ok).toBe(true);
      // A fresh, whole ruleset was swapped in (same files, so unchanged; still a full load).
      expect(store.get()?.ruleset.hash).toBe(before?.ruleset.hash);
      const res = await request(app).post('/v1/evaluations').send(at2_5x);
      expect(res.status).toBe(200);
    } finally {
      await loader.close();
    }
  }, 60000);

  it('when the worker loads a broken ruleset, then its issues come back and the last good ruleset keeps serving', async () => {
    const loader = createOffThreadLoader();
    try {
      const rules = fixtureRules('schema');
      const result = await loader.load(rules, { development: false });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues.map((i) => i.code)).toContain('SCHEMA');
      const good = await loader.load(fixtureRules(), { development: false });
      expect(good.ok).toBe(true);
    } finally {
      await loader.close();
    }
  }, 60000);
});

describe('POST /v1/admin/reload', () => {
  it('when the ruleset on disk is good, then an admin on loopback reloads it', async () => {
    const { app, rules } = serve({ watch: false });
    // A release as an author makes it: the rule bumped, the ruleset version raised, the lock updated.
    for (const rel of ['red-flags/pheochromocytoma.yaml', 'manifest.yaml'])
      fs.writeFileSync(path.join(rules, rel), variantFile('v2', rel));
    expect(
      (await cli(['validate', '--rules', rules, '--no-cases', '--update-lock'], rules)).code,
    ).toBe(0);
    const res = await request(app).post('/v1/admin/reload').set('x-api-key', ADMIN_KEY);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('reloaded');
    // The answer is the one schemas/openapi.json documents (ReloadAnswer).
    const openapi = readSchema('openapi.json') as {
      components: { schemas: Record<string, object> };
    };
    const documented = createAjv().compile(openapi.components.schemas.ReloadAnswer ?? false);
    expect(documented(res.body)).toBe(true);
    expect(pheoVersion((await request(app).get('/v1/ruleset')).body)).toBe(2);

    const again = await request(app).post('/v1/admin/reload').set('x-api-key', ADMIN_KEY);
    expect(again.body.status).toBe('unchanged');
  });

  it('when a rule changed and was bumped but not released (no lock, no ruleset version), then production refuses it: 422 RULESET-REJECTED', async () => {
    const { app, rules, hash } = serve({ watch: false });
    fs.writeFileSync(
      path.join(rules, 'red-flags', 'pheochromocytoma.yaml'),
      variantFile('v2', 'red-flags/pheochromocytoma.yaml'),
    );
    const res = await request(app).post('/v1/admin/reload').set('x-api-key', ADMIN_KEY);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('RULESET-REJECTED');
    expect(res.body.detail).toContain('RULESET-VERSION-NOT-BUMPED');
    expect(res.body.detail).toContain('RULE-LOCK-OUTDATED');
    const info = (await request(app).get('/v1/ruleset')).body;
    expect(info.hash).toBe(hash);
    expect(info.validation.status).toBe('passed');
  });

  it('when the ruleset on disk is bad, then 422 RULESET-REJECTED and the old one keeps serving', async () => {
    const { app, rules, hash } = serve({ watch: false });
    fs.writeFileSync(path.join(rules, 'safety', 'sero-maoi.yaml'), 'rules: [\n');
    const res = await request(app).post('/v1/admin/reload').set('x-api-key', ADMIN_KEY);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('RULESET-REJECTED');
    expect(res.body.detail).toContain('YAML-SYNTAX');
    expect((await request(app).get('/v1/ruleset')).body.hash).toBe(hash);
  });

  it('when no admin key is sent, then the reload is refused', async () => {
    const { app } = serve({ watch: false });
    const res = await request(app).post('/v1/admin/reload');
    expect(res.status).toBe(401);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:192.168.1.4', false],
    ['fe80::1', false],
    [undefined, false],
  ])('when the peer address is %s, then loopback is %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected);
  });
});
