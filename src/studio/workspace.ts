import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Issue } from '../lib/issue';
import { createLocator } from '../rules/lint';
import { loadRuleset } from '../engine/ruleset';
import type { LoadResult, Ruleset } from '../engine/ruleset';
import { gateRuleset, isLockIssue } from '../rules/gate';
import { computeLock, formatLock, parseLock, ruleContentHash } from '../rules/lock';

/** A path the studio refuses to read or write: outside rules/, not a rule file, or a link. */
export class RulePathError extends Error {
  override readonly name = 'RulePathError';
}

/** Relative rule-file paths: lower-case words, folders, ending in .yaml. No dots as segments. */
const REL_PATH = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*\.yaml$/;

/**
 * The absolute path of a rule file under `rulesDir`, or RulePathError. Refused: absolute paths,
 * `..` and `.` segments, back-slashes, percent-encoding, anything but `*.yaml`, and any path that
 * passes through a symbolic link (checked on the real path of every existing part).
 */
export function ruleFilePath(rulesDir: string, rel: unknown): string {
  if (typeof rel !== 'string' || rel.length > 200 || !REL_PATH.test(rel))
    throw new RulePathError('not a rule file path under rules/ (folder/name.yaml)');
  const root = fs.realpathSync(rulesDir);
  const target = path.resolve(root, ...rel.split('/'));
  if (path.relative(root, target).startsWith('..')) throw new RulePathError('outside rules/');
  let at = root;
  for (const part of rel.split('/')) {
    at = path.join(at, part);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(at);
    } catch {
      break; // a new file (or folder) from here on: nothing to follow
    }
    if (stat.isSymbolicLink()) throw new RulePathError('a symbolic link under rules/');
  }
  return target;
}

/** Every YAML file under rules/, relative, sorted (links are not followed). */
export function ruleFiles(rulesDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(rulesDir, rel), { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.isFile() && e.name.endsWith('.yaml')) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

export function readRuleFile(rulesDir: string, rel: unknown): string {
  const file = ruleFilePath(rulesDir, rel);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new RulePathError('no such rule file');
  }
}

/** A rule whose content changed at its locked version: where its version is, and the next one. */
export interface NeededBump {
  readonly ruleId: string;
  readonly from: number;
  readonly to: number;
  readonly line: number;
  readonly column: number;
}

export interface Candidate {
  /** What the real loader says of the edited ruleset (the check that gates serving). */
  readonly load: LoadResult;
  /** Lock differences (rules/ruleset.lock), when it loads. */
  readonly lockIssues: readonly Issue[];
  /** Changed rules of the edited file still at their locked version. */
  readonly bumps: readonly NeededBump[];
}

/**
 * The ruleset as it would be with `text` saved at `rel`, loaded by the real loader from a
 * temporary copy of rules/ (nothing under rules/ is touched), and checked against the lock.
 */
export function loadCandidate(rulesDir: string, rel: string, text: string): Candidate {
  ruleFilePath(rulesDir, rel);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-studio-'));
  try {
    const copy = path.join(tmp, 'rules');
    fs.cpSync(rulesDir, copy, { recursive: true });
    fs.mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
    fs.writeFileSync(path.join(copy, rel), text);
    const load = loadRuleset(copy);
    if (!load.ok) return { load, lockIssues: [], bumps: [] };
    let lockText: string | undefined;
    try {
      lockText = fs.readFileSync(path.join(rulesDir, 'ruleset.lock'), 'utf8');
    } catch {
      lockText = undefined;
    }
    const parsed = lockText === undefined ? undefined : parseLock(lockText);
    if (!parsed?.ok) return { load, lockIssues: [], bumps: [] };
    const locate = createLocator(copy);
    // The same gate serving applies (rules/gate.ts), on the copy with the unsaved text.
    const lockIssues = gateRuleset(load.ruleset, copy).issues.filter((i) => isLockIssue(i.code));
    const bumps: NeededBump[] = [];
    for (const rule of load.ruleset.rules) {
      if (rule.source.file !== `rules/${rel}`) continue;
      const entry = parsed.lock.rules[rule.id];
      if (entry?.version !== rule.version || entry.hash === ruleContentHash(rule)) continue;
      const at = locate(rule, ['version']);
      bumps.push({
        ruleId: rule.id,
        from: rule.version,
        to: entry.version + 1,
        line: at.line ?? rule.source.line,
        column: at.column ?? rule.source.column,
      });
    }
    return { load, lockIssues, bumps };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** `text` with each needed bump written over the version number where it stands. */
export function applyBumps(text: string, bumps: readonly NeededBump[]): string {
  const lines = text.split('\n');
  for (const b of bumps) {
    const i = b.line - 1;
    const line = lines[i];
    if (line === undefined) continue;
    const col = b.column - 1;
    const m = /^\d+/.exec(line.slice(col));
    if (!m) continue;
    lines[i] = `${line.slice(0, col)}${String(b.to)}${line.slice(col + m[0].length)}`;
  }
  return lines.join('\n');
}

/**
 * Writes the rule file (through a temporary file and a rename in the same folder) and the lock
 * for `ruleset`, the loaded candidate of exactly this text.
 */
export function saveRuleFile(rulesDir: string, rel: string, text: string, ruleset: Ruleset): void {
  const file = ruleFilePath(rulesDir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const write = (target: string, content: string): void => {
    const tmp = `${target}.studio-${String(process.pid)}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, target);
  };
  write(file, text);
  const lockPath = path.join(fs.realpathSync(rulesDir), 'ruleset.lock');
  let previous: string | undefined;
  try {
    previous = fs.readFileSync(lockPath, 'utf8');
  } catch {
    previous = undefined;
  }
  const parsed = previous === undefined ? undefined : parseLock(previous);
  // Rules and policies are recorded; the released ruleset version is not: raising it (and its
  // changelog entry) is the author's release step, so until then the gate says the ruleset
  // version needs a bump, loudly in development and as a refusal in production.
  const lock = computeLock(ruleset);
  write(
    lockPath,
    formatLock(parsed?.ok === true ? { ...lock, ruleset: parsed.lock.ruleset } : lock),
  );
}
