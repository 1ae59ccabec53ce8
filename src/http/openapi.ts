import { readSchema } from '../lib/schemas';

const FILE_REF = /^\.\/([a-z-]+\.schema\.json)(#.*)?$/;

/** `rule-file.schema.json` → `RuleFileSchema`: the component a file gets when none names it. */
function componentNameOf(file: string): string {
  return file
    .replace(/\.schema\.json$/, '')
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
    .concat('Schema');
}

/** Every external file `value` refers to. */
function filesReferenced(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) for (const v of value) filesReferenced(v, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') {
        const file = FILE_REF.exec(v)?.[1];
        if (file !== undefined) into.add(file);
      } else filesReferenced(v, into);
    }
  }
}

/**
 * Rewrites every `$ref` under `value`: `./x.schema.json#/p` → `#/components/schemas/X/p`, and,
 * inside an inlined schema (`self` set), its own `#/p` → `#/components/schemas/Self/p`.
 */
function rewriteRefs(
  value: unknown,
  componentOf: ReadonlyMap<string, string>,
  self: string | undefined,
): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, componentOf, self));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string') {
      const external = FILE_REF.exec(v);
      const target = external === null ? undefined : componentOf.get(external[1] ?? '');
      if (target !== undefined)
        out[key] = `#/components/schemas/${target}${(external?.[2] ?? '#').slice(1)}`;
      else if (self !== undefined && v.startsWith('#/'))
        out[key] = `#/components/schemas/${self}${v.slice(1)}`;
      else out[key] = v;
    } else out[key] = rewriteRefs(v, componentOf, self);
  }
  return out;
}

/**
 * The served OpenAPI 3.1 document: schemas/openapi.json with every schema file it refers to
 * inlined as a component (the request schema carrying the loaded catalog's ids). An inlined
 * schema loses its `$id` and `$schema` — kept, `$id` would make its `#/$defs/…` references
 * resolve against the schema file rather than the document — and every reference into it or
 * within it is rewritten to point at the component, so the document stands alone.
 */
export function buildOpenApi(requestSchema: Record<string, unknown>): Record<string, unknown> {
  const doc = readSchema('openapi.json');
  const components = doc.components as { schemas: Record<string, unknown> };
  const componentOf = new Map<string, string>();
  for (const [name, value] of Object.entries(components.schemas)) {
    const ref = (value as { $ref?: unknown }).$ref;
    const file = typeof ref === 'string' ? FILE_REF.exec(ref) : null;
    if (file?.[1] !== undefined && file[2] === undefined) componentOf.set(file[1], name);
  }
  const files = new Set<string>();
  filesReferenced(doc, files);
  for (const file of files)
    if (!componentOf.has(file)) componentOf.set(file, componentNameOf(file));

  const rewritten = rewriteRefs(doc, componentOf, undefined) as Record<string, unknown>;
  const schemas = (rewritten.components as { schemas: Record<string, unknown> }).schemas;
  for (const [file, name] of componentOf) {
    const source = file === 'evaluation-request.schema.json' ? requestSchema : readSchema(file);
    const { $schema: _schema, $id: _id, ...schema } = source;
    schemas[name] = rewriteRefs(schema, componentOf, name);
  }
  return rewritten;
}
