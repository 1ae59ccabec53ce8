import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Issue } from '../lib/issue';
import { indexCatalog } from './catalog';
import type { Catalog } from './catalog';
import { CATALOG_FILES } from './catalog-types';
import type { CatalogFiles, Manifest, RuleKind } from './catalog-types';
import { checkCatalog, checkRules } from './check';
import { KIND_FOLDERS } from './rule-types';
import type { RuleDef } from './rule-types';
import { createAjv, readSchema } from '../lib/schemas';
import type { ErrorObject, ValidateFunction } from '../lib/schemas';
import { readSnapshot, snapshotKey, writeSnapshot } from './snapshot';
import { parseYamlSource } from './yaml-source';
import type { YamlSource } from './yaml-source';

/** A ruleset that passed the loader's checks (schema, references, semantics); not yet compiled. */
export interface CheckedRuleset {
  readonly manifest: Manifest;
  readonly catalog: Catalog;
  /** Every rule in the files, whatever its status. */
  readonly rules: readonly RuleDef[];
  readonly rulesById: ReadonlyMap<string, RuleDef>;
  /** sha256 over every loaded file's relative path and bytes. */
  readonly hash: string;
  readonly files: readonly string[];
  readonly loadedAt: string;
}

export type CheckedLoadResult =
  | { readonly ok: true; readonly ruleset: CheckedRuleset }
  | { readonly ok: false; readonly issues: readonly Issue[] };

const FOLDER_KIND: ReadonlyMap<string, RuleKind> = new Map(
  (Object.entries(KIND_FOLDERS) as [RuleKind, string][]).map(([kind, folder]) => [folder, kind]),
);

interface Validators {
  readonly ruleFile: ValidateFunction;
  readonly catalog: ReadonlyMap<string, ValidateFunction>;
}

let validators: Validators | undefined;

function getValidators(): Validators {
  if (validators) return validators;
  const ajv = createAjv();
  // Rule files are authored, not untrusted: report every schema problem at once.
  ajv.opts.allErrors = true;
  const catalogSchema = readSchema('catalog.schema.json');
  const ruleFileSchema = readSchema('rule-file.schema.json');
  // Policies hold conditions in the rule-file vocabulary (`$ref` into rule-file.schema.json).
  ajv.addSchema(ruleFileSchema);
  ajv.addSchema(catalogSchema);
  const id = catalogSchema.$id as string;
  const catalog = new Map<string, ValidateFunction>();
  for (const name of [...CATALOG_FILES, 'manifest']) {
    const def = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) + 'File';
    const fn = ajv.getSchema(`${id}#/$defs/${def}`);
    if (!fn) throw new Error(`catalog schema has no $defs/${def}`);
    catalog.set(name, fn);
  }
  const ruleFile = ajv.getSchema(ruleFileSchema.$id as string);
  if (!ruleFile) throw new Error('rule-file schema did not compile');
  validators = { ruleFile, catalog };
  return validators;
}

function catalogValidator(v: Validators, name: string): ValidateFunction {
  const fn = v.catalog.get(name);
  if (!fn) throw new Error(`no validator for catalog file ${name}`);
  return fn;
}

/** Every .yaml/.yml file under dir, relative, sorted, with forward slashes. */
function listYamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(childRel);
      else if (/\.ya?ml$/.test(entry.name)) out.push(childRel);
    }
  };
  walk('');
  return out.sort();
}

