import { createHash } from 'node:crypto';
import type { Issue } from '../lib/issue';
import type { RuleDef } from './rule-types';

/** One rule's recorded state: the version its content was released under, and that content's hash. */
export interface LockEntry {
  readonly version: number;
  readonly hash: string;
}

export interface RulesetLock {
  readonly rules: Readonly<Record<string, LockEntry>>;
}

/** JSON with object keys sorted at every level, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the rule as written, without its version (and without where it was read from). */
export function ruleContentHash(rule: RuleDef): string {
  const { version: _version, source: _source, ...content } = rule;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

export function computeLock(rules: readonly RuleDef[]): RulesetLock {
  const entries = [...rules]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => [r.id, { version: r.version, hash: ruleContentHash(r) }] as const);
  return { rules: Object.fromEntries(entries) };
}

/** One rule a line, sorted, so a review diff of the lock shows exactly the rules that changed. */
export function formatLock(lock: RulesetLock): string {
  const lines = Object.entries(lock.rules).map(
    ([id, e]) => `    ${JSON.stringify(id)}: { "version": ${e.version}, "hash": "${e.hash}" }`,
  );
  return [
    '{',
    '  "comment": "Per-rule content hashes (canonical JSON of each rule minus its version). Written by `npm run rules:validate -- --update-lock`; do not edit by hand.",',
    '  "rules": {',
    lines.join(',\n'),
    '  }',
    '}',
    '',
  ].join('\n');
}

export type ParsedLock = { ok: true; lock: RulesetLock } | { ok: false; message: string };

export function parseLock(text: string): ParsedLock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, message: 'ruleset.lock is not valid JSON' };
  }
  const rules = (data as { rules?: unknown } | null)?.rules;
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules))
    return { ok: false, message: 'ruleset.lock has no "rules" object' };
  const out: Record<string, LockEntry> = {};
  for (const [id, entry] of Object.entries(rules as Record<string, unknown>)) {
    const e = entry as Partial<LockEntry> | null;
    if (typeof e?.version !== 'number' || typeof e.hash !== 'string')
      return { ok: false, message: `ruleset.lock entry "${id}" needs a version and a hash` };
    out[id] = { version: e.version, hash: e.hash };
  }
  return { ok: true, lock: { rules: out } };
}

export type Locate = (rule: RuleDef, path: readonly (string | number)[]) => Issue;

/**
 * Compares the rules on disk with the committed lock. Changed content at the same (or a lower)
 * version is an error; a bump, a new or a removed rule means the lock must be rewritten.
 */
export function checkLock(
  rules: readonly RuleDef[],
  lock: RulesetLock,
  at: Locate,
  lockFile: string,
): Issue[] {
  const issues: Issue[] = [];
  const ids = new Set<string>();
  for (const rule of rules) {
    ids.add(rule.id);
    const entry = lock.rules[rule.id];
    const here = at(rule, ['version']);
    if (entry === undefined) {
      issues.push({
        ...here,
        code: 'RULE-LOCK-OUTDATED',
        message: `${rule.id}: new rule, not in ${lockFile} yet; run \`npm run rules:validate -- --update-lock\``,
      });
      continue;
    }
    const hash = ruleContentHash(rule);
    if (rule.version < entry.version) {
      issues.push({
        ...here,
        code: 'RULE-VERSION-REGRESSED',
        message: `${rule.id}: version ${rule.version} is lower than the released version ${entry.version}`,
      });
    } else if (rule.version === entry.version && hash !== entry.hash) {
      issues.push({
        ...here,
        code: 'RULE-VERSION-NOT-BUMPED',
        message: `${rule.id}: content changed since version ${entry.version} was locked; bump version to ${entry.version + 1}, then run \`npm run rules:validate -- --update-lock\``,
      });
    } else if (rule.version > entry.version) {
      issues.push({
        ...here,
        code: 'RULE-LOCK-OUTDATED',
        message: `${rule.id}: version bumped ${entry.version} → ${rule.version}; record it with \`npm run rules:validate -- --update-lock\``,
      });
    }
  }
  for (const id of Object.keys(lock.rules)) {
    if (!ids.has(id))
      issues.push({
        code: 'RULE-LOCK-OUTDATED',
        message: `${id}: in ${lockFile} but no longer in any rule file (retire rules with status: retired rather than deleting them); run --update-lock if the removal is intended`,
        file: lockFile,
        line: 1,
        column: 1,
      });
  }
  return issues;
}

/** Codes that --update-lock refuses to paper over. */
export const LOCK_BLOCKING_CODES: ReadonlySet<string> = new Set([
  'RULE-VERSION-NOT-BUMPED',
  'RULE-VERSION-REGRESSED',
]);
