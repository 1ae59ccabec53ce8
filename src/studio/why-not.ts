import type { EvaluationResponse, TraceNode } from '../engine/response-types';
import { leafWords } from '../rulebook/words';
import type { Ruleset } from '../engine/ruleset';
import { outcomeOf } from '../rules/rule-types';
import type { RuleDef } from '../rules/rule-types';

/** An option rule that would have proposed the intervention, and the leaf that stopped it. */
export interface StoppedRule {
  readonly ruleId: string;
  readonly title: string;
  readonly source: string;
  /** The failed leaf in words ("PHQ-9 total score is at least 5"), and the value it saw. */
  readonly failed?: string;
  readonly saw?: string | number | boolean | null;
}

export interface WhyNot {
  readonly intervention: string;
  readonly name: string;
  /** `not offered` when absent from the answer, otherwise its status (blocked, deferred). */
  readonly status: string;
  readonly rules: readonly StoppedRule[];
  /** Blocks and deferrals on an intervention that is in the answer. */
  readonly reasons: readonly { code: string; message: string; ruleId?: string }[];
}

function proposes(rule: RuleDef, id: string, tagsOf: (id: string) => readonly string[]): boolean {
  const o = outcomeOf(rule);
  if (o.type !== 'propose') return false;
  const p = o.reason;
  if (p.interventions?.includes(id) === true) return true;
  const tags = tagsOf(id);
  return p.tags?.some((t) => tags.includes(t)) === true;
}

/**
 * For each catalog intervention the answer does not offer (absent, blocked or deferred): the
 * option rules that would have proposed it and did not fire, with the first leaf that failed,
 * from a `trace=full` answer; and the blocking or deferring reasons when it is in the answer.
 */
export function whyNot(ruleset: Ruleset, response: EvaluationResponse): WhyNot[] {
  const { catalog } = ruleset;
  const inAnswer = new Map(response.interventions.map((i) => [i.id, i]));
  const notFired = new Map((response.notFired ?? []).map((h) => [h.ruleId, h]));
  const tagsOf = (id: string): readonly string[] => catalog.interventions.get(id)?.tags ?? [];
  const out: WhyNot[] = [];
  for (const intervention of catalog.files.interventions.interventions) {
    const answered = inAnswer.get(intervention.id);
    if (answered && (answered.status === 'candidate' || answered.status === 'caution')) continue;
    const rules: StoppedRule[] = [];
    for (const rule of ruleset.rules) {
      if (rule.status !== 'active' || rule.kind !== 'option') continue;
      if (!proposes(rule, intervention.id, tagsOf)) continue;
      const hit = notFired.get(rule.id);
      if (!hit) continue;
      const leaf: TraceNode | undefined = hit.failedLeaf;
      rules.push({
        ruleId: rule.id,
        title: rule.title,
        source: hit.source,
        ...(leaf && 'fact' in leaf
          ? {
              failed: leafWords(
                {
                  fact: leaf.fact,
                  operator: leaf.operator,
                  value: leaf.value,
                  ...(leaf.params === undefined ? {} : { params: leaf.params }),
                },
                catalog,
              ),
              saw: leaf.factValue ?? null,
            }
          : {}),
      });
    }
    const reasons = (answered?.reasons ?? [])
      .filter((r) => r.kind === 'block' || r.kind === 'deferral')
      .map((r) => ({
        code: r.code,
        message: r.message,
        ...(r.ruleId === undefined ? {} : { ruleId: r.ruleId }),
      }));
    out.push({
      intervention: intervention.id,
      name: intervention.name,
      status: answered ? answered.status : 'not offered',
      rules,
      reasons,
    });
  }
  return out;
}
