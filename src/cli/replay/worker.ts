import { parentPort, workerData } from 'node:worker_threads';
import { createReplayer, transferList } from './work';
import type { WorkerInit, WorkItem } from './work';

/** A replay worker thread: items in, results out, one at a time (see ./run.ts). */
if (parentPort) {
  const port = parentPort;
  const replayer = createReplayer(workerData as WorkerInit);
  port.on('message', (item: WorkItem) => {
    const result = replayer.run(item);
    // The output bytes are handed over, not copied (the main thread only writes them).
    port.postMessage(result, transferList(result));
  });
}
