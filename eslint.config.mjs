import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, one direction only: each folder names the folders it sits on directly (DIRECT)
 * and may import those and everything below them (LAYERS). A new folder must be placed here before
 * it can import anything. See README, Architecture.
 */
const DIRECT = {
  lib: [],
  generated: [],
  config: ['lib', 'generated'],
  rules: ['lib', 'generated'],
  facts: ['rules'],
  engine: ['facts'],
  fhir: ['facts'],
  synth: ['facts'],
  regression: ['engine'],
  rulebook: ['regression'],
  batch: ['fhir', 'regression'],
  cdshooks: ['config', 'fhir', 'engine'],
  studio: ['config', 'rulebook', 'synth', 'fhir'],
  http: ['config', 'batch', 'cdshooks', 'rulebook', 'studio'],
  cli: ['http'],
  // src/main.ts and src/prepare.ts: the composition roots.
  root: ['*'],
};

/** What each folder may import: what it sits on directly, and everything below that. */
const LAYERS = Object.fromEntries(
  Object.keys(DIRECT).map((layer) => {
    const seen = new Set();
    const visit = (l) => {
      for (const d of DIRECT[l] ?? [])
        if (!seen.has(d)) {
          seen.add(d);
          visit(d);
        }
    };
    visit(layer);
    return [layer, [...seen]];
  }),
);

/** The layer of a file under src/, or undefined outside src/. */
function layerOf(file, srcDir) {
  const rel = path.relative(srcDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first, ...rest] = rel.split(path.sep);
  if (rest.length > 0) return first;
  const base = first.replace(/\.[cm]?[jt]s$/, '');
  return base === 'config' ? 'config' : 'root';
}

const layersRule = {
  meta: {
    type: 'problem',
    messages: {
      wrongWay:
        'src/{{from}} must not import src/{{to}}: layers run one way (eslint.config.mjs LAYERS).',
      unknown: 'src/{{from}} is not in the layer table (eslint.config.mjs LAYERS): place it first.',
    },
    schema: [],
  },
  create(context) {
    const srcDir = path.join(import.meta.dirname, 'src');
    const from = layerOf(context.filename, srcDir);
    if (from === undefined) return {};
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), source), srcDir);
      if (to === undefined || to === from) return;
      const allowed = LAYERS[from];
      if (allowed === undefined) {
        context.report({ node, messageId: 'unknown', data: { from } });
        return;
      }
      if (!allowed.includes('*') && !allowed.includes(to))
        context.report({ node: node.source, messageId: 'wrongWay', data: { from, to } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

export default tseslint.config(
  {
    // src/generated: written by `npm run types:generate` from schemas/ (checked for drift in CI).
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'src/generated/**',
      'jest.config.js',
      'eslint.config.mjs',
      // The studio's esbuild script: build configuration, like jest.config.js.
      'studio/build.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Misfires on winston's transports, whose classes are re-exported through two type paths.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { ntcds: { rules: { layers: layersRule } } },
    rules: { 'ntcds/layers': 'error' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
