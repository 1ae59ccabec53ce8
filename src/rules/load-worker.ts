import { parentPort } from 'node:worker_threads';
import { checkedOf, loadRuleset } from './load';
import type { LoadOptions } from './load';

/**
 * Worker-thread entry (see off-thread.ts): loads and checks a rules folder with the one loader,
 * `loadRuleset`, and posts back the checked data or the issues. Parsing YAML, schema validation
 * and the semantic checks run here, so the main thread keeps answering requests.
 */
export interface LoadJob {
  readonly id: number;
  readonly dir: string;
  readonly options: LoadOptions;
}

parentPort?.on('message', (job: LoadJob) => {
  try {
    const result = loadRuleset(job.dir, undefined, job.options);
    parentPort?.postMessage(
      result.ok
        ? { id: job.id, ok: true, checked: checkedOf(result.ruleset) }
        : { id: job.id, ok: false, issues: result.issues },
    );
  } catch {
    parentPort?.postMessage({
      id: job.id,
      ok: false,
      issues: [{ code: 'RULESET-UNREADABLE', message: 'the rules folder could not be loaded' }],
    });
  }
});
