import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { buildCli, removeTempDirs, ROOT, tempDir } from './support';

/** The --report HTML opened in real Chromium (/usr/bin/chromium; .ci/run installs it). */
const CHROMIUM = '/usr/bin/chromium';
afterAll(removeTempDirs);

describe('ntcds replay --report in Chromium', () => {
  it('when the report of a replay with --against is opened, then there is no console error, no network request, and the three charts render as SVG with bars', async () => {
    const cli = path.join(buildCli(), 'src', 'cli', 'main.js');
    const dir = tempDir('ntcds-report-');
    const rules = path.join(dir, 'rules');
    fs.cpSync(path.join(ROOT, 'rules'), rules, { recursive: true });
    fs.rmSync(path.join(rules, 'safety', 'sero-drug.yaml'));
    const report = path.join(dir, 'report.html');
    execFileSync(
      process.execPath,
      [
        cli,
        'replay',
        path.join(ROOT, 'examples', 'batch.ndjson'),
        '--rules',
        rules,
        '--against',
        'rules',
        '--out',
        path.join(dir, 'out.ndjson'),
        '--report',
        report,
        '--quiet',
        '--workers',
        '1',
      ],
      { cwd: ROOT, stdio: 'pipe', timeout: 120000 },
    );
    expect(fs.existsSync(CHROMIUM)).toBe(true);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(report).href);
      await page.waitForLoadState('load');
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      const charts = page.locator('figure.chart svg');
      expect(await charts.count()).toBe(3);
      for (let i = 0; i < 3; i += 1) {
        const box = await charts.nth(i).boundingBox();
        expect(box?.width).toBeGreaterThan(100);
        // Bars are path marks inside the mark group.
        expect(await charts.nth(i).locator('g.mark-rect path').count()).toBeGreaterThan(0);
      }
      await expect(page.locator('li.first').textContent()).resolves.toContain(
        'Blocked → offered: 2',
      );
      expect(await page.locator('table.patients tbody tr').count()).toBe(1);
    } finally {
      await browser.close();
    }
  }, 180000);
});
