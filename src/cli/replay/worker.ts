import { parentPort, workerData } from 'node:worker_threads';
import { createReplayer } from './work';
import type { WorkerInit, WorkItem } from './work';

/** A replay worker thread: items in, results out, one at a time (see ./run.ts). */
if (parentPort) {
  const port = parentPort;
  const replayer = createReplayer(workerData as WorkerInit);
  port.on('message', (item: WorkItem) => {
    port.postMessage(replayer.run(item));
  });
}
