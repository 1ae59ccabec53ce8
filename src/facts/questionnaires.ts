import type { Catalog } from '../rules/catalog';
import type { Questionnaire } from '../rules/catalog-types';

/** Item answers after reverse scoring (PSS-10 items 4, 5, 7, 8: itemMax - answer). */
export function scoredItems(q: Questionnaire, items: readonly number[]): number[] {
  const reverse = new Set(q.reverseItems ?? []);
  return items.map((answer, i) => (reverse.has(i + 1) ? q.itemMax - answer : answer));
}

export function totalOf(q: Questionnaire, items: readonly number[]): number {
  return scoredItems(q, items).reduce((a, b) => a + b, 0);
}

/**
 * True when any questionnaire's band is one the catalog marks moderateOrWorse (a clinical mood,
 * anxiety or insomnia scale at moderate or worse); which instruments count is catalog data.
 */
export function anyModerateOrWorse(
  catalog: Catalog,
  questionnaires: ReadonlyMap<string, { readonly band: string | null }>,
): boolean {
  for (const [id, q] of questionnaires) {
    if (q.band === null) continue;
    const band = catalog.questionnaires.get(id)?.bands.find((b) => b.id === q.band);
    if (band?.moderateOrWorse === true) return true;
  }
  return false;
}

export function bandOf(q: Questionnaire, total: number): string | null {
  return q.bands.find((b) => total >= b.min && total <= b.max)?.id ?? null;
}

/** One item's answer sent on its own (`answers[]`). */
export interface ItemAnswer {
  readonly item: number;
  readonly value: number;
}

/** Problems that make a questionnaire inconsistent: JSON pointer suffix and message. */
export function questionnaireProblems(
  q: Questionnaire,
  items: readonly number[] | undefined,
  total: number | undefined,
  answers?: readonly ItemAnswer[],
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const maxTotal = q.itemCount * q.itemMax;
  const minTotal = q.itemCount * q.itemMin;
  if (items === undefined && total === undefined && answers === undefined)
    problems.push({ path: '', message: `${q.id} needs items, answers or a total` });
  if (items !== undefined && answers !== undefined)
    problems.push({
      path: '/answers',
      message: `${q.id}: send every item in items or some in answers, not both`,
    });
  if (items !== undefined) {
    if (items.length !== q.itemCount)
      problems.push({
        path: '/items',
        message: `${q.id} has ${q.itemCount} items; ${items.length} were sent`,
      });
    items.forEach((answer, i) => {
      if (answer < q.itemMin || answer > q.itemMax)
        problems.push({
          path: `/items/${i}`,
          message: `${q.id} items are scored ${q.itemMin}-${q.itemMax}`,
        });
    });
  }
  const seen = new Set<number>();
  (answers ?? []).forEach((a, i) => {
    if (a.item > q.itemCount)
      problems.push({
        path: `/answers/${i}/item`,
        message: `${q.id} has items 1-${q.itemCount}`,
      });
    if (seen.has(a.item))
      problems.push({
        path: `/answers/${i}/item`,
        message: `${q.id} item ${a.item} is answered twice`,
      });
    seen.add(a.item);
    if (a.value < q.itemMin || a.value > q.itemMax)
      problems.push({
        path: `/answers/${i}/value`,
        message: `${q.id} items are scored ${q.itemMin}-${q.itemMax}`,
      });
  });
  if (total !== undefined && (total < minTotal || total > maxTotal))
    problems.push({ path: '/total', message: `${q.id} totals range ${minTotal}-${maxTotal}` });
  if (problems.length > 0 || total === undefined) return problems;
  if (items !== undefined && totalOf(q, items) !== total)
    problems.push({
      path: '/total',
      message: `${q.id} total ${total} does not match its items (${totalOf(q, items)})`,
    });
  if (answers !== undefined) {
    // The known items bound the total: what the unknown ones add lies between their minimum and maximum.
    const known = scoredAnswers(q, answers).reduce((sum, a) => sum + a.value, 0);
    const unknown = q.itemCount - answers.length;
    const low = known + unknown * q.itemMin;
    const high = known + unknown * q.itemMax;
    if (total < low || total > high)
      problems.push({
        path: '/total',
        message: `${q.id} total ${total} cannot go with the answered items (it lies in ${low}-${high})`,
      });
  }
  return problems;
}

function scoredAnswers(q: Questionnaire, answers: readonly ItemAnswer[]): ItemAnswer[] {
  const reverse = new Set(q.reverseItems ?? []);
  return answers.map((a) => (reverse.has(a.item) ? { ...a, value: q.itemMax - a.value } : a));
}

/** Answers by item (index 0 = item 1), null where unknown: the `questionnaire-item` fact's view. */
export function itemsByNumber(
  q: Questionnaire,
  items: readonly number[] | undefined,
  answers: readonly ItemAnswer[] | undefined,
): (number | null)[] | null {
  if (items !== undefined) return [...items];
  if (answers === undefined) return null;
  const out: (number | null)[] = Array.from({ length: q.itemCount }, () => null);
  for (const a of answers) out[a.item - 1] = a.value;
  return out;
}

/** The items that matter on their own (`keyItems`, default every item) that are not known. */
export function unknownKeyItems(
  q: Questionnaire,
  known: readonly (number | null)[] | null,
): number[] {
  const key = q.keyItems ?? Array.from({ length: q.itemCount }, (_v, i) => i + 1);
  return key.filter((k) => known?.[k - 1] === undefined || known[k - 1] === null);
}
