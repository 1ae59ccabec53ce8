import { Engine } from 'json-rules-engine';
import { CUSTOM_OPERATORS } from '../rules/operators';

/** json-rules-engine's Operator, as far as evaluation needs it. */
export interface OperatorLike {
  /** A boolean for every operator we use; json-rules-engine counts only `=== true` as holding. */
  evaluate(factValue: unknown, jsonValue: unknown): unknown;
}

type Callback = (factValue: unknown, jsonValue: unknown) => unknown;

/** The numeric comparisons whose fact-value check the shortcut below skips for numbers. */
const NUMERIC = new Set(['greaterThan', 'greaterThanInclusive', 'lessThan', 'lessThanInclusive']);

/**
 * The one place that reads json-rules-engine's private fields: an engine's operator table
 * (`engine.operators.operators`, a Map) and an operator's comparison (`cb`). Both are checked
 * here, so a json-rules-engine release that changes them fails at start-up, loudly, instead of
 * evaluating wrongly. test/perf/differential.test.ts holds the result to json-rules-engine's own.
 */
function privateOperators(engine: Engine): ReadonlyMap<string, OperatorLike & { cb?: unknown }> {
  const table = (engine as unknown as { operators?: { operators?: unknown } }).operators?.operators;
  if (!(table instanceof Map))
    throw new Error('json-rules-engine: engine.operators.operators is no longer a Map');
  for (const [name, op] of table as Map<unknown, unknown>) {
    const evaluate = (op as { evaluate?: unknown } | null)?.evaluate;
    if (typeof name !== 'string' || typeof evaluate !== 'function')
      throw new Error(`json-rules-engine: operator ${String(name)} has no evaluate()`);
  }
  return table as Map<string, OperatorLike & { cb?: unknown }>;
}

/**
 * json-rules-engine's numeric comparisons check the fact value with
 * `Number.parseFloat(v).toString() !== 'NaN'`, which turns a number into a string and back. For a
 * number that is just "not NaN", so a number takes that shortcut (for speed) to the operator's own
 * comparison; anything else still goes through the operator unchanged.
 */
function withNumberShortcut(name: string, op: OperatorLike & { cb?: unknown }): OperatorLike {
  const cb = op.cb;
  if (typeof cb !== 'function')
    throw new Error(`json-rules-engine: operator ${name} has no comparison callback (cb)`);
  const compare = cb as Callback;
  return {
    evaluate: (factValue, jsonValue) =>
      typeof factValue === 'number'
        ? !Number.isNaN(factValue) && compare(factValue, jsonValue)
        : op.evaluate(factValue, jsonValue),
  };
}

let operatorCache: ReadonlyMap<string, OperatorLike> | undefined;

/** json-rules-engine's operator objects (its own and ours), taken from an engine as it builds them. */
export function engineOperators(): ReadonlyMap<string, OperatorLike> {
  if (operatorCache) return operatorCache;
  const engine = new Engine();
  for (const op of CUSTOM_OPERATORS) engine.addOperator(op);
  const table = privateOperators(engine);
  for (const name of NUMERIC)
    if (!table.has(name)) throw new Error(`json-rules-engine: no operator ${name}`);
  operatorCache = new Map(
    [...table].map(([name, op]) => [name, NUMERIC.has(name) ? withNumberShortcut(name, op) : op]),
  );
  return operatorCache;
}
