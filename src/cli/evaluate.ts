import { evaluate } from '../engine/evaluate';
import type { EvaluationResponse } from '../engine/response-types';
import { buildFacts, requestProblems } from '../facts/build';
import { createRequestValidator } from '../http/request-validator';
import type { RequestValidator } from '../http/request-validator';
import type { Ruleset } from '../rules/load';
import { requestOf } from '../regression/case';
import type { RegressionCase } from '../regression/case';

/** A ruleset ready to answer requests in-process, exactly as POST /v1/evaluations does. */
export interface Evaluator {
  readonly ruleset: Ruleset;
  run(body: unknown, id: string, traceFull: boolean): Promise<EvaluationResult>;
}

export type EvaluationResult =
  | { readonly ok: true; readonly response: EvaluationResponse }
  | { readonly ok: false; readonly rejected: string };

export function createEvaluator(ruleset: Ruleset, now: () => Date = () => new Date()): Evaluator {
  const validator: RequestValidator = createRequestValidator(ruleset.catalog);
  return {
    ruleset,
    async run(body, id, traceFull) {
      const checked = validator.validate(body);
      if (!checked.ok)
        return {
          ok: false,
          rejected: `INVALID-REQUEST ${checked.errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`,
        };
      const problems = requestProblems(ruleset.catalog, checked.request);
      if (problems.length > 0)
        return {
          ok: false,
          rejected: `INCONSISTENT-REQUEST ${problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`,
        };
      const model = buildFacts(ruleset.catalog, checked.request);
      const response = await evaluate(ruleset, model, {
        evaluationId: id,
        asOf: checked.request.asOf ?? now().toISOString(),
        traceFull,
      });
      return { ok: true, response };
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
