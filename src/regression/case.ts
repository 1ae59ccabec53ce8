import fs from 'node:fs';
import path from 'node:path';
import type { EvaluationResponse } from '../engine/response-types';
import type { Issue } from '../lib/issue';
import { schemaIssues } from '../rules/load';
import { createAjv, readSchema } from '../lib/schemas';
import { parseYamlSource } from '../rules/yaml-source';

type FindingExpectation =
  | string
  | {
      readonly id: string;
      readonly band?: string;
      readonly score?: number;
      readonly value?: number;
    };

export interface Outcome {
  readonly redFlags?: readonly string[];
  readonly findings?: readonly FindingExpectation[];
  readonly interventions?: Readonly<
    Record<
      string,
      { readonly status?: string; readonly reasons?: readonly string[]; readonly current?: boolean }
    >
  >;
  readonly interventionIds?: readonly string[];
  readonly dataIssues?: readonly string[];
  readonly rulesFired?: readonly string[];
  readonly disclaimers?: readonly string[];
}

export interface RegressionCase {
  readonly name: string;
  readonly file: string;
  readonly description: string;
  readonly asOf: string;
  readonly request: Record<string, unknown>;
  readonly expect: Outcome;
  readonly absent?: Outcome;
}

/** Reads every case under dir (sorted); problems are returned as issues with file:line:column. */
export function loadCases(dir: string): { cases: RegressionCase[]; issues: Issue[] } {
  const ajv = createAjv();
  const validate = ajv.compile(readSchema('regression-case.schema.json'));
  const cases: RegressionCase[] = [];
  const issues: Issue[] = [];
  const files = fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  for (const rel of files) {
    const file = path.join(dir, rel);
    const display = path.relative(process.cwd(), file);
    const parsed = parseYamlSource(display, fs.readFileSync(file, 'utf8'));
    issues.push(...parsed.issues);
    if (!parsed.source) continue;
    if (!validate(parsed.source.data)) {
      issues.push(...schemaIssues(display, parsed.source, validate.errors ?? []));
      continue;
    }
    const data = parsed.source.data as Omit<RegressionCase, 'name' | 'file'>;
    cases.push({ ...data, name: rel.replace(/\.yaml$/, ''), file: display });
  }
  return { cases, issues };
}

/** The request as sent: the case's fixed asOf wins unless the request sets its own. */
export function requestOf(c: RegressionCase): Record<string, unknown> {
  return { asOf: c.asOf, ...c.request };
}

/**
 * What differs between the expected outcome and the answer, one line per difference; an empty
 * list means the case passes.
 */
export function compareOutcome(c: RegressionCase, actual: EvaluationResponse): string[] {
  const diffs: string[] = [];
  const flags = new Set(actual.redFlags.map((f) => f.code));
  const findings = new Map(actual.findings.map((f) => [f.id, f]));
  const interventions = new Map(actual.interventions.map((i) => [i.id, i]));
  const issues = new Set(actual.dataIssues.map((d) => d.code));
  const fired = new Set(actual.hits.map((h) => h.ruleId));
  const disclaimers = new Set(actual.disclaimers.map((d) => d.id));
  const e = c.expect;

  for (const code of e.redFlags ?? [])
    if (!flags.has(code)) diffs.push(`red flag ${code}: expected, got [${[...flags].join(', ')}]`);
  for (const f of e.findings ?? []) {
    const id = typeof f === 'string' ? f : f.id;
    const got = findings.get(id);
    if (!got) diffs.push(`finding ${id}: expected, got [${[...findings.keys()].join(', ')}]`);
    else if (typeof f !== 'string') {
      if (f.band !== undefined && got.band !== f.band)
        diffs.push(`finding ${id}: expected band ${f.band}, got ${got.band ?? 'none'}`);
      if (f.score !== undefined && got.score !== f.score)
        diffs.push(`finding ${id}: expected score ${String(f.score)}, got ${String(got.score)}`);
      if (f.value !== undefined && got.value !== f.value)
        diffs.push(`finding ${id}: expected value ${String(f.value)}, got ${String(got.value)}`);
    }
  }
  for (const [id, want] of Object.entries(e.interventions ?? {})) {
    const got = interventions.get(id);
    if (!got) {
      diffs.push(`intervention ${id}: expected, got none`);
      continue;
    }
    if (want.status !== undefined && got.status !== want.status)
      diffs.push(
        `intervention ${id}: expected status ${want.status}, got ${got.status} (${got.reasons.map((r) => r.code).join(', ')})`,
      );
    if (want.current !== undefined && (got.current === true) !== want.current)
      diffs.push(
        `intervention ${id}: expected current ${String(want.current)}, got ${String(got.current === true)}`,
      );
    const codes = new Set(got.reasons.map((r) => r.code));
    for (const code of want.reasons ?? [])
      if (!codes.has(code))
        diffs.push(`intervention ${id}: expected reason ${code}, got [${[...codes].join(', ')}]`);
  }
  for (const id of e.interventionIds ?? [])
    if (!interventions.has(id)) diffs.push(`intervention ${id}: expected, got none`);
  for (const code of e.dataIssues ?? [])
    if (!issues.has(code))
      diffs.push(`data issue ${code}: expected, got [${[...issues].join(', ')}]`);
  for (const id of e.rulesFired ?? [])
    if (!fired.has(id)) diffs.push(`rule ${id}: expected to fire, did not`);
  for (const id of e.disclaimers ?? [])
    if (!disclaimers.has(id)) diffs.push(`disclaimer ${id}: expected, got none`);

  const a = c.absent;
  if (a) {
    for (const code of a.redFlags ?? [])
      if (flags.has(code)) diffs.push(`red flag ${code}: expected absent, present`);
    for (const f of a.findings ?? []) {
      const id = typeof f === 'string' ? f : f.id;
      if (findings.has(id)) diffs.push(`finding ${id}: expected absent, present`);
    }
    for (const id of a.interventionIds ?? [])
      if (interventions.has(id))
        diffs.push(
          `intervention ${id}: expected absent, present with status ${interventions.get(id)?.status ?? ''}`,
        );
    for (const [id, notWant] of Object.entries(a.interventions ?? {})) {
      const got = interventions.get(id);
      if (!got) continue;
      if (notWant.status !== undefined && got.status === notWant.status)
        diffs.push(`intervention ${id}: status ${got.status} must not be`);
      if (notWant.current !== undefined && (got.current === true) === notWant.current)
        diffs.push(`intervention ${id}: current ${String(notWant.current)} must not be`);
      for (const code of notWant.reasons ?? [])
        if (got.reasons.some((r) => r.code === code))
          diffs.push(`intervention ${id}: reason ${code} must not be`);
    }
    for (const code of a.dataIssues ?? [])
      if (issues.has(code)) diffs.push(`data issue ${code}: expected absent, present`);
    for (const id of a.rulesFired ?? [])
      if (fired.has(id)) diffs.push(`rule ${id}: expected not to fire, fired`);
    for (const id of a.disclaimers ?? [])
      if (disclaimers.has(id)) diffs.push(`disclaimer ${id}: expected absent, present`);
  }
  return diffs;
}
