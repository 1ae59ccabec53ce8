import type { Catalog } from '../rules/catalog';
import type { Analyte } from '../rules/catalog-types';
import type { BiomarkerFact, DataProblem } from './model';
import { classify, resolveRange } from './ranges';
import type { BiomarkerInput } from './request-types';
import { instantOf, olderThan, wholeDays } from './time';
import { needsCreatinineBasis, toCanonical, toSignificant } from './units';

/** One result as read on its own: what it would mean if it were the one that counts. */
interface Read {
  readonly status: BiomarkerFact['status'];
  readonly value: number | null;
  readonly ulnMultiple: number | null;
}

interface Entry {
  readonly pointer: string;
  readonly read: Read;
  /** Epoch ms of collectedAt; undefined when undated. */
  readonly at: number | undefined;
  readonly stale: boolean;
}

export interface BiomarkerFacts {
  /** Per analyte: the result that counts and the worst of every result sent. */
  readonly facts: Map<string, BiomarkerFact>;
  readonly urinaryNeurotransmitterSent: boolean;
}

const NOT_INTERPRETED: Read = { status: 'uninterpretable', value: null, ulnMultiple: null };

/**
 * Every analyte's facts from every result sent for it. Results never resolve by list order: the
 * most recent by collectedAt counts and the others are DATA-DUPLICATE-ANALYTE; with an undated
 * result among several, or two at the latest time that read differently, the analyte is ambiguous
 * (every one is reported, none interpreted). A result older than its window is DATA-STALE and not
 * interpreted. Every problem of every result is reported, not the first. `asOf` undefined: no
 * staleness is judged (answer() always passes one).
 */
export function biomarkerFacts(
  catalog: Catalog,
  inputs: readonly BiomarkerInput[],
  asOf: number | undefined,
  problems: DataProblem[],
): BiomarkerFacts {
  // Plain loops and literals: this runs for every result of every request (the fast path).
  const byAnalyte = new Map<string, Entry[]>();
  let urinaryNeurotransmitterSent = false;
  for (let i = 0; i < inputs.length; i += 1) {
    const input = inputs[i];
    const analyte = input === undefined ? undefined : catalog.analytes.get(input.analyte);
    if (input === undefined || analyte === undefined) continue;
    if (analyte.urinaryNeurotransmitter === true) urinaryNeurotransmitterSent = true;
    const pointer = `/biomarkers/${i}`;
    const read = readResult(catalog, analyte, input, pointer, problems);
    const at = input.collectedAt === undefined ? undefined : instantOf(input.collectedAt);
    const stale = at !== undefined && isStale(catalog, analyte, at, asOf, pointer, problems);
    const entry: Entry = { pointer, read, at, stale };
    const group = byAnalyte.get(analyte.id);
    if (group) group.push(entry);
    else byAnalyte.set(analyte.id, [entry]);
  }

  const facts = new Map<string, BiomarkerFact>();
  for (const [id, entries] of byAnalyte) {
    const counted = entries.length === 1 ? entries[0] : countedEntry(id, entries, problems);
    const usable = counted !== undefined && !counted.stale;
    const { status, value, ulnMultiple } = usable ? counted.read : NOT_INTERPRETED;
    const pointer = (counted ?? entries[0])?.pointer ?? '/biomarkers';
    // The worst of every result sent (written out whole: one shape for every fact).
    let maxUlnMultiple: number | null = null;
    let anyHigh = false;
    let anyLow = false;
    for (const { read } of entries) {
      const m = read.ulnMultiple;
      if (m !== null && (maxUlnMultiple === null || m > maxUlnMultiple)) maxUlnMultiple = m;
      if (read.status === 'high') anyHigh = true;
      else if (read.status === 'low') anyLow = true;
    }
    facts.set(id, { status, value, ulnMultiple, pointer, maxUlnMultiple, anyHigh, anyLow });
  }
  return { facts, urinaryNeurotransmitterSent };
}

