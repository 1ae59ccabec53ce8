import { parentPort, workerData } from 'node:worker_threads';
import { createReplayer, transferList } from './work';
import type { WorkerInit, WorkItem } from './work';

/** What the main thread sends: an item to answer, or an output buffer it has written. */
export type ToWorker = WorkItem | { readonly spare: ArrayBuffer };

/** Output buffers handed back and not yet reused (the main thread writes a few items behind). */
const SPARES = 8;

/**
 * A replay worker thread: items in, results out, one at a time (see ./run.ts). Output buffers
 * come back once written and are reused, so a long run allocates no new ones: fresh transferred
 * buffers would count as external memory on the main thread and keep triggering its collections.
 */
if (parentPort) {
  const port = parentPort;
  const replayer = createReplayer(workerData as WorkerInit);
  const spares: ArrayBuffer[] = [];
  port.on('message', (message: ToWorker) => {
    if ('spare' in message) {
      if (spares.length < SPARES) spares.push(message.spare);
      return;
    }
    const result = replayer.run(message, spares.pop());
    // The output bytes are handed over, not copied (the main thread only writes them).
    port.postMessage(result, transferList(result));
  });
}
