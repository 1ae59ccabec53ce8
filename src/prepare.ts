import { ConfigError, loadConfig } from './config';
import { formatIssue } from './lib/issue';
import { loadForServing } from './engine/ruleset';

/**
 * `node dist/src/prepare.js`: loads and checks the configured ruleset once, writing its snapshot
 * to RULESET_SNAPSHOT_DIR, and exits (0 loaded, 1 rejected, 2 bad configuration). Run at image
 * build, so a container's first start replays the snapshot instead of parsing the YAML (its
 * runtime user cannot write the snapshot folder itself).
 */
function prepare(): number {
  let config;
  try {
    config = loadConfig(process.env, { listening: false });
  } catch (error) {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : 'invalid configuration'}\n`,
    );
    return 2;
  }
  if (config.rulesetSnapshotDir === '') {
    process.stderr.write('RULESET_SNAPSHOT_DIR=off: nothing to prepare\n');
    return 2;
  }
  // The image build never waives the gate: an image holds only a ruleset that may serve.
  const loaded = loadForServing(config.rulesDir, () => new Date(), {
    snapshotDir: config.rulesetSnapshotDir,
    development: false,
  });
  if (!loaded.ok) {
    for (const issue of loaded.issues) process.stderr.write(formatIssue(issue) + '\n');
    return 1;
  }
  const { manifest, hash } = loaded.ruleset;
  process.stdout.write(
    `ruleset ${manifest.id} ${manifest.version} (${hash.slice(0, 12)}) checked; snapshot in ${config.rulesetSnapshotDir}\n`,
  );
  return 0;
}

process.exitCode = prepare();
