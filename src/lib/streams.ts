/**
 * Resolves when a stream whose write() returned false can take more ('drain') or will take no
 * more ('close'): the one wait behind every backpressured writer (batch route, replay output).
 */
export function writable(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.removeListener('drain', done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
