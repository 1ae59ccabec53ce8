import { createHash } from 'node:crypto';
import type { Issue } from '../lib/issue';
import type { Policy } from './catalog-types';
import type { CheckedRuleset } from './load';
import type { RuleDef } from './rule-types';

/** One rule's or policy's recorded state: the version its content was released under, and that content's hash. */
export interface LockEntry {
  readonly version: number;
  readonly hash: string;
}

/**
 * rules/ruleset.lock: what was released. The ruleset's version with a hash of all its content
 * (rules and catalog, manifest aside), and each rule's and policy's version with its content hash.
 */
export interface RulesetLock {
  readonly ruleset: { readonly version: string; readonly contentHash: string } | undefined;
  readonly policies: Readonly<Record<string, LockEntry>>;
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

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** sha256 of the rule as written, without its version (and without where it was read from). */
export function ruleContentHash(rule: RuleDef): string {
  const { version: _version, source: _source, ...content } = rule;
  return sha256(canonicalJson(content));
}

/** sha256 of the policy as written, without its version. */
export function policyContentHash(policy: Policy): string {
  const { version: _version, ...content } = policy;
  return sha256(canonicalJson(content));
}

/** sha256 over every rule (with its version) and every catalog file: all content but the manifest. */
export function rulesetContentHash(ruleset: CheckedRuleset): string {
  const rules = [...ruleset.rules]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ source: _source, ...rule }) => rule);
  return sha256(canonicalJson({ catalog: ruleset.catalog.files, rules }));
}

const byId = <T extends { id: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

export function computeLock(ruleset: CheckedRuleset): RulesetLock {
  return {
    ruleset: { version: ruleset.manifest.version, contentHash: rulesetContentHash(ruleset) },
    policies: Object.fromEntries(
      byId(ruleset.catalog.files.policies.policies).map((p) => [
        p.id,
        { version: p.version, hash: policyContentHash(p) },
      ]),
    ),
    rules: Object.fromEntries(
      byId(ruleset.rules).map((r) => [r.id, { version: r.version, hash: ruleContentHash(r) }]),
    ),
  };
}

/** One entry a line, sorted, so a review diff of the lock shows exactly what changed. */
export function formatLock(lock: RulesetLock): string {
  const lines = (entries: Readonly<Record<string, LockEntry>>): string =>
    Object.entries(entries)
      .map(
        ([id, e]) => `    ${JSON.stringify(id)}: { "version": ${e.version}, "hash": "${e.hash}" }`,
      )
      .join(',\n');
  return [
    '{',
    '  "comment": "The released ruleset version with a hash of its content, and per-rule and per-policy content hashes (canonical JSON minus the version). Written by `npm run rules:validate -- --update-lock`; do not edit by hand.",',
    `  "ruleset": ${JSON.stringify(lock.ruleset ?? null)},`,
    '  "policies": {',
    lines(lock.policies),
    '  },',
    '  "rules": {',
    lines(lock.rules),
    '  }',
    '}',
    '',
  ].join('\n');
}

export type ParsedLock = { ok: true; lock: RulesetLock } | { ok: false; message: string };

function entriesOf(
  value: unknown,
  what: string,
): { ok: true; entries: Record<string, LockEntry> } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, entries: {} };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, message: `ruleset.lock has no "${what}" object` };
  const out: Record<string, LockEntry> = {};
  for (const [id, entry] of Object.entries(value as Record<string, unknown>)) {
    const e = entry as Partial<LockEntry> | null;
    if (typeof e?.version !== 'number' || typeof e.hash !== 'string')
      return { ok: false, message: `ruleset.lock entry "${id}" needs a version and a hash` };
    out[id] = { version: e.version, hash: e.hash };
  }
  return { ok: true, entries: out };
}

export function parseLock(text: string): ParsedLock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, message: 'ruleset.lock is not valid JSON' };
  }
  const d = (data ?? {}) as { rules?: unknown; policies?: unknown; ruleset?: unknown };
  if (d.rules === undefined) return { ok: false, message: 'ruleset.lock has no "rules" object' };
  const rules = entriesOf(d.rules, 'rules');
  if (!rules.ok) return rules;
  const policies = entriesOf(d.policies, 'policies');
  if (!policies.ok) return policies;
  const r = d.ruleset as { version?: unknown; contentHash?: unknown } | null | undefined;
  const ruleset =
    typeof r?.version === 'string' && typeof r.contentHash === 'string'
      ? { version: r.version, contentHash: r.contentHash }
      : undefined;
  return { ok: true, lock: { ruleset, policies: policies.entries, rules: rules.entries } };
}

export type Locate = (rule: RuleDef, path: readonly (string | number)[]) => Issue;

/** Where a policy is written: its `- id:` line in policies.yaml. */
export type LocatePolicy = (policy: Policy) => Issue;

const UPDATE = 'run `npm run rules:validate -- --update-lock`';

interface Versioned {
  readonly id: string;
  readonly version: number;
  readonly hash: string;
  readonly at: Issue;
}

