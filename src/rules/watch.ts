import { watch } from 'chokidar';

export interface RulesWatcher {
  /** Settles once the initial scan is done: edits from then on are reported. */
  readonly ready: Promise<void>;
  close(): void;
}

/** The files a ruleset is made of: YAML and the lock. */
const RULE_FILE = /\.(ya?ml|lock)$/;

/**
 * Calls `onChange` once a burst of edits under `dir` has settled (editors write a file in several
 * steps: temp file, rename, chmod). Only YAML and the lock matter; other files are ignored.
 *
 * chokidar, not `fs.watch`: a save by rename (`sed -i`, vim, `git checkout`) replaces the file's
 * inode, and an `fs.watch` on the old one goes silent, so later saves were missed until another
 * file changed. chokidar watches the folders and re-arms on rename (`atomic`), and reports new
 * files and deletions too.
 */
export function watchRules(
  dir: string,
  onChange: () => void,
  options: { debounceMs?: number } = {},
): RulesWatcher {
  const debounceMs = options.debounceMs ?? 150;
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, {
    ignoreInitial: true,
    persistent: true,
    atomic: true,
    ignored: (file, stats) => stats?.isFile() === true && !RULE_FILE.test(file),
  });
  watcher.on('all', (_event, file) => {
    if (!RULE_FILE.test(file)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  });
  watcher.on('error', () => {
    // A folder that vanished mid-watch: the next load reports it.
  });
  const ready = new Promise<void>((resolve) =>
    watcher.once('ready', () => {
      resolve();
    }),
  );
  return {
    ready,
    close: () => {
      if (timer !== undefined) clearTimeout(timer);
      void watcher.close();
    },
  };
}
