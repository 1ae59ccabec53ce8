import type { FactModel } from '../facts/model';
import { MODEL_FACTS, str } from '../facts/registry';
import type { FactValue, Params } from '../facts/registry';

/** Results of the rule kinds that already ran in this evaluation, readable by later kinds. */
export interface EvalState {
  readonly dataIssues: Set<string>;
  readonly confounded: Set<string>;
  readonly redFlags: Set<string>;
  readonly findings: Map<string, string | null>;
}

export function newEvalState(): EvalState {
  return { dataIssues: new Set(), confounded: new Set(), redFlags: new Set(), findings: new Map() };
}

export type FactImpl = (model: FactModel, state: EvalState, params: Params) => FactValue;

/** Facts over the results of earlier rule kinds in the same run. */
const STATE_FACTS: Readonly<Record<string, FactImpl>> = {
  'data-issue': (_m, s, p) => s.dataIssues.has(str(p.code)),
  confounded: (_m, s, p) => s.confounded.has(str(p.analyte)),
  'red-flag': (_m, s, p) => s.redFlags.has(str(p.code)),
  finding: (_m, s, p) => s.findings.has(str(p.id)),
  'finding-band': (_m, s, p) => s.findings.get(str(p.id)) ?? null,
};

/** The implementation of every fact in rules/catalog/facts.yaml, keyed by fact id. */
export const FACTS: Readonly<Record<string, FactImpl>> = { ...MODEL_FACTS, ...STATE_FACTS };
