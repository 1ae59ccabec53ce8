import { createHash } from 'node:crypto';
import Transport from 'winston-transport';
import type { RequestListener } from 'node:http';
import { createApp } from '../../src/http/app';
import type { AppDeps } from '../../src/http/app';
import { RulesetStore } from '../../src/http/ruleset-store';
import { createLogger } from '../../src/lib/logger';
import { shippedRuleset } from '../support/app';

export const sha256Hex = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');

class MemoryTransport extends Transport {
  readonly lines: string[] = [];
  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

/** createApp() on the shipped rules with the given options, logs captured at debug level. */
export function appWith(options: Omit<AppDeps, 'store' | 'logger'> = {}): {
  app: RequestListener;
  logs: string[];
  store: RulesetStore;
} {
  const transport = new MemoryTransport();
  const logger = createLogger('debug', [transport]);
  const store = new RulesetStore();
  store.set(shippedRuleset());
  return { app: createApp({ store, logger, ...options }), logs: transport.lines, store };
}
