/**
 * Generates TypeScript types from the JSON Schemas (one source of truth for each shape):
 * `npm run types:generate` writes src/generated/*.ts; `npm run types:check` (in CI) fails when
 * the committed files differ from what the schemas give. test/unit/schema-types.test.ts then
 * checks, at compile time, that the types the code works with agree with the generated ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compile } from 'json-schema-to-typescript';
import type { JSONSchema } from 'json-schema-to-typescript';
import prettier from 'prettier';

const ROOT = path.resolve(__dirname, '..', '..');
const SCHEMAS = path.join(ROOT, 'schemas');
const OUT = path.join(ROOT, 'src', 'generated');
const NAMES = [
  'evaluation-request',
  'evaluation-response',
  'problem',
  'regression-case',
  'rule-file',
] as const;

async function generate(name: string): Promise<string> {
  const file = `${name}.schema.json`;
  const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')) as JSONSchema;
  const body = await compile(schema, name, {
    bannerComment: '',
    additionalProperties: false,
    // Lengths and counts are ajv's to check at run time; the types say what an element is.
    ignoreMinAndMaxItems: true,
    cwd: SCHEMAS,
    format: false,
  });
  const text =
    `// Generated from schemas/${file} by \`npm run types:generate\`. Do not edit: change the\n` +
    `// schema and generate again (CI checks that this file matches the schema).\n` +
    body;
  // Formatted with the project's Prettier settings, so `prettier --check` agrees.
  const target = path.join(OUT, `${name}.ts`);
  const options = (await prettier.resolveConfig(target)) ?? {};
  return prettier.format(text, { ...options, filepath: target });
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  fs.mkdirSync(OUT, { recursive: true });
  for (const name of NAMES) {
    const text = await generate(name);
    const target = path.join(OUT, `${name}.ts`);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === text) continue;
    if (check) stale.push(path.relative(ROOT, target));
    else fs.writeFileSync(target, text);
  }
  if (stale.length > 0) {
    process.stderr.write(
      `out of date with schemas/ (run npm run types:generate): ${stale.join(', ')}\n`,
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
