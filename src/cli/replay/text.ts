import type { ReplaySummary, Tally } from './summary';

export interface RulesetMeta {
  readonly source: string;
  readonly id: string;
  readonly version: string;
  readonly hash: string;
}

/** What a replay run writes beside its output (`<out>.summary.json`); shards merge these. */
export interface SummaryFile {
  readonly rules: RulesetMeta;
  readonly against?: RulesetMeta;
  readonly shard?: { readonly index: number; readonly count: number };
  /** Lines answered in this output. */
  readonly lines: number;
  readonly summary: ReplaySummary;
}

const STATUSES = ['candidate', 'caution', 'blocked', 'deferred'] as const;
const TOP = 8;

function pct(n: number, of: number): string {
  return of === 0 ? '0.0%' : `${((100 * n) / of).toFixed(1)}%`;
}

function beside(after: number, before: number | undefined): string {
  return before === undefined || before === after
    ? String(after)
    : `${String(before)} → ${String(after)}`;
}

function counts(
  title: string,
  a: Record<string, number>,
  b: Record<string, number> | undefined,
  of: number,
): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b ?? {})])].sort(
    (x, y) => (a[y] ?? 0) - (a[x] ?? 0) || x.localeCompare(y),
  );
  if (keys.length === 0) return [`${title}: none`];
  return [
    `${title}:`,
    ...keys.map(
      (k) =>
        `  ${k.padEnd(34)} ${beside(a[k] ?? 0, b ? (b[k] ?? 0) : undefined).padStart(14)}  (${pct(a[k] ?? 0, of)})`,
    ),
  ];
}

function interventions(a: Tally, b: Tally | undefined): string[] {
  const ids = [
    ...new Set([...Object.keys(a.interventions), ...Object.keys(b?.interventions ?? {})]),
  ].sort();
  const out = [`Interventions (patients by status${b ? ', before → after' : ''}):`];
  for (const id of ids) {
    const x = a.interventions[id] ?? {};
    const y = b?.interventions[id];
    out.push(
      `  ${id.padEnd(28)} ${STATUSES.map((s) => `${s} ${beside(x[s] ?? 0, y ? (y[s] ?? 0) : undefined)}`).join(', ')}`,
    );
  }
  return out;
}

/** The summary as a person reads it. */
export function summaryText(file: SummaryFile): string[] {
  const { summary: s } = file;
  const meta = (m: RulesetMeta): string =>
    `${m.source} — ${m.id} ${m.version} (hash ${m.hash.slice(0, 12)})`;
  const out = [`rules: ${meta(file.rules)}`];
  if (file.against) out.push(`against: ${meta(file.against)}`);
  const refused = Object.entries(s.after.refused)
    .map(([c, n]) => `${c} ${String(n)}`)
    .join(', ');
  out.push(
    '',
    `Patients: ${String(s.after.patients)} — ${String(s.after.answered)} answered, ${String(s.after.patients - s.after.answered)} refused${refused === '' ? '' : ` (${refused})`}`,
    `With a red flag: ${beside(s.after.withRedFlag, s.before?.withRedFlag)} (${pct(s.after.withRedFlag, s.after.answered)})`,
    ...counts('Red flags (patients)', s.after.redFlags, s.before?.redFlags, s.after.answered),
    ...interventions(s.after, s.before),
    ...counts('Data issues (patients)', s.after.dataIssues, s.before?.dataIssues, s.after.answered),
  );
  const c = s.comparison;
  if (c) {
    out.push(
      '',
      `Outcomes changed: ${String(c.changedPatients)} of ${String(s.after.patients)} patients`,
      'Safety changes:',
      `  ${c.safety.blockToOffer > 0 ? '⚠ ' : ''}blocked → offered: ${String(c.safety.blockToOffer)}`,
      `  offered → blocked: ${String(c.safety.offerToBlock)}`,
      `  red flags lost: ${String(c.safety.redFlagLost)}, gained: ${String(c.safety.redFlagGained)}`,
      `  accepted ↔ refused: ${String(c.safety.refusalChanged)}`,
    );
    for (const [rule, g] of Object.entries(c.groups)) {
      out.push('', `▸ ${rule}: ${String(g.patients)} patients`);
      const kinds = Object.entries(g.kinds);
      for (const [k, n] of kinds.slice(0, TOP)) out.push(`    ${String(n).padStart(6)}× ${k}`);
      if (kinds.length > TOP) out.push(`           … and ${String(kinds.length - TOP)} more kinds`);
    }
    const blockToOffer = c.examples.filter((e) =>
      Object.entries(e.before.interventions).some(
        ([id, st]) =>
          st === 'blocked' && ['candidate', 'caution'].includes(e.after.interventions[id] ?? ''),
      ),
    );
    if (blockToOffer.length > 0) {
      out.push('', 'Blocked → offered (first listed):');
      for (const e of blockToOffer.slice(0, TOP))
        out.push(`  line ${String(e.line)}: ${e.changes.join('; ')}`);
    }
  }
  return out;
}
