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

/** Problems that make a questionnaire inconsistent: JSON pointer suffix and message. */
export function questionnaireProblems(
  q: Questionnaire,
  items: readonly number[] | undefined,
  total: number | undefined,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const maxTotal = q.itemCount * q.itemMax;
  const minTotal = q.itemCount * q.itemMin;
  if (items === undefined && total === undefined)
    problems.push({ path: '', message: `${q.id} needs items or a total` });
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
  if (total !== undefined && (total < minTotal || total > maxTotal))
    problems.push({ path: '/total', message: `${q.id} totals range ${minTotal}-${maxTotal}` });
  if (
    problems.length === 0 &&
    items !== undefined &&
    total !== undefined &&
    totalOf(q, items) !== total
  )
    problems.push({
      path: '/total',
      message: `${q.id} total ${total} does not match its items (${totalOf(q, items)})`,
    });
  return problems;
}
