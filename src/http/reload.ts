import { formatIssue } from '../lib/issue';
import type { Issue } from '../lib/issue';
import type { Logger } from '../lib/logger';
import { loadForServing } from '../engine/ruleset';
import type { Ruleset, ServeLoadResult, ServeOptions } from '../engine/ruleset';
import type { RulesetStore } from './ruleset-store';

export type ReloadOutcome =
  | { readonly ok: true; readonly ruleset: Ruleset; readonly changed: boolean }
  | {
      readonly ok: false;
      readonly issues: readonly Issue[];
      readonly serving: Ruleset | undefined;
    };

export type Reloader = () => Promise<ReloadOutcome>;

/**
 * Loads a rules folder through every check a served ruleset must pass: `loadForServing` here,
 * or the same checks on a worker thread (engine/off-thread.ts).
 */
export type RulesetLoad = (
  rulesDir: string,
  options: ServeOptions,
) => ServeLoadResult | Promise<ServeLoadResult>;

export interface ReloadOptions {
  /** Development mode: a ruleset that fails only the gate serves, with its problems shown. */
  readonly development?: boolean;
  readonly now?: () => Date;
  /** Where the load runs (default: `loadForServing` on this thread). */
  readonly load?: RulesetLoad;
}

/**
 * Loads `rulesDir` again, through the same checks and gate as start-up. A good ruleset is swapped
 * in whole (one assignment in the store); a bad one leaves the last good ruleset serving, is
 * recorded in the store for /readyz and /v1/ruleset, logged by code only, and written to
 * `problemLines` as file:line:column lines. Outcomes are applied in the order the reloads were
 * asked for.
 */
export function createReloader(
  store: RulesetStore,
  rulesDir: string,
  logger: Logger,
  problemLines: (line: string) => void,
  options: ReloadOptions = {},
): Reloader {
  const now = options.now ?? (() => new Date());
  const development = options.development === true;
  const load: RulesetLoad = options.load ?? ((dir, o) => loadForServing(dir, now, o));
  let last: Promise<unknown> = Promise.resolve();
  const apply = async (): Promise<ReloadOutcome> => {
    const result = await load(rulesDir, { development });
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
    if (changed) store.set(result.ruleset, result.problems);
    else store.clearReloadError();
    if (changed && result.problems.length > 0) {
      for (const issue of result.problems) problemLines(formatIssue(issue));
      logger.warn(
        'RULESET FAILS VALIDATION: serving it only because this is development mode; production refuses it',
        { issues: result.problems.map((i) => i.code) },
      );
    }
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
