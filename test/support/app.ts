import path from 'node:path';
import Transport from 'winston-transport';
import type { RequestListener } from 'node:http';
import { createApp } from '../../src/http/app';
import { RulesetStore } from '../../src/http/ruleset-store';
import { createLogger } from '../../src/lib/logger';
import type { Logger } from '../../src/lib/logger';
import { loadRuleset } from '../../src/engine/ruleset';
import type { Ruleset } from '../../src/engine/ruleset';
import { formatIssue } from '../../src/lib/issue';

export const ROOT = path.resolve(__dirname, '..', '..');
export const RULES_DIR = path.join(ROOT, 'rules');

let shipped: Ruleset | undefined;

/** The real shipped ruleset, loaded once per test file. */
export function shippedRuleset(): Ruleset {
  if (shipped) return shipped;
  const result = loadRuleset(RULES_DIR);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  shipped = result.ruleset;
  return shipped;
}

/** Collects every log line as the JSON text winston would print. */
class MemoryTransport extends Transport {
  readonly lines: string[] = [];
  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

export interface TestApp {
  readonly app: RequestListener;
  readonly logs: string[];
  readonly store: RulesetStore;
  readonly logger: Logger;
}

/** createApp() on the real rules, with logs captured at every level. */
export function makeApp(
  options: { ruleset?: Ruleset | null; bodyLimitBytes?: number; now?: () => Date } = {},
): TestApp {
  const transport = new MemoryTransport();
  const logger = createLogger('debug', [transport]);
  const store = new RulesetStore();
  if (options.ruleset !== null) store.set(options.ruleset ?? shippedRuleset());
  const app = createApp({
    store,
    logger,
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return { app, logs: transport.lines, store, logger };
}
