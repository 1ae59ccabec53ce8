import { formatIssue } from '../lib/issue';
import type { Issue } from '../lib/issue';
import type { Ruleset } from '../engine/ruleset';
import { serveRuleset } from '../engine/answer';
import type { ServedRuleset } from '../engine/answer';

export interface ActiveRuleset extends ServedRuleset {
  /**
   * Problems the gate found that development mode waived (src/engine/ruleset.ts
   * loadForServing): shown loudly in /readyz, /v1/ruleset and the log. Empty in production.
   */
  readonly problems: readonly Issue[];
}

/** Why the last reload was refused; cleared by the next good load. */
export interface ReloadError {
  readonly at: string;
  readonly issues: readonly Issue[];
}

/** Holds the ruleset being served; a swap is one assignment, so a request sees one ruleset whole. */
export class RulesetStore {
  private active: ActiveRuleset | undefined;
  private reloadError: ReloadError | undefined;

  get(): ActiveRuleset | undefined {
    return this.active;
  }

  set(ruleset: Ruleset, problems: readonly Issue[] = []): ActiveRuleset {
    const next = { ...serveRuleset(ruleset), problems };
    this.active = next;
    this.reloadError = undefined;
    return next;
  }

  /** A rejected reload: the active ruleset stays; the problems are kept for /readyz and /v1/ruleset. */
  recordReloadError(issues: readonly Issue[], at: Date): void {
    this.reloadError = { at: at.toISOString(), issues };
  }

  clearReloadError(): void {
    this.reloadError = undefined;
  }

  lastReloadError(): ReloadError | undefined {
    return this.reloadError;
  }
}

/** The JSON shape of a rejected reload in /readyz and /v1/ruleset: codes, places and the lines authors read. */
export function reloadErrorJson(error: ReloadError): Record<string, unknown> {
  return { at: error.at, issues: issuesJson(error.issues) };
}

/** Issues as JSON: code, message, place, and the file:line:column line authors read. */
export function issuesJson(issues: readonly Issue[]): Record<string, unknown>[] {
  return issues.map((i) => ({
    code: i.code,
    message: i.message,
    ...(i.file === undefined ? {} : { file: i.file, line: i.line ?? 1, column: i.column ?? 1 }),
    text: formatIssue(i),
  }));
}

/**
 * `validation` of the serving ruleset in /readyz and /v1/ruleset: "passed", or "failed" with the
 * problems development mode waived (production never serves such a ruleset).
 */
export function validationJson(active: ActiveRuleset): Record<string, unknown> {
  return active.problems.length === 0
    ? { status: 'passed' }
    : {
        status: 'failed',
        servedBecause: 'development mode; production refuses this ruleset',
        problems: issuesJson(active.problems),
      };
}
