import type { LineOutcome } from '../../batch/batch';
import type { OutcomeSignature } from '../../regression/outcome-diff';

type Counts = Record<string, number>;

/** The distribution of one ruleset's answers over the population. */
export interface Tally {
  /** Lines read (answered or refused). */
  patients: number;
  answered: number;
  /** Refused lines by problem code. */
  refused: Counts;
  /** Patients with each red flag, by code. */
  redFlags: Counts;
  /** Patients with at least one red flag. */
  withRedFlag: number;
  /** Per intervention id, patients by status. */
  interventions: Record<string, Counts>;
  /** Patients with each data issue, by code. */
  dataIssues: Counts;
}

/** A patient whose outcome changed, kept (up to a cap) to show in the report. */
export interface ChangedPatient {
  readonly line: number;
  readonly responsible: readonly string[];
  readonly changes: readonly string[];
  readonly before: Compact;
  readonly after: Compact;
}

/** The outcome of one answer in a few fields: what a reviewer reads side by side. */
export interface Compact {
  readonly refused?: string;
  readonly redFlags: readonly string[];
  readonly interventions: Readonly<Record<string, string>>;
  readonly dataIssues: readonly string[];
}

/** Changes that touch safety, counted over every changed patient. */
export interface SafetyChanges {
  /** An intervention blocked before and offered (candidate or caution) after: listed first. */
  blockToOffer: number;
  offerToBlock: number;
  redFlagLost: number;
  redFlagGained: number;
  /** Accepted before, refused after, or the reverse. */
  refusalChanged: number;
}

export interface ChangeGroup {
  patients: number;
  /** Kinds of change (the readable line) by count. */
  kinds: Counts;
}

export interface Comparison {
  changedPatients: number;
  safety: SafetyChanges;
  /** Changed patients by the rule responsible (a patient counts under each of its rules). */
  groups: Record<string, ChangeGroup>;
  /** The first changed patients in input order (at most `examplesCap`). */
  examples: ChangedPatient[];
}

export interface ReplaySummary {
  after: Tally;
  before?: Tally;
  comparison?: Comparison;
}

export const NO_RULE = '(no rule difference: catalog or engine)';

export function emptyTally(): Tally {
  return {
    patients: 0,
    answered: 0,
    refused: {},
    redFlags: {},
    withRedFlag: 0,
    interventions: {},
    dataIssues: {},
  };
}

export function emptyComparison(): Comparison {
  return {
    changedPatients: 0,
    safety: {
      blockToOffer: 0,
      offerToBlock: 0,
      redFlagLost: 0,
      redFlagGained: 0,
      refusalChanged: 0,
    },
    groups: {},
    examples: [],
  };
}

const bump = (c: Counts, key: string, n = 1): void => {
  c[key] = (c[key] ?? 0) + n;
};

/** Counts one line's outcome into a tally. */
export function tallyOutcome(t: Tally, outcome: LineOutcome): void {
  t.patients += 1;
  if (outcome.kind !== 'answer') {
    const code =
      outcome.kind === 'rejected'
        ? outcome.rejection.code
        : outcome.kind === 'unreadable'
          ? 'UNREADABLE'
          : outcome.kind === 'line-too-long'
            ? 'BODY-TOO-LARGE'
            : 'TOO-MANY-LINES';
    bump(t.refused, code);
    return;
  }
  t.answered += 1;
  const r = outcome.response;
  const flags = new Set(r.redFlags.map((f) => f.code));
  for (const code of flags) bump(t.redFlags, code);
  if (flags.size > 0) t.withRedFlag += 1;
  for (const i of r.interventions) bump((t.interventions[i.id] ??= {}), i.status);
  for (const code of new Set(r.dataIssues.map((d) => d.code))) bump(t.dataIssues, code);
}

