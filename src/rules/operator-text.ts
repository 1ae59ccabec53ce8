// No Node.js imports: the rule studio's front end bundles this module too.

/** How operators read to an author (validate, explain and coverage share it). */
export const OP_TEXT: Readonly<Record<string, string>> = {
  equal: '=',
  notEqual: '≠',
  lessThan: '<',
  lessThanInclusive: '≤',
  greaterThan: '>',
  greaterThanInclusive: '≥',
  in: 'in',
  notIn: 'not in',
  between: 'between',
  contains: 'contains',
  doesNotContain: 'does not contain',
};
