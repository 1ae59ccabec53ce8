import { outcomeOf } from '../../src/rules/rule-types';
import type { Condition } from '../../src/rules/rule-types';
import { childrenOf, isLeaf } from '../../src/rules/rule-types';
import { shippedRuleset } from '../support/app';

/**
 * The studied-dose caution is one rule per agent (a rule's targets are fixed), so a new agent
 * with a studied dose range needs its rule: this keeps catalog and rules in step.
 */
const { rules, catalog } = shippedRuleset();

function readsDoseOf(condition: Condition, fact: string): string[] {
  if (isLeaf(condition))
    return condition.fact === fact && typeof condition.params?.id === 'string'
      ? [condition.params.id]
      : [];
  return childrenOf(condition).flatMap((c) => readsDoseOf(c, fact));
}

/** Agents some active safety rule cautions (or blocks) with `code` when `fact` about it is true. */
function guarded(fact: string, code: string): Set<string> {
  const ids = new Set<string>();
  for (const rule of rules) {
    if (rule.status !== 'active' || rule.kind !== 'safety') continue;
    const o = outcomeOf(rule);
    if ((o.type !== 'caution' && o.type !== 'block') || o.reason.code !== code) continue;
    const targets = new Set(o.reason.interventions ?? []);
    for (const id of readsDoseOf(rule.when, fact)) if (targets.has(id)) ids.add(id);
  }
  return ids;
}

describe('dose rules follow the catalog', () => {
  it('when an intervention has a studied dose range, then a rule cautions a dose above it', () => {
    const withRange = [...catalog.interventions.values()]
      .filter((i) => i.studiedDose !== undefined)
      .map((i) => i.id);
    expect(withRange.length).toBeGreaterThan(10);
    const covered = guarded('dose-above-studied', 'CAU-DOSE-ABOVE-STUDIED');
    expect(withRange.filter((id) => !covered.has(id))).toEqual([]);
  });

  it('when an intervention has an upper intake limit, then a rule blocks a dose above it', () => {
    const withUl = [...catalog.interventions.values()]
      .filter((i) => i.upperLimit !== undefined)
      .map((i) => i.id);
    expect(withUl.length).toBeGreaterThan(3);
    const covered = guarded('dose-over-ul', 'BLK-UL');
    expect(withUl.filter((id) => !covered.has(id))).toEqual([]);
  });
});
