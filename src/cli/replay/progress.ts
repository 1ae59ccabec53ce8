/** Progress on stderr: a bar with rate and ETA on a terminal, a plain line every few seconds otherwise. */
export interface Progress {
  update(lines: number, bytesRead: number): void;
  done(lines: number, seconds: number): void;
}

export function createProgress(
  stream: NodeJS.WriteStream,
  totalBytes: number | undefined,
  quiet: boolean,
  now: () => number = () => performance.now(),
): Progress {
  if (quiet) return { update: () => undefined, done: () => undefined };
  const tty = stream.isTTY;
  const every = tty ? 200 : 5000;
  const started = now();
  let shown = started;
  const eta = (fraction: number, elapsed: number): string => {
    if (fraction <= 0) return '?';
    const s = Math.max(0, Math.round((elapsed * (1 - fraction)) / fraction));
    return `${String(Math.floor(s / 60))}:${String(s % 60).padStart(2, '0')}`;
  };
  return {
    update(lines, bytesRead) {
      const t = now();
      if (t - shown < every) return;
      shown = t;
      const elapsed = (t - started) / 1000;
      const rate = Math.round(lines / Math.max(elapsed, 1e-3));
      const fraction = totalBytes ? Math.min(1, bytesRead / totalBytes) : undefined;
      if (tty) {
        const width = 30;
        const filled = fraction === undefined ? 0 : Math.round(fraction * width);
        const bar =
          fraction === undefined
            ? ''
            : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
        stream.write(
          `\r${bar}${lines.toLocaleString('en')} patients, ${rate.toLocaleString('en')}/s${fraction === undefined ? '' : `, ETA ${eta(fraction, elapsed)}`}\x1b[K`,
        );
      } else {
        stream.write(
          `replay: ${String(lines)} patients, ${String(rate)}/s${fraction === undefined ? '' : `, ${(fraction * 100).toFixed(0)}% of input, ETA ${eta(fraction, elapsed)}`}\n`,
        );
      }
    },
    done(lines, seconds) {
      if (tty) stream.write('\r\x1b[K');
      stream.write(
        `replay: ${String(lines)} patients in ${seconds.toFixed(1)} s (${String(Math.round(lines / Math.max(seconds, 1e-3)))}/s)\n`,
      );
    },
  };
}