/** The entry that counts, reporting the others; undefined when the results cannot be ordered. */
function countedEntry(
  analyte: string,
  entries: readonly Entry[],
  problems: DataProblem[],
): Entry | undefined {
  const [first] = entries;
  if (entries.length === 1) return first;
  const latest = Math.max(...entries.map((e) => e.at ?? Number.NaN));
  const atLatest = entries.filter((e) => e.at === latest);
  const top = atLatest[0];
  const ambiguous =
    Number.isNaN(latest) || top === undefined || atLatest.some((e) => !sameRead(e.read, top.read));
  if (ambiguous) {
    const undated = entries.some((e) => e.at === undefined);
    for (const e of entries)
      problems.push({
        code: 'DATA-DUPLICATE-ANALYTE',
        pointer: e.pointer,
        detail: `${analyte}: ${entries.length} results ${undated ? 'and not every one is dated' : 'at the same latest time read differently'}, so none is interpreted`,
      });
    return undefined;
  }
  for (const e of entries)
    if (e !== top)
      problems.push({
        code: 'DATA-DUPLICATE-ANALYTE',
        pointer: e.pointer,
        detail: `${analyte}: not used; the most recent result (${top.pointer}) counts`,
      });
  return top;
}

function sameRead(a: Read, b: Read): boolean {
  return a.status === b.status && a.value === b.value && a.ulnMultiple === b.ulnMultiple;
}

/** A dated result older than its analyte group's window (policy `staleAfter`) is reported. */
function isStale(
  catalog: Catalog,
  analyte: Analyte,
  at: number,
  asOf: number | undefined,
  pointer: string,
  problems: DataProblem[],
): boolean {
  const staleness = catalog.policies.staleness;
  const days = staleness?.analyteDays.get(analyte.id);
  if (asOf === undefined || staleness === undefined || days === undefined) return false;
  if (!olderThan(at, asOf, days)) return false;
  const { policy } = staleness;
  problems.push({
    code: policy.staleAfter.code,
    pointer: `${pointer}/collectedAt`,
    detail: `${analyte.id}: collected ${wholeDays(at, asOf)} days before asOf; window ${days} days (${policy.id} v${policy.version})`,
  });
  return true;
}

/**
 * One result read on its own. Every problem it has is reported, each at its own pointer: a urine
 * value with no unit and no range reports the missing unit, the missing creatinine basis and the
 * missing range together.
 */
function readResult(
  catalog: Catalog,
  analyte: Analyte,
  b: BiomarkerInput,
  pointer: string,
  problems: DataProblem[],
): Read {
  const value = toCanonical(catalog, analyte, b.value, b.unit);
  if (!value.ok) {
    problems.push({
      code: value.problem,
      pointer: `${pointer}/unit`,
      detail: `${analyte.id}: unit ${b.unit === undefined ? 'missing' : `"${b.unit}" not usable`}`,
    });
    if (value.problem === 'DATA-UNIT-MISSING' && needsCreatinineBasis(catalog, analyte))
      problems.push({
        code: 'DATA-CREAT-MISSING',
        pointer: `${pointer}/unit`,
        detail: `${analyte.id}: without a unit the result shows no creatinine basis`,
      });
  } else if (value.converted)
    problems.push({
      code: 'DATA-UNIT-CONVERTED',
      pointer: `${pointer}/unit`,
      detail: `${analyte.id} converted to ${catalog.unitFamilies.get(analyte.unitFamily)?.family.canonical ?? ''}`,
    });
  const range = resolveRange(catalog, analyte, b);
  // A printed range without its own unit is in the result's unit: its fault is the one above.
  const sameFault =
    !value.ok && !range.ok && range.problem !== 'DATA-RI-MISSING' && !b.referenceRange?.unit;
  if (!range.ok && !sameFault)
    problems.push({
      code: range.problem,
      pointer:
        range.problem === 'DATA-RI-MISSING'
          ? `${pointer}/referenceRange`
          : `${pointer}/referenceRange/unit`,
      detail: `${analyte.id}: no usable reference range`,
    });
  if (!value.ok) return NOT_INTERPRETED;
  if (!range.ok) return { status: 'uninterpretable', value: value.value, ulnMultiple: null };
  const high = range.range.high;
  return {
    status: classify(value.value, range.range),
    value: value.value,
    // A ratio of two separately rounded values can land a hair under N (2.99999999999): 9
    // significant figures keep "exactly 3× ULN" at 3 whatever the unit.
    ulnMultiple: high !== undefined && high > 0 ? toSignificant(value.value / high, 9) : null,
  };
}
