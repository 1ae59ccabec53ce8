/** Distinct unit texts remembered; the memo is emptied when full, so odd input cannot grow it. */
const MEMO_LIMIT = 512;
const memo = new Map<string, string>();

/**
 * Normalises a unit as labs print it, so that `µg/g Cr`, `μg/g creatinine`, `mcg/g creat` and
 * `ug/g{creat}` meet at one key (`ug/g{creat}`). Case, spaces, both micro signs and the many ways of
 * writing "per creatinine" are folded; nothing else is guessed.
 */
export function normaliseUnit(unit: string): string {
  // Memoised for speed: a request has few distinct unit texts and the regexes run per value.
  const known = memo.get(unit);
  if (known !== undefined) return known;
  const key = fold(unit);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(unit, key);
  return key;
}

function fold(unit: string): string {
  let u = unit.normalize('NFKC').trim().toLowerCase();
  u = u
    .replace(/[\u00b5\u03bc]/g, 'u')
    .replace(/mcg/g, 'ug')
    .replace(/\s+/g, '');
  u = u.replace(/²/g, '2');
  u = u.replace(/(\{creat(inine)?\}|creatinine|creat|crea|crt|cr)$/, '{creat}');
  return u;
}
