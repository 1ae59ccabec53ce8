/**
 * The rule studio and the rule book in real Chromium (playwright-core, /usr/bin/chromium; CI
 * installs it in .ci/run). Works on a temporary copy of rules/; screenshots of each step go to
 * .ci/out/screenshots/ (git-ignored, kept as CI artefacts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../support/app';
import {
  buildAssets,
  listeningStudio,
  raisedThreshold,
  removeTempDirs,
  SI_FILE,
} from '../studio/support';

jest.setTimeout(180000);

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(ROOT, '.ci', 'out', 'screenshots');
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;
let assetsDir: string;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  assetsDir = buildAssets();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser.close();
  removeTempDirs();
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's scan of the page as it is (injected through the DevTools protocol, not a tag). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<AxeViolation[]>(
    'axe.run(document).then((r) => r.violations)',
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact ?? ''}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

describe('rule studio in Chromium', () => {
  it('when an author runs a case, edits a threshold, checks impact and saves with a bump, then the served hash changes', async () => {
    const studio = await listeningStudio({ assetsDir, syntheticCount: 300 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = pageErrors(page);
    try {
      await page.goto(`${studio.url}/studio`);
      const caseBox = page.getByRole('combobox', { name: 'Case' });
      await caseBox.waitFor();
      const servedHash = (await page.locator('#served-hash').innerText()).trim();
      expect(servedHash).toBe(studio.store.get()?.ruleset.hash.slice(0, 12));
      await shot(page, '01-open');

      // 1. A case, its answer (red flags first) and its trace.
      await caseBox.selectOption('004-item9-with-low-total-defers-supplements');
      await page.getByRole('textbox', { name: 'Request' }).getByText('"phq-9"').first().waitFor();
      await page.getByRole('button', { name: 'Run' }).click();
      const answer = page.getByRole('region', { name: 'Answer' });
      await answer.getByText('RF-SI (same-day)').waitFor();
      const answerText = await answer.innerText();
      expect(answerText.indexOf('Red flags')).toBeLessThan(answerText.indexOf('Options'));
      expect(answerText).toMatch(/deferred \(1\)\s+saffron/);
      expect(answerText).toContain('Why not');
      const trace = page.getByRole('region', { name: 'Trace' });
      await trace.getByText('✓ red-flag.suicidal-ideation.any v1').click();
      await expect(
        trace.getByText('questionnaire-item(instrument=phq-9, item=9) ≥ 1').first().isVisible(),
      ).resolves.toBe(true);
      expect(await trace.innerText()).toContain('saw 1');
      await shot(page, '02-run-and-trace');

      // 2. The rule file, unchanged: no impact.
      await page.getByRole('button', { name: 'suicidal-ideation.yaml' }).click();
      const editor = page.getByRole('textbox', { name: 'Rule file' });
      await editor.getByText('red-flag.suicidal-ideation.any').first().waitFor();
      await page.locator('#check-status').getByText('Loads: the service would serve').waitFor();
      await page.getByRole('button', { name: 'Check impact' }).click();
      const impact = page.getByRole('region', { name: 'Impact' });
      await impact.locator('#impact-summary').waitFor();
      expect(await impact.getByTestId('impact-count').innerText()).toBe('0');
      await shot(page, '03-rule-file');

      // 3. Raise the threshold: the check asks for a bump, the impact count changes.
      const original = fs.readFileSync(path.join(studio.rulesDir, SI_FILE), 'utf8');
      await editor.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText(raisedThreshold(original));
      await page.locator('#check-status').getByText('Changed without a version bump').waitFor();
      await page.getByRole('button', { name: 'Check impact' }).click();
      await impact.getByText('red-flag.suicidal-ideation.any', { exact: true }).first().waitFor();
      const changed = Number(await impact.getByTestId('impact-count').innerText());
      expect(changed).toBeGreaterThan(0);
      expect(await impact.innerText()).toContain('✗ 004-item9-with-low-total-defers-supplements');
      await impact.locator('details.group summary').first().click();
      await impact.locator('details.group li summary').first().click();
      await impact.getByText('Before (served)').first().waitFor();
      await shot(page, '04-impact');

      // 4. Save: refused without a bump, then bumped; the server reloads and shows the new hash.
      await page.getByRole('button', { name: 'Save' }).click();
      const bump = page.getByRole('button', { name: 'Bump version and save' });
      await bump.waitFor();
      await bump.click();
      await page.locator('#saved-hash').waitFor();
      const newHash = (await page.locator('#served-hash').innerText()).trim();
      expect(newHash).not.toBe(servedHash);
      expect(newHash).toBe(studio.store.get()?.ruleset.hash.slice(0, 12));
      const onDisk = fs.readFileSync(path.join(studio.rulesDir, SI_FILE), 'utf8');
      expect(onDisk).toContain('value: 2 }');
      expect(onDisk.split('\n')[3]).toBe('    version: 2');
      await shot(page, '05-saved');

      expect(await seriousViolations(page)).toEqual([]);
      // The one expected failed request: the save refused for want of a bump (409).
      expect(errors.filter((e) => !e.includes('status of 409'))).toEqual([]);
      expect(errors.filter((e) => e.includes('status of 409'))).toHaveLength(1);
    } finally {
      await page.close();
      await studio.close();
    }
  });

  it('when the studio is used with the keyboard only, then a case can be picked and run and a rule file opened', async () => {
    const studio = await listeningStudio({ assetsDir });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await page.goto(`${studio.url}/studio`);
      await page.getByRole('combobox', { name: 'Case' }).waitFor();
      const focusedId = (): Promise<string> =>
        page.evaluate<string>('document.activeElement?.id ?? ""');
      for (let i = 0; i < 10 && (await focusedId()) !== 'case'; i += 1)
        await page.keyboard.press('Tab');
      expect(await focusedId()).toBe('case');
      await page.keyboard.press('ArrowDown');
      await page.getByRole('textbox', { name: 'Request' }).getByText('"asOf"').first().waitFor();
      await page.keyboard.press('Tab');
      expect(await focusedId()).toBe('run');
      await page.keyboard.press('Enter');
      await page.getByRole('region', { name: 'Answer' }).getByText('Options (').waitFor();
      // On to the first rule file button, then open it with Enter.
      for (let i = 0; i < 60; i += 1) {
        await page.keyboard.press('Tab');
        const isFile = await page.evaluate(
          'document.activeElement?.classList.contains("file") ?? false',
        );
        if (isFile === true) break;
      }
      await page.keyboard.press('Enter');
      await page
        .locator('#file-name')
        .getByText(/^rules\/.+\.yaml$/)
        .waitFor();
      await shot(page, '06-keyboard');
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await page.close();
      await studio.close();
    }
  });
});

describe('rule book in Chromium', () => {
  it('when the index and a rule page are opened, then the filter works under the CSP and axe finds nothing serious', async () => {
    const studio = await listeningStudio({ assetsDir });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors = pageErrors(page);
    try {
      await page.goto(`${studio.url}/rules`);
      const rows = page.locator('#rules tbody tr');
      const total = await rows.count();
      expect(total).toBe(studio.store.get()?.ruleset.rules.length);
      await page.getByLabel('Search rules').fill('suicidal');
      await expect(page.locator('#rule-count').innerText()).resolves.toBe(
        String(await page.locator('#rules tbody tr:not([hidden])').count()),
      );
      expect(await page.locator('#rules tbody tr:not([hidden])').count()).toBeLessThan(total);
      await shot(page, '07-rulebook-index');
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('link', { name: 'red-flag.suicidal-ideation.any' }).click();
      await page.getByText('PHQ-9 item 9 is at least 1').first().waitFor();
      await shot(page, '08-rulebook-rule');
      expect(await seriousViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await studio.close();
    }
  });
});
