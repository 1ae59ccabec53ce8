import fs from 'node:fs';

export interface RulesWatcher {
  close(): void;
}

/**
 * Calls `onChange` once a burst of edits under `dir` has settled (editors write a file in several
 * steps: temp file, rename, chmod). Only YAML and the lock matter; other files are ignored.
 */
export function watchRules(
  dir: string,
  onChange: () => void,
  options: { debounceMs?: number } = {},
): RulesWatcher {
  const debounceMs = options.debounceMs ?? 150;
  let timer: NodeJS.Timeout | undefined;
  const watcher = fs.watch(dir, { recursive: true, persistent: true }, (_event, filename) => {
    if (filename !== null && !/\.ya?ml$/.test(filename)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  });
  return {
    close: () => {
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    },
  };
}
