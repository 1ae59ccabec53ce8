import { DETECTED_PROBLEM_CODES } from '../facts/model';
import type { Issue } from '../lib/issue';
import { gateRuleset } from '../rules/gate';
import { outcomeOf, producedKey } from '../rules/rule-types';
import { loadCheckedRuleset } from '../rules/load';
import type { CheckedRuleset, LoadOptions } from '../rules/load';
import { compileRuleset } from './compile';
import type { CompiledRuleset } from './compile';
import { FACTS } from './state';

/** A checked ruleset compiled for the engine: what every channel evaluates against. */
export interface Ruleset extends CheckedRuleset {
  readonly compiled: CompiledRuleset;
}

export type LoadResult =
  | { readonly ok: true; readonly ruleset: Ruleset }
  | { readonly ok: false; readonly issues: readonly Issue[] };

const IMPLEMENTED_FACTS: ReadonlySet<string> = new Set(Object.keys(FACTS));

/**
 * Every data problem the fact layer can detect, and every code a hold policy acts on, must be raised
 * by an active data rule: then each data issue and each hold in an answer names the rule behind
 * it, and deleting a data rule cannot leave its hold working from code alone.
 */
export function uncoveredDataCodes(checked: CheckedRuleset): Issue[] {
  const raised = new Set<string>();
  for (const rule of checked.rules)
    if (rule.status === 'active' && outcomeOf(rule).type === 'dataIssue')
      raised.add(producedKey(rule));
  const { catalog } = checked;
  const needed = new Map<string, string>();
  for (const code of DETECTED_PROBLEM_CODES) needed.set(code, 'the fact layer detects it');
  for (const q of catalog.questionnaires.values())
    if (q.itemsMissingCode !== undefined)
      needed.set(q.itemsMissingCode, `questionnaire ${q.id} raises it (itemsMissingCode)`);
  for (const [code, policy] of catalog.policies.dataHolds)
    needed.set(code, `policy ${policy.id} holds options on it`);
  const stale = catalog.policies.staleness?.policy;
  if (stale) needed.set(stale.staleAfter.code, `policy ${stale.id} marks stale results with it`);
  const issues: Issue[] = [];
  for (const [code, why] of needed) {
    if (raised.has(code)) continue;
    issues.push({
      code: 'DATA-CODE-UNCOVERED',
      message: `${code}: no active data rule raises it, yet ${why}; add or reactivate a data rule under rules/data/`,
      file: 'rules/data',
      line: 1,
      column: 1,
    });
  }
  return issues;
}

export function compile(checked: CheckedRuleset): Ruleset {
  return { ...checked, compiled: compileRuleset(checked.rules, checked.catalog) };
}

/** Reads and checks the ruleset under `dir` (src/rules), then compiles it for the engine. */
export function loadRuleset(
  dir: string,
  now: () => Date = () => new Date(),
  options: LoadOptions = {},
): LoadResult {
  const loaded = loadCheckedRuleset(dir, now, { ...options, implementedFacts: IMPLEMENTED_FACTS });
  if (!loaded.ok) return loaded;
  const uncovered = uncoveredDataCodes(loaded.ruleset);
  if (uncovered.length > 0) return { ok: false, issues: uncovered };
  return { ok: true, ruleset: compile(loaded.ruleset) };
}

export interface ServeOptions extends LoadOptions {
  /**
   * Development mode: a ruleset that fails the gate (lint errors, version bumps) still serves,
   * with its problems returned to be shown loudly. Schema and reference problems never serve.
   */
  readonly development: boolean;
}

export type ServeLoadResult =
  | {
      readonly ok: true;
      readonly ruleset: Ruleset;
      /** Gate problems waived in development mode (empty when the ruleset passes). */
      readonly problems: readonly Issue[];
    }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** What `checkForServing` finds: a checked (not yet compiled) ruleset that may serve, or why not. */
export type ServeCheckResult =
  | { readonly ok: true; readonly checked: CheckedRuleset; readonly problems: readonly Issue[] }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/**
 * Every check a ruleset must pass to serve, without compiling it (so it can run on a worker
 * thread, src/engine/off-thread.ts): the loader's checks, the data codes every served ruleset
 * must raise, then the same gate `ntcds validate` and the image build apply (src/rules/gate.ts).
 * In production a ruleset that fails the gate is refused; development mode serves it with its
 * problems.
 */
export function checkForServing(
  dir: string,
  now: () => Date,
  options: ServeOptions,
): ServeCheckResult {
  const { development, ...loadOptions } = options;
  const loaded = loadCheckedRuleset(dir, now, {
    ...loadOptions,
    implementedFacts: IMPLEMENTED_FACTS,
  });
  if (!loaded.ok) return loaded;
  const uncovered = uncoveredDataCodes(loaded.ruleset);
  if (uncovered.length > 0) return { ok: false, issues: uncovered };
  const { issues } = gateRuleset(loaded.ruleset, dir);
  if (issues.length === 0) return { ok: true, checked: loaded.ruleset, problems: [] };
  return development
    ? { ok: true, checked: loaded.ruleset, problems: issues }
    : { ok: false, issues };
}

/** `checkForServing`, then compiled for the engine. */
export function loadForServing(
  dir: string,
  now: () => Date,
  options: ServeOptions,
): ServeLoadResult {
  return compiledResult(checkForServing(dir, now, options));
}

export function compiledResult(result: ServeCheckResult): ServeLoadResult {
  return result.ok
    ? { ok: true, ruleset: compile(result.checked), problems: result.problems }
    : result;
}
