import { parentPort } from 'node:worker_threads';
import { checkForServing } from './ruleset';
import type { ServeOptions } from './ruleset';

/**
 * Worker-thread entry (see off-thread.ts): runs every check a ruleset must pass to serve
 * (`checkForServing`: parsing YAML, schema validation, semantic checks, the gate) and posts back
 * the checked ruleset (plain data, Maps and Sets, which structured clone carries) or the issues,
 * so the main thread keeps answering requests and only compiles.
 */
export interface LoadJob {
  readonly id: number;
  readonly dir: string;
  readonly options: ServeOptions;
}

parentPort?.on('message', (job: LoadJob) => {
  try {
    const result = checkForServing(job.dir, () => new Date(), job.options);
    parentPort?.postMessage({ id: job.id, result });
  } catch {
    parentPort?.postMessage({
      id: job.id,
      result: {
        ok: false,
        issues: [{ code: 'RULESET-UNREADABLE', message: 'the rules folder could not be loaded' }],
      },
    });
  }
});
