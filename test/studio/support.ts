import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/http/app';
import type { AppDeps } from '../../src/http/app';
import { createReloader } from '../../src/http/reload';
import { RulesetStore } from '../../src/http/ruleset-store';
import { formatIssue } from '../../src/lib/issue';
import { createLogger } from '../../src/lib/logger';
import { loadRuleset } from '../../src/engine/ruleset';
import Transport from 'winston-transport';
import { ROOT, RULES_DIR } from '../support/app';

class Silent extends Transport {
  override log(_info: unknown, next: () => void): void {
    next();
  }
}

export const TOKEN = 'test-studio-token-0123456789';
export const CASES_DIR = path.join(ROOT, 'test', 'regression', 'cases');
export const SI_FILE = 'red-flags/suicidal-ideation.yaml';

const made: string[] = [];

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-studio-test-'));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A temporary copy of the shipped rules/: tests never write the repository's rules. */
export function rulesCopy(): string {
  const dir = path.join(tempDir(), 'rules');
  fs.cpSync(RULES_DIR, dir, { recursive: true });
  return dir;
}

/** The suicidal-ideation rule file with its item-9 threshold raised from 1 to 2. */
export function raisedThreshold(text: string): string {
  const edited = text.replace(
    'operator: greaterThanInclusive, value: 1 }',
    'operator: greaterThanInclusive, value: 2 }',
  );
  if (edited === text) throw new Error('threshold not found in the rule file');
  return edited;
}

/** createApp() in development mode with the studio on a copy of rules/. */
export function studioApp(
  options: {
    rulesDir?: string;
    auth?: AppDeps['auth'];
    syntheticCount?: number;
    assetsDir?: string;
  } = {},
) {
  const rulesDir = options.rulesDir ?? rulesCopy();
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
    ...(options.auth ? { auth: options.auth } : {}),
    studio: {
      rulesDir,
      casesDir: CASES_DIR,
      assetsDir: options.assetsDir ?? path.join(ROOT, 'dist', 'studio'),
      reload,
      token: TOKEN,
      syntheticCount: options.syntheticCount ?? 100,
    },
  });
  return { app, store, rulesDir };
}

/** Builds the studio front end into a temporary folder (the same script as `npm run build`). */
export function buildAssets(): string {
  const out = tempDir();
  execFileSync(process.execPath, [path.join(ROOT, 'studio', 'build.mjs'), '--outdir', out], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  return out;
}

/** The studio app listening on an ephemeral loopback port, for a real browser. */
export async function listeningStudio(
  options: Parameters<typeof studioApp>[0] & { assetsDir: string },
): Promise<{ url: string; close: () => Promise<void> } & ReturnType<typeof studioApp>> {
  const s = studioApp(options);
  const server = http.createServer(s.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...s,
    url: `http://127.0.0.1:${String(port)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