export function compactOf(s: OutcomeSignature): Compact {
  return {
    ...(s.rejected === undefined ? {} : { refused: s.rejected }),
    redFlags: [...s.redFlags.keys()].sort(),
    interventions: Object.fromEntries(
      [...s.interventions.entries()]
        .sort((x, y) => x[0].localeCompare(y[0]))
        .map(([id, v]) => [id, v.status]),
    ),
    dataIssues: [...s.dataIssues.keys()].sort(),
  };
}

const OFFERED = new Set(['candidate', 'caution']);

/** Counts one changed patient into a comparison. */
export function compareInto(c: Comparison, changed: ChangedPatient, examplesCap: number): void {
  c.changedPatients += 1;
  const { before, after } = changed;
  if (
    (before.refused === undefined) !== (after.refused === undefined) ||
    before.refused !== after.refused
  )
    c.safety.refusalChanged += 1;
  for (const [id, was] of Object.entries(before.interventions)) {
    const now = after.interventions[id];
    if (was === 'blocked' && now !== undefined && OFFERED.has(now)) c.safety.blockToOffer += 1;
    if (OFFERED.has(was) && now === 'blocked') c.safety.offerToBlock += 1;
  }
  for (const f of before.redFlags) if (!after.redFlags.includes(f)) c.safety.redFlagLost += 1;
  for (const f of after.redFlags) if (!before.redFlags.includes(f)) c.safety.redFlagGained += 1;
  for (const rule of changed.responsible.length > 0 ? changed.responsible : [NO_RULE]) {
    const g = (c.groups[rule] ??= { patients: 0, kinds: {} });
    g.patients += 1;
    for (const k of changed.changes) bump(g.kinds, k);
  }
  if (c.examples.length < examplesCap) c.examples.push(changed);
}

function addCounts(into: Counts, from: Counts): void {
  for (const [k, n] of Object.entries(from)) bump(into, k, n);
}

export function addTally(into: Tally, from: Tally): void {
  into.patients += from.patients;
  into.answered += from.answered;
  into.withRedFlag += from.withRedFlag;
  addCounts(into.refused, from.refused);
  addCounts(into.redFlags, from.redFlags);
  addCounts(into.dataIssues, from.dataIssues);
  for (const [id, statuses] of Object.entries(from.interventions))
    addCounts((into.interventions[id] ??= {}), statuses);
}

export function addComparison(into: Comparison, from: Comparison, examplesCap: number): void {
  into.changedPatients += from.changedPatients;
  for (const key of Object.keys(from.safety) as (keyof SafetyChanges)[])
    into.safety[key] += from.safety[key];
  for (const [rule, g] of Object.entries(from.groups)) {
    const mine = (into.groups[rule] ??= { patients: 0, kinds: {} });
    mine.patients += g.patients;
    addCounts(mine.kinds, g.kinds);
  }
  into.examples = [...into.examples, ...from.examples]
    .sort((x, y) => x.line - y.line)
    .slice(0, examplesCap);
}

function sortedCounts(c: Counts): Counts {
  return Object.fromEntries(
    Object.entries(c).sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])),
  );
}

function sortedTally(t: Tally): Tally {
  return {
    ...t,
    refused: sortedCounts(t.refused),
    redFlags: sortedCounts(t.redFlags),
    dataIssues: sortedCounts(t.dataIssues),
    interventions: Object.fromEntries(
      Object.keys(t.interventions)
        .sort()
        .map((id) => [id, sortedCounts(t.interventions[id] ?? {})]),
    ),
  };
}

/** The summary with every map in a canonical order: equal summaries serialise equally. */
export function canonical(s: ReplaySummary): ReplaySummary {
  return {
    after: sortedTally(s.after),
    ...(s.before ? { before: sortedTally(s.before) } : {}),
    ...(s.comparison
      ? {
          comparison: {
            ...s.comparison,
            groups: Object.fromEntries(
              Object.entries(s.comparison.groups)
                .sort((x, y) => y[1].patients - x[1].patients || x[0].localeCompare(y[0]))
                .map(([rule, g]) => [rule, { patients: g.patients, kinds: sortedCounts(g.kinds) }]),
            ),
          },
        }
      : {}),
  };
}
