import { answer, serveRuleset } from '../engine/answer';
import type { EvaluationResponse } from '../engine/response-types';
import type { Ruleset } from '../engine/ruleset';
import { requestOf } from './case';
import type { RegressionCase } from './case';

/** A ruleset ready to answer requests in-process, exactly as POST /v1/evaluations does. */
export interface Evaluator {
  readonly ruleset: Ruleset;
  run(body: unknown, id: string, traceFull: boolean): Promise<EvaluationResult>;
}

export type EvaluationResult =
  | { readonly ok: true; readonly response: EvaluationResponse }
  | { readonly ok: false; readonly rejected: string };

export function createEvaluator(ruleset: Ruleset, now: () => Date = () => new Date()): Evaluator {
  const served = serveRuleset(ruleset);
  return {
    ruleset,
    run(body, id, traceFull) {
      const answered = answer(served, body, { traceFull, now, evaluationId: id });
      if (answered.ok) return Promise.resolve({ ok: true, response: answered.response });
      const { code, errors } = answered.rejection;
      return Promise.resolve({
        ok: false,
        rejected: `${code} ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
      });
    },
  };
}

export interface CaseRun {
  readonly case: RegressionCase;
  readonly result: EvaluationResult;
}

/** Every case through the evaluator, in order. */
export async function runCases(
  evaluator: Evaluator,
  cases: readonly RegressionCase[],
  traceFull: boolean,
): Promise<CaseRun[]> {
  const runs: CaseRun[] = [];
  for (const c of cases)
    runs.push({ case: c, result: await evaluator.run(requestOf(c), c.name, traceFull) });
  return runs;
}
