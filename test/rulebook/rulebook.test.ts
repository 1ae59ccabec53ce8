import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { cli } from '../cli/support';
import { formatIssue } from '../../src/lib/issue';
import { loadRuleset } from '../../src/engine/ruleset';
import { appWith, sha256Hex } from '../security/support';
import { ROOT, RULES_DIR, shippedRuleset } from '../support/app';

const temps: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-rulebook-'));
  temps.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** Inline scripts, inline event handlers and javascript: URLs: what a strict CSP would block. */
function expectCspClean(html: string): void {
  for (const m of html.matchAll(/<script\b([^>]*)>/gi)) expect(m[1]).toMatch(/\ssrc="/);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/javascript:/i);
  expect(html).not.toMatch(/<style\b/i);
}

describe('rule book (GET /rules, GET /rules/{id})', () => {
  const { app } = appWith();
  const ruleset = shippedRuleset();

  it('when the index is asked for, then it lists every shipped rule with a link to its page', async () => {
    const res = await request(app).get('/rules');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    for (const rule of ruleset.rules)
      expect(res.text).toContain(`href="/rules/${encodeURIComponent(rule.id)}"`);
    expect(res.text).toMatch(/Coverage over \d+ regression cases/);
    expectCspClean(res.text);
  });

  it('when every shipped rule page is rendered, then each names its title, kind, version, status, grade and coverage', async () => {
    for (const rule of ruleset.rules) {
      const res = await request(app).get(`/rules/${encodeURIComponent(rule.id)}`);
      expect(res.status).toBe(200);
      const text = res.text;
      expect(text).toContain(`<dt>Kind</dt><dd>${rule.kind}</dd>`);
      expect(text).toContain(`<dt>Version</dt><dd>${String(rule.version)}</dd>`);
      expect(text).toContain(`<dt>Status</dt><dd>${rule.status}</dd>`);
      expect(text).toContain(`<dt>Evidence grade</dt><dd>${rule.evidence.grade}</dd>`);
      expect(text).toContain('<h2>Condition coverage</h2>');
      expect(text).toContain(`href="/v1/rules/${encodeURIComponent(rule.id)}"`);
      expectCspClean(text);
    }
  });

  it('when a rule page is read, then its condition reads in words and its covering cases are named', async () => {
    const res = await request(app).get('/rules/red-flag.suicidal-ideation.any');
    expect(res.text).toContain('<li>PHQ-9 item 9 is at least 1</li>');
    expect(res.text).toContain('<dt>Red flag</dt><dd>RF-SI</dd>');
    expect(res.text).toContain('<code>004-item9-with-low-total-defers-supplements</code>');
    expect(res.text).toMatch(
      /<td>PHQ-9 item 9 is at least 1<\/td><td>[1-9]\d*<\/td><td>[1-9]\d*<\/td><td>covered<\/td>/,
    );
  });

  it('when a search term is sent, then the index keeps only matching rules', async () => {
    const res = await request(app).get('/rules').query({ q: 'suicidal' });
    expect(res.text).toContain('/rules/red-flag.suicidal-ideation.any');
    expect(res.text).not.toContain('/rules/red-flag.mania');
    expect(res.text).toContain('value="suicidal"');
  });

  it('when the id is unknown, then 404 problem+json RULE-NOT-FOUND', async () => {
    const res = await request(app).get('/rules/red-flag.nope');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('RULE-NOT-FOUND');
  });

  it('when the page script and style are asked for, then they are served from the service itself', async () => {
    const js = await request(app).get('/rules/assets/rulebook.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toContain("getElementById('rule-filter')");
    const css = await request(app).get('/rules/assets/rulebook.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });
});

describe('rule book access and deployment', () => {
  it('when /v1 needs an API key, then the rule book stays open like /openapi.json', async () => {
    const { app } = appWith({
      auth: { apiKeyDigests: [sha256Hex('a-user-key')], adminKeyDigests: [] },
    });
    expect((await request(app).post('/v1/evaluations').send({})).status).toBe(401);
    expect((await request(app).get('/openapi.json')).status).toBe(200);
    expect((await request(app).get('/rules')).status).toBe(200);
    expect((await request(app).get('/rules/red-flag.mania')).status).toBe(200);
  });

  it('when the deployment has no regression cases, then the pages say so instead of failing', async () => {
    const { app } = appWith({ regressionCasesDir: path.join(tempDir(), 'absent') });
    const index = await request(app).get('/rules');
    expect(index.status).toBe(200);
    expect(index.text).toContain('No regression cases are available in this deployment.');
    const page = await request(app).get('/rules/red-flag.mania');
    expect(page.status).toBe(200);
    expect(page.text).toContain('No regression cases are available in this deployment.');
  });

  it('when a rule text holds markup, then every page shows it as text, never as markup', async () => {
    const dir = path.join(tempDir(), 'rules');
    fs.cpSync(RULES_DIR, dir, { recursive: true });
    const file = path.join(dir, 'red-flags', 'mania.yaml');
    const hostile = '<script>alert(1)</script> & "quoted" \'single\'';
    const yaml = fs.readFileSync(file, 'utf8');
    const edited = yaml.replace(/^(\s+)title: .*$/m, `$1title: ${JSON.stringify(hostile)}`);
    expect(edited).not.toBe(yaml);
    fs.writeFileSync(file, edited);
    const loaded = loadRuleset(dir);
    if (!loaded.ok) throw new Error(loaded.issues.map(formatIssue).join('\n'));
    const { app, store } = appWith();
    store.set(loaded.ruleset);
    const id = loaded.ruleset.rules.find((r) => r.title === hostile)?.id ?? '';
    expect(id).not.toBe('');
    for (const url of ['/rules', `/rules/${id}`, `/rules?q=${encodeURIComponent('<script>')}`]) {
      const res = await request(app).get(url);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<script>alert');
      expect(res.text).toContain(
        '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot; &#39;single&#39;',
      );
      expectCspClean(res.text);
    }
  });
});

describe('ntcds doc (npm run rules:doc)', () => {
  it('when run, then it writes the same pages as a static site with relative links', async () => {
    const out = path.join(tempDir(), 'site');
    const run = await cli(['doc', '--out', out], ROOT);
    expect(run.code).toBe(0);
    const ruleset = shippedRuleset();
    expect(run.stdout).toContain(`${String(ruleset.rules.length)} rules written`);
    const index = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(index).toContain('href="red-flag.suicidal-ideation.any.html"');
    expect(index).toContain('src="assets/rulebook.js"');
    for (const rule of ruleset.rules) {
      const page = fs.readFileSync(path.join(out, `${rule.id}.html`), 'utf8');
      expect(page).toContain(`<code>${rule.id}</code>`);
      expect(page).toContain('href="index.html"');
    }
    expect(fs.existsSync(path.join(out, 'assets', 'rulebook.css'))).toBe(true);
  });
});
