/** Distinct unit texts remembered; the memo is emptied when full, so odd input cannot grow it. */
const MEMO_LIMIT = 512;
const memo = new Map<string, string>();

/**
 * The lookup key of a unit as a lab prints it: NFKC, no whitespace, both micro signs as UCUM's
 * `u`, `²` as `2`. Case is kept: UCUM is case-sensitive (`Mmol/L` is megamole per litre, `mU/L`
 * milli enzyme units, `G` gauss), so a unit is only ever matched as written. Lab shorthand
 * (`mcg`, `Cr`, `creatinine`, `mEq`, …) is not guessed here: it is data, listed in
 * rules/catalog/units.yaml as aliases and creatinine suffixes.
 */
export function normaliseUnit(unit: string): string {
  // Memoised for speed: a request has few distinct unit texts and the regexes run per value.
  const known = memo.get(unit);
  if (known !== undefined) return known;
  const key = unit
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[\u00b5\u03bc]/g, 'u')
    .replace(/²/g, '2');
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(unit, key);
  return key;
}

/**
 * Every key a catalog unit spelling stands for: the spelling as written and, when it ends in one
 * of the family's creatinine suffixes, its stem with each of them (`µg/g Cr` also stands for
 * `ug/g{creat}`, `ug/g creatinine`, …); and each of those with `l` for `L`, UCUM's two symbols
 * for the litre (`mmol/l` is `mmol/L`). Nothing else is folded: `Mmol/L` and `mU/L` match nothing
 * a catalog unit is written as.
 */
export function unitKeys(spelling: string, creatinineSuffixes: readonly string[]): string[] {
  const key = normaliseUnit(spelling);
  const suffixes = creatinineSuffixes.map(normaliseUnit).sort((a, b) => b.length - a.length);
  const suffix = suffixes.find((s) => key.endsWith(s) && key.length > s.length);
  const stem = suffix === undefined ? undefined : key.slice(0, key.length - suffix.length);
  const keys = stem === undefined ? [key] : [key, ...suffixes.map((s) => stem + s)];
  return [...new Set(keys.flatMap((k) => [k, litreAsL(k)]))];
}

/** The same unit with UCUM's lower-case litre symbol (only the litre is written `L` here). */
function litreAsL(key: string): string {
  return key.replace(/L/g, 'l');
}
