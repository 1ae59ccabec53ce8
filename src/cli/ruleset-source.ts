import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../lib/paths';
import { UsageError } from './io';

export interface RulesetSource {
  /** What the user named: a folder or a git ref. */
  readonly label: string;
  readonly dir: string;
  /** Removes any temporary copy. */
  dispose(): void;
}

function git(args: readonly string[], cwd: string): Buffer {
  return execFileSync('git', args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
}

/**
 * A folder is used as it is (a rules folder, or a checkout holding one under rules/); anything
 * else is a git ref, whose rules/ is extracted with `git archive` into a temporary folder.
 */
export function resolveRulesetSource(spec: string, cwd: string): RulesetSource {
  const asPath = path.resolve(cwd, spec);
  if (fs.existsSync(asPath) && fs.statSync(asPath).isDirectory()) {
    const nested = path.join(asPath, 'rules');
    const dir =
      !fs.existsSync(path.join(asPath, 'manifest.yaml')) &&
      fs.existsSync(path.join(nested, 'manifest.yaml'))
        ? nested
        : asPath;
    return { label: spec, dir, dispose: () => undefined };
  }
  let top: string;
  let commit: string;
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd).toString('utf8').trim();
    commit = git(['rev-parse', '--verify', '--quiet', `${spec}^{commit}`], cwd)
      .toString('utf8')
      .trim();
  } catch {
    throw new UsageError(
      `"${spec}" is neither a folder nor a git ref (commit, branch or tag) here`,
    );
  }
  const rulesRel = path.relative(top, path.join(projectRoot(), 'rules')).split(path.sep).join('/');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-diff-'));
  try {
    const tar = git(['archive', '--format=tar', commit, '--', rulesRel], top);
    execFileSync('tar', ['-x', '-C', tmp], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new UsageError(`${spec} (${commit.slice(0, 12)}) has no ${rulesRel}/ folder`);
  }
  return {
    label: `${spec} (${commit.slice(0, 12)})`,
    dir: path.join(tmp, rulesRel),
    dispose: () => {
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
