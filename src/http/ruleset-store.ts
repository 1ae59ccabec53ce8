import type { Ruleset } from '../rules/load';
import type { RequestValidator } from './request-validator';
import { createRequestValidator } from './request-validator';

export interface ActiveRuleset {
  readonly ruleset: Ruleset;
  readonly requests: RequestValidator;
}

/** Holds the ruleset being served; a swap is one assignment, so a request sees one ruleset whole. */
export class RulesetStore {
  private active: ActiveRuleset | undefined;

  get(): ActiveRuleset | undefined {
    return this.active;
  }

  set(ruleset: Ruleset): ActiveRuleset {
    const next = { ruleset, requests: createRequestValidator(ruleset.catalog) };
    this.active = next;
    return next;
  }
}
