import fs from 'node:fs';
import { loadCases } from '../regression/case';
import { measureCoverage } from '../regression/coverage';
import type { RuleCoverage } from '../regression/coverage';
import { createEvaluator, runCases } from '../regression/run';
import type { Ruleset } from '../engine/ruleset';

/** The regression corpus as the rule book sees it: absent in a deployment that ships no tests. */
export type Corpus =
  | { readonly available: false }
  | {
      readonly available: true;
      readonly cases: number;
      readonly descriptions: ReadonlyMap<string, string>;
      readonly coverage: ReadonlyMap<string, RuleCoverage>;
    };

export interface RuleBook {
  readonly ruleset: Ruleset;
  readonly corpus: Corpus;
}

/**
 * A ruleset with its coverage over the regression cases under `casesDir` (the same measure as
 * `ntcds coverage`). A missing or unreadable folder is not an error: the book says no cases are
 * available.
 */
export async function buildRuleBook(
  ruleset: Ruleset,
  casesDir: string | undefined,
): Promise<RuleBook> {
  if (casesDir === undefined || !fs.existsSync(casesDir))
    return { ruleset, corpus: { available: false } };
  let loaded;
  try {
    loaded = loadCases(casesDir);
  } catch {
    return { ruleset, corpus: { available: false } };
  }
  const runs = await runCases(createEvaluator(ruleset), loaded.cases, true);
  const measured = measureCoverage(
    ruleset.rules,
    runs,
    (rule) => `${rule.source.file}:${String(rule.source.line)}:${String(rule.source.column)}`,
  );
  return {
    ruleset,
    corpus: {
      available: true,
      cases: loaded.cases.length,
      descriptions: new Map(loaded.cases.map((c) => [c.name, c.description])),
      coverage: new Map(measured.rules.map((c) => [c.rule.id, c])),
    },
  };
}