export function schemaIssues(
  file: string,
  source: YamlSource,
  errors: readonly ErrorObject[],
): Issue[] {
  return errors.map((e) => {
    const segments = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map(unescape);
    const params = e.params as Record<string, unknown>;
    const key =
      typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
    const pos = source.locate(segments, key);
    const what =
      key !== undefined
        ? `unknown property "${key}"`
        : typeof params.missingProperty === 'string'
          ? `missing property "${params.missingProperty}"`
          : (e.message ?? e.keyword);
    const at = e.instancePath === '' ? '' : ` at ${e.instancePath}`;
    return { code: 'SCHEMA', message: `${what}${at}`, file, line: pos.line, column: pos.column };
  });
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

export interface LoadOptions {
  /**
   * Folder for snapshots of checked rulesets (see snapshot.ts): a load of unchanged files by an
   * unchanged loader replays the snapshot instead of parsing and checking again.
   */
  readonly snapshotDir?: string;
}

export interface CheckOptions extends LoadOptions {
  /** The fact ids the service implements: facts.yaml must declare exactly these. */
  readonly implementedFacts: ReadonlySet<string>;
}

/**
 * Reads and checks the ruleset under `dir` (the engine compiles it: src/engine/ruleset.ts).
 * Problems are returned, not thrown: a rule file that does not validate never reaches the engine.
 */
export function loadCheckedRuleset(
  dir: string,
  now: () => Date,
  options: CheckOptions,
): CheckedLoadResult {
  const issues: Issue[] = [];
  let files: string[];
  try {
    files = listYamlFiles(dir);
  } catch {
    return {
      ok: false,
      issues: [
        { code: 'RULESET-UNREADABLE', message: 'the rules folder cannot be read', file: '.' },
      ],
    };
  }

  const hash = createHash('sha256');
  const texts = new Map<string, string>();
  for (const rel of files) {
    if (rel.endsWith('.yml')) {
      issues.push({
        code: 'RULESET-FILE-EXTENSION',
        message: 'rule and catalog files end in .yaml',
        file: `rules/${rel}`,
        line: 1,
        column: 1,
      });
      continue;
    }
    const bytes = fs.readFileSync(path.join(dir, rel));
    hash.update(rel).update('\0').update(bytes).update('\0');
    texts.set(rel, bytes.toString('utf8'));
  }
  const rulesetHash = hash.digest('hex');
  const key =
    options.snapshotDir === undefined || issues.length > 0 ? undefined : snapshotKey(rulesetHash);
  const snapshot =
    key === undefined || options.snapshotDir === undefined
      ? undefined
      : readSnapshot(options.snapshotDir, key);
  if (snapshot) {
    const catalog = indexCatalog(snapshot.catalog);
    return {
      ok: true,
      ruleset: assembleRuleset(snapshot.manifest, catalog, snapshot.rules, rulesetHash, files, now),
    };
  }

  const v = getValidators();
  const sources = new Map<string, YamlSource>();
  for (const [rel, text] of texts) {
    const parsed = parseYamlSource(`rules/${rel}`, text);
    issues.push(...parsed.issues);
    if (parsed.source) sources.set(rel, parsed.source);
  }

  const validate = (rel: string, fn: ValidateFunction): unknown => {
    const source = sources.get(rel);
    if (!source) return undefined;
    if (fn(source.data)) return source.data;
    issues.push(...schemaIssues(source.file, source, fn.errors ?? []));
    return undefined;
  };

  const manifestPath = 'manifest.yaml';
  if (!files.includes(manifestPath)) {
    issues.push({
      code: 'RULESET-NO-MANIFEST',
      message: 'rules/manifest.yaml is missing',
      file: 'rules/manifest.yaml',
      line: 1,
      column: 1,
    });
  }
  const manifest = validate(manifestPath, catalogValidator(v, 'manifest')) as Manifest | undefined;

  const catalogData: Partial<Record<string, unknown>> = {};
  for (const name of CATALOG_FILES) {
    const rel = `catalog/${name}.yaml`;
    if (!files.includes(rel)) {
      issues.push({
        code: 'CATALOG-MISSING-FILE',
        message: `rules/${rel} is missing`,
        file: `rules/${rel}`,
        line: 1,
        column: 1,
      });
      continue;
    }
    catalogData[name] = validate(rel, catalogValidator(v, name));
  }

  const ruleSources: { rel: string; kind: RuleKind; source: YamlSource }[] = [];
  for (const rel of files) {
    if (rel === manifestPath || rel.endsWith('.yml')) continue;
    const [folder] = rel.split('/');
    if (folder === 'catalog' && CATALOG_FILES.some((n) => rel === `catalog/${n}.yaml`)) continue;
    const kind = folder === undefined ? undefined : FOLDER_KIND.get(folder);
    if (kind === undefined || !rel.includes('/')) {
      issues.push({
        code: 'RULESET-UNEXPECTED-FILE',
        message: `not a known place for a YAML file (rule folders: ${[...FOLDER_KIND.keys()].join(', ')}; catalog: ${CATALOG_FILES.join(', ')})`,
        file: `rules/${rel}`,
        line: 1,
        column: 1,
      });
      continue;
    }
    const source = sources.get(rel);
    if (!source) continue;
    if (validate(rel, v.ruleFile) !== undefined) ruleSources.push({ rel, kind, source });
  }

  const catalogComplete = CATALOG_FILES.every((n) => catalogData[n] !== undefined);
  if (!catalogComplete || manifest === undefined) return { ok: false, issues };

  const catalog = indexCatalog(catalogData as unknown as CatalogFiles);
  const catalogIssues = checkCatalog(catalog, options.implementedFacts, (name, jsonPath, key) => {
    const source = sources.get(`catalog/${name}.yaml`);
    const pos = source ? source.locate(jsonPath, key) : { line: 1, column: 1 };
    return { file: `rules/catalog/${name}.yaml`, ...pos };
  });
  issues.push(...catalogIssues);

  const { rules, issues: ruleIssues } = checkRules(catalog, ruleSources);
  issues.push(...ruleIssues);
  if (issues.length > 0) return { ok: false, issues };

  if (key !== undefined && options.snapshotDir !== undefined)
    writeSnapshot(options.snapshotDir, { key, manifest, catalog: catalog.files, rules });
  return { ok: true, ruleset: assembleRuleset(manifest, catalog, rules, rulesetHash, files, now) };
}

function assembleRuleset(
  manifest: Manifest,
  catalog: Catalog,
  rules: readonly RuleDef[],
  hash: string,
  files: readonly string[],
  now: () => Date,
): CheckedRuleset {
  return {
    manifest,
    catalog,
    rules,
    rulesById: new Map(rules.map((r) => [r.id, r])),
    hash,
    files: files.map((f) => `rules/${f}`),
    loadedAt: now().toISOString(),
  };
}
