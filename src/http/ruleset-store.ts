import { formatIssue } from '../lib/issue';
import type { Issue } from '../lib/issue';
import type { Ruleset } from '../rules/load';
import { serveRuleset } from '../engine/answer';
import type { ServedRuleset } from '../engine/answer';

export type ActiveRuleset = ServedRuleset;

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

  set(ruleset: Ruleset): ActiveRuleset {
    const next = serveRuleset(ruleset);
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
  return {
    at: error.at,
    issues: error.issues.map((i) => ({
      code: i.code,
      message: i.message,
      ...(i.file === undefined ? {} : { file: i.file, line: i.line ?? 1, column: i.column ?? 1 }),
      text: formatIssue(i),
    })),
  };
}
