import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The layer rule (eslint.config.mjs, LAYERS) on real source text at real paths: a wrong-way
 * import fails lint, a right-way one passes, and a folder outside the table is refused.
 */
const root = path.join(__dirname, '..', '..');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

/** The project's own ESLint, in a child process, on `code` as if it were the file at `file`. */
function layerMessages(file: string, code: string): Promise<string[]> {
  const bin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [bin, '--format', 'json', '--stdin', '--stdin-filename', file],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        // Exit code 1 means "lint problems found"; anything else is a failure of the run.
        if (error && error.code !== 1) {
          reject(new Error(`eslint failed: ${error.message}`));
          return;
        }
        const [result] = JSON.parse(stdout) as { messages: LintMessage[] }[];
        resolve(
          (result?.messages ?? []).filter((m) => m.ruleId === 'ntcds/layers').map((m) => m.message),
        );
      },
    );
    child.stdin?.end(code);
  });
}

describe('layers run one way', () => {
  jest.setTimeout(60_000);

  it.each([
    ['src/facts/build.ts', "export { answer } from '../engine/answer';\n", 'facts', 'engine'],
    ['src/rules/load.ts', "export { FACTS } from '../engine/state';\n", 'rules', 'engine'],
    ['src/lib/logger.ts', "export type { Catalog } from '../rules/catalog';\n", 'lib', 'rules'],
    ['src/engine/answer.ts', "export { createApp } from '../http/app';\n", 'engine', 'http'],
  ])(
    'when %s imports backwards, then lint fails naming both layers',
    async (file, code, from, to) => {
      const messages = await layerMessages(file, code);
      expect(messages).toEqual([
        `src/${from} must not import src/${to}: layers run one way (eslint.config.mjs LAYERS).`,
      ]);
    },
  );

  it('when http imports the engine, then the layer rule has nothing to say', async () => {
    expect(
      await layerMessages('src/http/app.ts', "export { answer } from '../engine/answer';\n"),
    ).toEqual([]);
  });

  it('when a new folder under src/ imports anything, then lint asks for it to be placed first', async () => {
    // The type-aware parser reads only files that exist: the probe is a real file, removed after.
    const dir = path.join(root, 'src', 'zz-layer-probe');
    const code = "export { answer } from '../engine/answer';\n";
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.ts'), code);
    try {
      expect(await layerMessages('src/zz-layer-probe/index.ts', code)).toEqual([
        'src/zz-layer-probe is not in the layer table (eslint.config.mjs LAYERS): place it first.',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
