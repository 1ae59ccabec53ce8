import { Operator } from 'json-rules-engine';

/** json-rules-engine's own operators that our rules may use. */
const ENGINE_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * Operators the service adds (documented in rules/README.md):
 * - `between`: fact value is a number within [low, high], both limits inclusive.
 */
export const CUSTOM_OPERATORS: readonly Operator[] = [
  new Operator<number, readonly [number, number]>(
    'between',
    (fact, [low, high]) => fact >= low && fact <= high,
    isNumber,
  ),
];

export const OPERATORS: ReadonlySet<string> = new Set<string>([
  ...ENGINE_OPERATORS,
  ...CUSTOM_OPERATORS.map((o) => o.name),
]);
