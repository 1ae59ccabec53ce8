import { formatIssue } from '../lib/issue';
import type { Issue } from '../lib/issue';
import type { Logger } from '../lib/logger';
import { loadRuleset } from '../rules/load';
import type { LoadResult, Ruleset } from '../rules/load';
import type { RulesetStore } from './ruleset-store';

export type ReloadOutcome =
  | { readonly ok: true; readonly ruleset: Ruleset; readonly changed: boolean }
  | {
      readonly ok: false;
      readonly issues: readonly Issue[];
      readonly serving: Ruleset | undefined;
    };

export type Reloader = () => Promise<ReloadOutcome>;

/** Loads and checks a rules folder: `loadRuleset` here, or on a worker thread (rules/off-thread.ts). */
export type RulesetLoad = (rulesDir: string) => LoadResult | Promise<LoadResult>;

/**
 * Loads `rulesDir` again. A good ruleset is swapped in whole (one assignment in the store); a bad
 * one leaves the last good ruleset serving, is recorded in the store for /readyz and
 * /v1/ruleset, logged by code only, and written to `problemLines` as file:line:column lines.
 * `load` decides where the load runs (default: `loadRuleset` on this thread); outcomes are
 * applied in the order the reloads were asked for.
 */
export function createReloader(
  store: RulesetStore,
  rulesDir: string,
  logger: Logger,
  problemLines: (line: string) => void,
  now: () => Date = () => new Date(),
  load: RulesetLoad = (dir) => loadRuleset(dir, now),
): Reloader {
  let last: Promise<unknown> = Promise.resolve();
  const apply = async (): Promise<ReloadOutcome> => {
    const result = await load(rulesDir);
    const serving = store.get()?.ruleset;
    if (!result.ok) {
      store.recordReloadError(result.issues, now());
      for (const issue of result.issues) problemLines(formatIssue(issue));
      logger.warn('ruleset reload rejected; the last good ruleset keeps serving', {
        issues: result.issues.map((i) => i.code),
        ...(serving ? { rulesetVersion: serving.manifest.version, rulesetHash: serving.hash } : {}),
      });
      return { ok: false, issues: result.issues, serving };
    }
    const changed = serving?.hash !== result.ruleset.hash;
    if (changed) store.set(result.ruleset);
    else store.clearReloadError();
    const active = store.get()?.ruleset ?? result.ruleset;
    logger.info(changed ? 'ruleset reloaded' : 'ruleset unchanged', {
      rulesetId: active.manifest.id,
      rulesetVersion: active.manifest.version,
      rulesetHash: active.hash,
      ruleCount: active.rules.filter((r) => r.status === 'active').length,
    });
    return { ok: true, ruleset: active, changed };
  };
  return () => {
    const outcome = last.then(apply, apply);
    last = outcome;
    return outcome;
  };
}
