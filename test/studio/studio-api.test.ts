import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { RULES_DIR } from '../support/app';
import { raisedThreshold, removeTempDirs, SI_FILE, studioApp, tempDir, TOKEN } from './support';

afterAll(removeTempDirs);

const post = (app: ReturnType<typeof studioApp>['app'], url: string, body: unknown) =>
  request(app)
    .post(url)
    .set('X-Studio-Token', TOKEN)
    .send(body as object);

function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
}

const repoRulesHash = (): string => {
  const h = createHash('sha256');
  for (const f of fs.readdirSync(RULES_DIR, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(RULES_DIR, f);
    if (fs.statSync(file).isFile()) h.update(f).update(fs.readFileSync(file));
  }
  return h.digest('hex');
};

describe('rule studio: where it answers', () => {
  it('when authentication is configured (not development mode), then /studio and its API answer 404', async () => {
    const { app } = studioApp({
      auth: { apiKeyDigests: ['a'.repeat(64)], adminKeyDigests: [] },
    });
    expectProblem(await request(app).get('/studio'), 404, 'NOT-FOUND');
    expectProblem(await request(app).get('/studio/api/state'), 404, 'NOT-FOUND');
    expectProblem(
      await post(app, '/studio/api/save', { path: SI_FILE, text: 'x' }),
      404,
      'NOT-FOUND',
    );
  });

  it('when the Host header is not loopback (DNS rebinding), then 403 even for the page', async () => {
    const { app } = studioApp();
    for (const host of ['evil.example', 'evil.example:19500', '127.0.0.1.evil.example'])
      expectProblem(await request(app).get('/studio').set('Host', host), 403, 'FORBIDDEN');
  });

  it('when the page is asked for, then it carries the write token and only external scripts', async () => {
    const { app } = studioApp();
    const res = await request(app).get('/studio');
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<meta name="studio-token" content="${TOKEN}">`);
    expect(res.text).toContain('<script src="/studio/assets/studio.js" defer></script>');
    expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('rule studio: writes need the page token', () => {
  it.each([
    ['no token', (r: request.Test) => r],
    ['a wrong token', (r: request.Test) => r.set('X-Studio-Token', 'guess')],
    ['the token as a cookie only', (r: request.Test) => r.set('Cookie', `studio-token=${TOKEN}`)],
  ])('when a POST comes with %s, then 403 and nothing is written', async (_name, withAuth) => {
    const { app, rulesDir } = studioApp();
    const file = path.join(rulesDir, SI_FILE);
    const before = fs.readFileSync(file, 'utf8');
    const res = await withAuth(request(app).post('/studio/api/save')).send({
      path: SI_FILE,
      text: raisedThreshold(before).replace('version: 1', 'version: 2'),
      bump: true,
    });
    expectProblem(res, 403, 'FORBIDDEN');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('when a cross-site form posts text/plain without the header, then 403', async () => {
    const { app } = studioApp();
    const res = await request(app)
      .post('/studio/api/save')
      .set('Content-Type', 'text/plain')
      .set('Origin', 'https://evil.example')
      .send('{"path":"red-flags/x.yaml","text":"rules: []"}');
    expectProblem(res, 403, 'FORBIDDEN');
  });
});

describe('rule studio: paths outside rules/ are refused', () => {
  const bad = [
    '../manifest.yaml',
    '../../package.json',
    'red-flags/../../outside.yaml',
    '/etc/passwd',
    path.join(tempDir(), 'abs.yaml'),
    '%2e%2e/outside.yaml',
    '..%2Foutside.yaml',
    'red-flags\\..\\..\\outside.yaml',
    'red-flags/./mania.yaml',
    'ruleset.lock',
    'red-flags/mania.yaml\u0000.txt',
    '',
  ];

  it.each(bad)(
    'when the path is %j, then reading and saving answer 400 RULE-PATH-REFUSED',
    async (p) => {
      const { app } = studioApp();
      expectProblem(
        await request(app).get('/studio/api/file').query({ path: p }),
        400,
        'RULE-PATH-REFUSED',
      );
      expectProblem(
        await post(app, '/studio/api/save', { path: p, text: 'rules: []\n', bump: true }),
        400,
        'RULE-PATH-REFUSED',
      );
    },
  );

  it('when a rule file under rules/ is a symbolic link to a file outside, then it is refused', async () => {
    const { app, rulesDir } = studioApp();
    const outside = path.join(tempDir(), 'outside.yaml');
    fs.writeFileSync(outside, 'secret: true\n');
    fs.symlinkSync(outside, path.join(rulesDir, 'red-flags', 'linked.yaml'));
    expectProblem(
      await request(app).get('/studio/api/file').query({ path: 'red-flags/linked.yaml' }),
      400,
      'RULE-PATH-REFUSED',
    );
    expectProblem(
      await post(app, '/studio/api/save', { path: 'red-flags/linked.yaml', text: 'rules: []\n' }),
      400,
      'RULE-PATH-REFUSED',
    );
    expect(fs.readFileSync(outside, 'utf8')).toBe('secret: true\n');
  });

  it('when a folder under rules/ is a symbolic link, then files through it are refused', async () => {
    const { app, rulesDir } = studioApp();
    const outsideDir = tempDir();
    fs.symlinkSync(outsideDir, path.join(rulesDir, 'linked'));
    expectProblem(
      await post(app, '/studio/api/save', { path: 'linked/new.yaml', text: 'rules: []\n' }),
      400,
      'RULE-PATH-REFUSED',
    );
    expect(fs.readdirSync(outsideDir)).toEqual([]);
  });
});

describe('rule studio: cases, check, impact and save', () => {
  it('when the state is read, then it lists the rule files and the regression cases', async () => {
    const { app } = studioApp();
    const res = await request(app).get('/studio/api/state');
    expect(res.status).toBe(200);
    expect(res.body.files).toContain(SI_FILE);
    expect(res.body.files).toContain('catalog/facts.yaml');
    expect(res.body.cases.length).toBeGreaterThan(100);
    expect(res.body.ruleset.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('when a case is run, then the answer has the full trace and says why an option is not offered', async () => {
    const { app } = studioApp();
    const c = await request(app)
      .get('/studio/api/case')
      .query({ name: '004-item9-with-low-total-defers-supplements' });
    const res = await post(app, '/studio/api/run', { request: c.body.request });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    expect(res.body.response.redFlags.map((f: { code: string }) => f.code)).toContain('RF-SI');
    expect(res.body.response.notFired.length).toBeGreaterThan(0);
    const saffron = res.body.whyNot.find(
      (w: { intervention: string }) => w.intervention === 'saffron',
    );
    expect(saffron.status).toBe('deferred');
    expect(saffron.reasons.map((r: { code: string }) => r.code)).toContain('RF-SI');
    const notOffered = res.body.whyNot.filter(
      (w: { status: string; rules: unknown[] }) => w.status === 'not offered' && w.rules.length > 0,
    );
    expect(notOffered.length).toBeGreaterThan(0);
    expect(notOffered[0].rules[0].failed).toEqual(expect.any(String));
  });

  it('when an edit breaks the schema, then check reports file:line:column from the real loader', async () => {
    const { app, rulesDir } = studioApp();
    const text = fs.readFileSync(path.join(rulesDir, SI_FILE), 'utf8');
    const res = await post(app, '/studio/api/check', {
      path: SI_FILE,
      text: text.replace('    kind: red-flag\n', '    kind: red-flag\n    colour: blue\n'),
    });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(false);
    expect(res.body.issues[0]).toMatchObject({ file: `rules/${SI_FILE}`, line: 7, code: 'SCHEMA' });
    expect(res.body.issues[0].text).toMatch(
      /^rules\/red-flags\/suicidal-ideation\.yaml:7:\d+ +SCHEMA/,
    );
  });

  it('when a threshold is raised, then check asks for a bump and impact counts the changed cases and failing expectations', async () => {
    const { app, rulesDir, store } = studioApp({ syntheticCount: 200 });
    const servedHash = store.get()?.ruleset.hash;
    const text = raisedThreshold(fs.readFileSync(path.join(rulesDir, SI_FILE), 'utf8'));
    const check = await post(app, '/studio/api/check', { path: SI_FILE, text });
    expect(check.body.ok).toBe(true);
    expect(check.body.bumps).toEqual([
      expect.objectContaining({
        ruleId: 'red-flag.suicidal-ideation.any',
        from: 1,
        to: 2,
        line: 4,
      }),
    ]);
    const impact = await post(app, '/studio/api/impact', { path: SI_FILE, text });
    expect(impact.status).toBe(200);
    expect(impact.body.regressionCases).toBeGreaterThan(100);
    expect(impact.body.syntheticPatients).toBe(200);
    expect(impact.body.changed.regression).toBeGreaterThan(0);
    const group = impact.body.groups.find(
      (g: { rule: string }) => g.rule === 'red-flag.suicidal-ideation.any',
    );
    expect(group.regression).toBeGreaterThan(0);
    expect(group.items[0].before.redFlags).toHaveProperty('RF-SI');
    expect(group.items[0].after.redFlags).not.toHaveProperty('RF-SI');
    expect(impact.body.failures.map((f: { case: string }) => f.case)).toContain(
      '004-item9-with-low-total-defers-supplements',
    );
    // Nothing was saved or served.
    expect(store.get()?.ruleset.hash).toBe(servedHash);
    expect(fs.readFileSync(path.join(rulesDir, SI_FILE), 'utf8')).not.toBe(text);
  });

  it('when the edited ruleset does not load, then impact answers 422 RULE-FILE-REJECTED', async () => {
    const { app } = studioApp();
    const res = await post(app, '/studio/api/impact', { path: SI_FILE, text: 'rules: [' });
    expectProblem(res, 422, 'RULE-FILE-REJECTED');
    expect(res.body.errors[0].message).toMatch(
      /^rules\/red-flags\/suicidal-ideation\.yaml:\d+:\d+/,
    );
  });

  it('when a changed rule is saved without a bump, then 409 and nothing is written; with the bump, file, lock and served hash change', async () => {
    const repoBefore = repoRulesHash();
    const { app, rulesDir, store } = studioApp();
    const file = path.join(rulesDir, SI_FILE);
    const original = fs.readFileSync(file, 'utf8');
    const lockBefore = fs.readFileSync(path.join(rulesDir, 'ruleset.lock'), 'utf8');
    const hashBefore = store.get()?.ruleset.hash;
    const text = raisedThreshold(original);

    const refused = await post(app, '/studio/api/save', { path: SI_FILE, text });
    expectProblem(refused, 409, 'VERSION-BUMP-NEEDED');
    expect(refused.body.detail).toContain('red-flag.suicidal-ideation.any: v1 → v2');
    expect(fs.readFileSync(file, 'utf8')).toBe(original);

    const saved = await post(app, '/studio/api/save', { path: SI_FILE, text, bump: true });
    expect(saved.status).toBe(200);
    expect(saved.body.bumped).toEqual([expect.objectContaining({ from: 1, to: 2 })]);
    const written = fs.readFileSync(file, 'utf8');
    expect(written).toBe(saved.body.text);
    expect(written).toContain('value: 2 }');
    expect(written.split('\n')[3]).toBe('    version: 2');
    // Only the version line differs from the edit: comments and layout are kept.
    expect(written.replace('    version: 2\n', '    version: 1\n')).toBe(text);
    const lock = fs.readFileSync(path.join(rulesDir, 'ruleset.lock'), 'utf8');
    expect(lock).not.toBe(lockBefore);
    expect(lock).toMatch(/"red-flag\.suicidal-ideation\.any": \{ "version": 2,/);
    expect(saved.body.ruleset.hash).not.toBe(hashBefore);
    expect(store.get()?.ruleset.hash).toBe(saved.body.ruleset.hash);
    const served = await request(app).get('/v1/ruleset');
    expect(served.body.hash).toBe(saved.body.ruleset.hash);
    // The check now passes without a further bump, and the repository's rules are untouched.
    const again = await post(app, '/studio/api/check', { path: SI_FILE, text: written });
    expect(again.body.bumps).toEqual([]);
    // Rules are locked; the ruleset's own version is raised at release, not per save, so the
    // gate still says so (development mode serves it, loudly).
    expect(again.body.lockIssues.map((i: { code: string }) => i.code)).toEqual([
      'RULESET-VERSION-NOT-BUMPED',
    ]);
    expect(served.body.validation.status).toBe('failed');
    expect(repoRulesHash()).toBe(repoBefore);
  });

  it('when another rule file holds a changed rule without a bump, then save refuses rather than lock it', async () => {
    const { app, rulesDir } = studioApp();
    const mania = path.join(rulesDir, 'red-flags', 'mania.yaml');
    const maniaText = fs.readFileSync(mania, 'utf8');
    const edited = maniaText.replace(/^(\s+)title: (.*)$/m, '$1title: $2 (edited on disk)');
    expect(edited).not.toBe(maniaText);
    fs.writeFileSync(mania, edited);
    const lockBefore = fs.readFileSync(path.join(rulesDir, 'ruleset.lock'), 'utf8');
    const file = path.join(rulesDir, SI_FILE);
    const original = fs.readFileSync(file, 'utf8');
    const res = await post(app, '/studio/api/save', {
      path: SI_FILE,
      text: raisedThreshold(original),
      bump: true,
    });
    expectProblem(res, 409, 'VERSION-BUMP-NEEDED');
    expect(res.body.errors[0].message).toMatch(
      /^rules\/red-flags\/mania\.yaml:\d+:\d+ +RULE-VERSION-NOT-BUMPED/,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
    expect(fs.readFileSync(path.join(rulesDir, 'ruleset.lock'), 'utf8')).toBe(lockBefore);
  });
});
