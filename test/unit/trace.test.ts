import { Engine, Rule } from 'json-rules-engine';
import type { RuleResult, TopLevelCondition } from 'json-rules-engine';
import { buildHit } from '../support/reference';
import type { TraceNode } from '../../src/engine/response-types';
import type { RuleDef } from '../../src/rules/rule-types';
import { shippedRuleset } from '../support/app';

/**
 * The trace is built from json-rules-engine's own result tree. With conditions at different
 * priorities json-rules-engine short-circuits: a later set is never evaluated once an `any` is
 * true (or an `all` is false). Such a leaf must read not-evaluated, never false.
 */
const rule: RuleDef = shippedRuleset().rules[0]!;

async function run(conditions: TopLevelCondition, facts: Record<string, unknown>) {
  const engine = new Engine([], { allowUndefinedFacts: false });
  engine.addRule(new Rule({ name: 'r', conditions, event: { type: 'x' } }));
  const { results, failureResults } = await engine.run(facts);
  const fired = results.length === 1;
  const result = (fired ? results[0] : failureResults[0]) as RuleResult;
  return buildHit(rule, result, fired);
}

function children(node: TraceNode): readonly TraceNode[] {
  if ('all' in node) return node.all;
  if ('any' in node) return node.any;
  if ('not' in node) return [node.not];
  return [];
}

describe('trace of json-rules-engine results', () => {
  it('when the first (higher-priority) leaf of an any is true, then the skipped second leaf is not-evaluated with no fact value', async () => {
    const hit = await run(
      {
        any: [
          { fact: 'a', operator: 'equal', value: 1, priority: 2 },
          { fact: 'b', operator: 'equal', value: 1, priority: 1 },
        ],
      },
      { a: 1, b: 2 },
    );
    expect(hit.fired).toBe(true);
    expect(hit.conditions.result).toBe('true');
    const [first, second] = children(hit.conditions);
    expect(first).toMatchObject({ fact: 'a', factValue: 1, result: 'true' });
    expect(second).toEqual({ fact: 'b', operator: 'equal', value: 1, result: 'not-evaluated' });
  });

  it('when the first leaf of an all is false, then the skipped leaf is not-evaluated and the failed leaf is the false one', async () => {
    const hit = await run(
      {
        all: [
          { fact: 'a', operator: 'equal', value: 1, priority: 2 },
          { fact: 'b', operator: 'equal', value: 1, priority: 1 },
        ],
      },
      { a: 0, b: 1 },
    );
    expect(hit.fired).toBe(false);
    expect(hit.conditions.result).toBe('false');
    const [first, second] = children(hit.conditions);
    expect(first).toMatchObject({ fact: 'a', factValue: 0, result: 'false' });
    expect(second).toMatchObject({ fact: 'b', result: 'not-evaluated' });
    expect(second).not.toHaveProperty('factValue');
    expect(hit.failedLeaf).toEqual(first);
  });

  it('when a rule fires, then its root reads true (json-rules-engine leaves the root result unset)', async () => {
    const hit = await run({ all: [{ fact: 'a', operator: 'equal', value: 1 }] }, { a: 1 });
    expect(hit.conditions).toEqual({
      all: [{ fact: 'a', operator: 'equal', value: 1, factValue: 1, result: 'true' }],
      result: 'true',
    });
  });

  it('when a root not fails, then the failed leaf is the leaf that made its inside true', async () => {
    const hit = await run(
      {
        not: {
          any: [
            { fact: 'a', operator: 'equal', value: 1 },
            { fact: 'b', operator: 'equal', value: 1 },
          ],
        },
      },
      { a: 0, b: 1 },
    );
    expect(hit.fired).toBe(false);
    expect(hit.conditions.result).toBe('false');
    expect(hit.failedLeaf).toMatchObject({ fact: 'b', factValue: 1, result: 'true' });
  });

  it('when a hit is built, then it names the rule, its version, kind and source position', async () => {
    const hit = await run({ all: [{ fact: 'a', operator: 'equal', value: 1 }] }, { a: 1 });
    expect(hit).toMatchObject({
      ruleId: rule.id,
      version: rule.version,
      kind: rule.kind,
      source: `${rule.source.file}:${rule.source.line}:${rule.source.column}`,
    });
    expect(hit.source).toMatch(/^rules\/[a-z-]+\/[a-z0-9-]+\.yaml:\d+:\d+$/);
  });
});
