import type { FactModel } from '../facts/model';
import { childrenOf, isLeaf } from '../rules/rule-types';
import type { Condition } from '../rules/rule-types';
import { engineOperators } from './jre-operators';
import { FACTS } from './state';
import type { EvalState } from './state';

/**
 * Whether a catalog policy's condition holds for this request, after every rule kind ran:
 * json-rules-engine's semantics (its own operator objects; a leaf holds only when the operator
 * returns true), over the same named facts as the rules.
 */
export function policyConditionHolds(
  condition: Condition,
  model: FactModel,
  state: EvalState,
): boolean {
  if (isLeaf(condition)) {
    const fact = FACTS[condition.fact];
    const operator = engineOperators().get(condition.operator);
    // The loader refuses a policy naming an unknown fact or operator.
    if (fact === undefined || operator === undefined)
      throw new Error(`policy condition: unknown ${fact === undefined ? 'fact' : 'operator'}`);
    return operator.evaluate(fact(model, state, condition.params ?? {}), condition.value) === true;
  }
  if ('not' in condition) return !policyConditionHolds(condition.not, model, state);
  const children = childrenOf(condition);
  return 'all' in condition
    ? children.every((c) => policyConditionHolds(c, model, state))
    : children.some((c) => policyConditionHolds(c, model, state));
}
