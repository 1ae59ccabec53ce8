import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/paths';
import type { CatalogFiles, Manifest } from './catalog-types';
import type { RuleDef } from './rule-types';

/**
 * A checked ruleset as data, so that a restart on the same rule files and the same loader
 * skips parsing, schema validation and semantic checks (most of a cold start). The key covers
 * the bytes of every rule and catalog file (the ruleset hash) and of the loader's own code and
 * schemas: change either and the snapshot is ignored, so it can only ever replay a load that
 * passed every check.
 */
export interface RulesetSnapshot {
  readonly key: string;
  readonly manifest: Manifest;
  readonly catalog: CatalogFiles;
  readonly rules: readonly RuleDef[];
}

let fingerprint: string | undefined;

/** sha256 over the code and schemas that decide whether a ruleset loads and what it becomes. */
function loaderFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const root = projectRoot();
  const hash = createHash('sha256');
  const here = path.dirname(__dirname);
  const dirs = [
    path.join(here, 'rules'),
    path.join(here, 'facts'),
    path.join(here, 'lib'),
    path.join(root, 'schemas'),
  ];
  for (const dir of dirs) {
    for (const name of fs.readdirSync(dir).sort()) {
      if (!/\.(js|ts|json)$/.test(name)) continue;
      hash
        .update(name)
        .update('\0')
        .update(fs.readFileSync(path.join(dir, name)))
        .update('\0');
    }
  }
  fingerprint = hash.digest('hex');
  return fingerprint;
}

export function snapshotKey(rulesetHash: string): string {
  return createHash('sha256')
    .update(rulesetHash)
    .update('\0')
    .update(loaderFingerprint())
    .digest('hex');
}

function fileOf(dir: string, key: string): string {
  return path.join(dir, `ruleset-${key}.json`);
}

/** The snapshot for this key, or undefined when there is none or it cannot be read. */
export function readSnapshot(dir: string, key: string): RulesetSnapshot | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(fileOf(dir, key), 'utf8')) as RulesetSnapshot;
    return data.key === key ? data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes atomically (temp file, then rename); a read-only folder just means no snapshot. */
export function writeSnapshot(dir: string, snapshot: RulesetSnapshot): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const target = fileOf(dir, snapshot.key);
    const temp = `${target}.${String(process.pid)}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(snapshot));
    fs.renameSync(temp, target);
  } catch {
    // Not writable (e.g. a read-only container filesystem): load from YAML next time too.
  }
}