/** Changed content at the same (or a lower) version is an error; a bump or a new entry needs the lock rewritten. */
function checkEntries(
  what: 'rule' | 'policy',
  items: readonly Versioned[],
  locked: Readonly<Record<string, LockEntry>>,
  lockFile: string,
): Issue[] {
  const issues: Issue[] = [];
  const ids = new Set<string>();
  const code = what === 'rule' ? 'RULE' : 'POLICY';
  for (const item of items) {
    ids.add(item.id);
    const entry = locked[item.id];
    if (entry === undefined) {
      issues.push({
        ...item.at,
        code: `${code}-LOCK-OUTDATED`,
        message: `${item.id}: new ${what}, not in ${lockFile} yet; ${UPDATE}`,
      });
    } else if (item.version < entry.version) {
      issues.push({
        ...item.at,
        code: `${code}-VERSION-REGRESSED`,
        message: `${item.id}: version ${item.version} is lower than the released version ${entry.version}`,
      });
    } else if (item.version === entry.version && item.hash !== entry.hash) {
      issues.push({
        ...item.at,
        code: `${code}-VERSION-NOT-BUMPED`,
        message: `${item.id}: content changed since version ${entry.version} was locked; bump version to ${entry.version + 1}, then ${UPDATE}`,
      });
    } else if (item.version > entry.version) {
      issues.push({
        ...item.at,
        code: `${code}-LOCK-OUTDATED`,
        message: `${item.id}: version bumped ${entry.version} → ${item.version}; record it with \`npm run rules:validate -- --update-lock\``,
      });
    }
  }
  for (const id of Object.keys(locked)) {
    if (!ids.has(id))
      issues.push({
        code: `${code}-LOCK-OUTDATED`,
        message: `${id}: in ${lockFile} but no longer in any ${what === 'rule' ? 'rule file' : 'policies.yaml'} (retire rules with status: retired rather than deleting them); ${UPDATE} if the removal is intended`,
        file: lockFile,
        line: 1,
        column: 1,
      });
  }
  return issues;
}

/** Semantic versions compared numerically, part by part (pre-release tags are not used here). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map(Number);
  const pb = b.split(/[.+-]/).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Compares the ruleset on disk with the committed lock: each rule's and policy's version against
 * its content, and the ruleset's own version against all of its content (any change to a rule or
 * a catalog file needs a higher ruleset version in manifest.yaml).
 */
export function checkLock(
  ruleset: CheckedRuleset,
  lock: RulesetLock,
  at: Locate,
  atPolicy: LocatePolicy,
  lockFile: string,
): Issue[] {
  const rules = ruleset.rules.map((r) => ({
    id: r.id,
    version: r.version,
    hash: ruleContentHash(r),
    at: at(r, ['version']),
  }));
  const policies = ruleset.catalog.files.policies.policies.map((p) => ({
    id: p.id,
    version: p.version,
    hash: policyContentHash(p),
    at: atPolicy(p),
  }));
  const issues = [
    ...checkEntries('rule', rules, lock.rules, lockFile),
    ...checkEntries('policy', policies, lock.policies, lockFile),
  ];
  const manifestAt = { file: 'rules/manifest.yaml', line: 1, column: 1 };
  const { version } = ruleset.manifest;
  const released = lock.ruleset;
  if (released === undefined) {
    issues.push({
      ...manifestAt,
      code: 'RULESET-LOCK-OUTDATED',
      message: `${lockFile} records no ruleset version; ${UPDATE}`,
    });
    return issues;
  }
  const order = compareVersions(version, released.version);
  const changed = rulesetContentHash(ruleset) !== released.contentHash;
  if (order < 0)
    issues.push({
      ...manifestAt,
      code: 'RULESET-VERSION-REGRESSED',
      message: `ruleset version ${version} is lower than the released version ${released.version}`,
    });
  else if (order === 0 && changed)
    issues.push({
      ...manifestAt,
      code: 'RULESET-VERSION-NOT-BUMPED',
      message: `rule or catalog content changed since ruleset ${released.version} was locked; raise version in rules/manifest.yaml (and add a rules/CHANGELOG.md entry), then ${UPDATE}`,
    });
  else if (order > 0)
    issues.push({
      ...manifestAt,
      code: 'RULESET-LOCK-OUTDATED',
      message: `ruleset version raised ${released.version} → ${version}; record it with \`npm run rules:validate -- --update-lock\``,
    });
  return issues;
}

/** Codes that --update-lock refuses to paper over. */
export const LOCK_BLOCKING_CODES: ReadonlySet<string> = new Set([
  'RULE-VERSION-NOT-BUMPED',
  'RULE-VERSION-REGRESSED',
  'POLICY-VERSION-NOT-BUMPED',
  'POLICY-VERSION-REGRESSED',
  'RULESET-VERSION-NOT-BUMPED',
  'RULESET-VERSION-REGRESSED',
]);
