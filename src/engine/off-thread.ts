import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { projectRoot } from '../lib/paths';
import type { LoadJob } from './load-worker';
import { compiledResult } from './ruleset';
import type { ServeCheckResult, ServeLoadResult, ServeOptions } from './ruleset';

interface WorkerAnswer {
  readonly id: number;
  readonly result: ServeCheckResult;
}

export interface OffThreadLoader {
  /** `checkForServing(dir)` run on a worker thread; the main thread only compiles. */
  load(dir: string, options: ServeOptions): Promise<ServeLoadResult>;
  close(): Promise<void>;
}

/**
 * The compiled worker entry. Next to this file when running from dist/; from the TypeScript
 * sources (jest), the built copy in dist/ (`npm run build` first).
 */
export function loadWorkerFile(): string {
  const here = path.join(__dirname, 'load-worker.js');
  if (fs.existsSync(here)) return here;
  return path.join(projectRoot(), 'dist', 'src', 'engine', 'load-worker.js');
}

/**
 * One long-lived worker thread that loads rulesets (it keeps the compiled schemas between
 * loads). Loads are answered in order; the worker does not keep the process alive.
 */
export function createOffThreadLoader(): OffThreadLoader {
  let worker: Worker | undefined;
  let next = 0;
  const pending = new Map<number, (answer: WorkerAnswer) => void>();

  const failAll = (message: string): void => {
    for (const [id, resolve] of pending)
      resolve({ id, result: { ok: false, issues: [{ code: 'RULESET-UNREADABLE', message }] } });
    pending.clear();
    worker = undefined;
  };

  const started = (): Worker => {
    if (worker !== undefined) return worker;
    const w = new Worker(loadWorkerFile());
    w.unref();
    w.on('message', (answer: WorkerAnswer) => {
      const resolve = pending.get(answer.id);
      pending.delete(answer.id);
      resolve?.(answer);
    });
    w.on('error', () => {
      failAll('the ruleset loader thread failed');
    });
    w.on('exit', () => {
      if (worker === w) failAll('the ruleset loader thread stopped');
    });
    worker = w;
    return w;
  };

  return {
    load: (dir, options) =>
      new Promise<WorkerAnswer>((resolve) => {
        const id = ++next;
        pending.set(id, resolve);
        const job: LoadJob = { id, dir, options };
        started().postMessage(job);
      }).then((answer) => compiledResult(answer.result)),
    close: async () => {
      const w = worker;
      worker = undefined;
      if (w !== undefined) await w.terminate();
    },
  };
}
