/**
 * `npm run bench:studio`: the rule studio's figures on this machine — bundle size, page load
 * (navigation until the Case list is filled), and "Check impact" to result on the shipped corpus
 * (every regression case and 2000 synthetic patients, through both rulesets) — in real Chromium.
 * Works on a temporary copy of rules/; writes bench/studio-results.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import Transport from 'winston-transport';
import { createApp } from '../src/http/app';
import { createReloader } from '../src/http/reload';
import { RulesetStore } from '../src/http/ruleset-store';
import { formatIssue } from '../src/lib/issue';
import { createLogger } from '../src/lib/logger';
import { loadRuleset } from '../src/engine/ruleset';
import { median, round } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'bench', 'studio-results.json');
const LOADS = 5;
const IMPACTS = 3;
const SI_FILE = 'red-flags/suicidal-ideation.yaml';

class Silent extends Transport {
  override log(_info: unknown, next: () => void): void {
    next();
  }
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-bench-studio-'));
  const rulesDir = path.join(tmp, 'rules');
  fs.cpSync(path.join(ROOT, 'rules'), rulesDir, { recursive: true });
  const assetsDir = path.join(tmp, 'assets');
  execFileSync(process.execPath, [path.join(ROOT, 'studio', 'build.mjs'), '--outdir', assetsDir]);
  const js = fs.readFileSync(path.join(assetsDir, 'studio.js'));
  const css = fs.readFileSync(path.join(assetsDir, 'studio.css'));

  const logger = createLogger('error', [new Silent()]);
  const store = new RulesetStore();
  const loaded = loadRuleset(rulesDir);
  if (!loaded.ok) throw new Error(loaded.issues.map(formatIssue).join('\n'));
  store.set(loaded.ruleset);
  // The studio runs only in development mode, whose reloads serve a ruleset that fails only the
  // gate (a saved rule before its ruleset version is released), with the problems shown.
  const reload = createReloader(store, rulesDir, logger, () => undefined, { development: true });
  const app = createApp({
    store,
    logger,
    reload,
    studio: {
      rulesDir,
      casesDir: path.join(ROOT, 'test', 'regression', 'cases'),
      assetsDir,
      reload,
      syntheticCount: 2000,
    },
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/studio`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const loads: number[] = [];
    for (let i = 0; i < LOADS; i += 1) {
      const page = await browser.newPage();
      const t = performance.now();
      await page.goto(url);
      await page.locator('#case option:nth-child(2)').waitFor({ state: 'attached' });
      loads.push(performance.now() - t);
      await page.close();
    }
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(url);
    await page.getByRole('button', { name: 'suicidal-ideation.yaml' }).click();
    await page.locator('#check-status').getByText('Loads').waitFor();
    const text = fs.readFileSync(path.join(rulesDir, SI_FILE), 'utf8');
    await page.getByRole('textbox', { name: 'Rule file' }).click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(text.replace('value: 1 }', 'value: 2 }'));
    await page.locator('#check-status').getByText('Changed without a version bump').waitFor();
    const impacts: number[] = [];
    let summary = '';
    for (let i = 0; i < IMPACTS; i += 1) {
      const t = performance.now();
      await page.getByRole('button', { name: 'Check impact' }).click();
      await page.locator('#impact-summary').waitFor();
      impacts.push(performance.now() - t);
      summary = await page.locator('#impact-summary').innerText();
      await page.evaluate('document.getElementById("impact-summary").remove()');
    }
    const results = {
      measuredAt: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load average ${os.loadavg()[0]?.toFixed(1) ?? '?'}`,
      bundle: {
        jsBytes: js.length,
        jsGzipBytes: zlib.gzipSync(js).length,
        cssBytes: css.length,
      },
      pageLoadMs: { median: round(median(loads), 0), runs: loads.map((x) => round(x, 0)) },
      checkImpactMs: {
        median: round(median(impacts), 0),
        runs: impacts.map((x) => round(x, 0)),
        corpus: summary,
      },
    };
    fs.writeFileSync(RESULTS, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
