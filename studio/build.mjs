// Builds the rule studio's front end into dist/studio/ (studio.js, studio.css): `npm run build`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
// `--outdir DIR` (tests build into a temporary folder); default dist/studio.
const at = process.argv.indexOf('--outdir');
const outdir =
  at > 0 ? path.resolve(process.argv[at + 1]) : path.join(here, '..', 'dist', 'studio');

/** codemirror-json-schema's markdown renderer pulls in markdown-it and shiki: use plain text. */
const plainMarkdown = {
  name: 'plain-markdown',
  setup(b) {
    b.onResolve({ filter: /utils\/markdown(\.js)?$/ }, (args) =>
      args.importer.includes(`${path.sep}codemirror-json-schema${path.sep}`)
        ? { path: path.join(here, 'src', 'markdown.ts') }
        : undefined,
    );
  },
};

const result = await build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  outfile: path.join(outdir, 'studio.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [plainMarkdown],
});
const bytes = Object.entries(result.metafile.outputs).map(
  ([file, o]) => `${path.basename(file)} ${(o.bytes / 1024).toFixed(0)} kB`,
);
console.log(`studio: ${bytes.join(', ')}`);
