import path from 'node:path';
import { ConfigError, isDevelopmentMode, loadConfig } from './config';
import { createApp } from './http/app';
import { clusterReloader, isClusterWorker, runPrimary, workerMetricsView } from './http/cluster';
import { createHttpServer, drainHttpServer, isDraining } from './http/server';
import { createReloader } from './http/reload';
import { RulesetStore } from './http/ruleset-store';
import { formatIssue } from './lib/issue';
import type { Issue } from './lib/issue';
import type { Logger } from './lib/logger';
import { createLogger } from './lib/logger';
import { loadForServing } from './engine/ruleset';
import { createOffThreadLoader } from './engine/off-thread';
import { projectRoot } from './lib/paths';
import { watchRules } from './rules/watch';

/** Composition root: the only place that reads the environment and listens. */
function main(): void {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : 'invalid configuration'}\n`,
    );
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const development = isDevelopmentMode(config.auth);
  const worker = isClusterWorker();
  if (config.workers > 1 && !worker) {
    // The primary forks the workers, each of which runs this function again (src/http/cluster.ts).
    runPrimary({ workers: config.workers, shutdownGraceMs: config.shutdownGraceMs, logger });
    return;
  }
  if (development && !worker) {
    logger.warn(
      'DEVELOPMENT MODE: no AUTH_API_KEYS or AUTH_JWKS_URL configured; /v1 needs no credentials ' +
        'and the server listens on loopback only. Never run this way with real patient data.',
      { mode: 'development', host: config.host },
    );
  }

  const loaded = loadForServing(config.rulesDir, () => new Date(), {
    ...(config.rulesetSnapshotDir === '' ? {} : { snapshotDir: config.rulesetSnapshotDir }),
    development,
  });
  if (!loaded.ok) {
    // Authors read these on the terminal: file:line:column  CODE  message, one per line.
    for (const issue of loaded.issues) process.stderr.write(formatIssue(issue) + '\n');
    logger.error('ruleset rejected; not starting', { issues: loaded.issues.map((i) => i.code) });
    process.exit(1);
  }
  const store = new RulesetStore();
  store.set(loaded.ruleset, loaded.problems);
  warnWaived(loaded.problems, logger);
  const { manifest, hash } = loaded.ruleset;
  logger.info('ruleset loaded', {
    rulesetId: manifest.id,
    rulesetVersion: manifest.version,
    rulesetHash: hash,
    ruleCount: loaded.ruleset.rules.filter((r) => r.status === 'active').length,
  });

  // Bad edits keep the last good ruleset serving; their file:line:column lines go to stderr.
  // Reloads parse and check on a worker thread, so requests keep flowing meanwhile.
  const loader = createOffThreadLoader();
  const reloadHere = createReloader(
    store,
    config.rulesDir,
    logger,
    (line) => process.stderr.write(line + '\n'),
    { development, load: (dir, options) => loader.load(dir, options) },
  );
  // In a cluster, an admin reload on one worker reloads every worker.
  const reload = worker ? clusterReloader(reloadHere, logger) : reloadHere;
  // `npm run dev` passes --watch-rules: reload whenever a file under rules/ changes.
  const watcher = process.argv.includes('--watch-rules')
    ? watchRules(config.rulesDir, () => {
        void reloadHere();
      })
    : undefined;

  // The rule studio writes rules/: development mode only (loopback, no credentials configured).
  const studio =
    development && config.nodeEnv !== 'production'
      ? {
          rulesDir: config.rulesDir,
          casesDir: path.join(projectRoot(), 'test', 'regression', 'cases'),
          assetsDir: path.join(projectRoot(), 'dist', 'studio'),
          reload,
        }
      : undefined;

  const app = createApp({
    store,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    maxJsonDepth: config.maxJsonDepth,
    batchMaxLines: config.batchMaxLines,
    batchMaxBytes: config.batchMaxBytes,
    isDraining: () => isDraining(server),
    auth: config.auth,
    rateLimitPerMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    metricsRequireAuth: config.metricsRequireAuth,
    cdsHooks: config.cdsHooks,
    reload,
    ...(worker ? { metricsView: workerMetricsView() } : {}),
    ...(studio ? { studio } : {}),
  });
  const server = createHttpServer(app, config, logger);
  server.listen(config.port, config.host, () => {
    logger.info('listening', {
      host: config.host,
      port: config.port,
      mode: development ? 'development' : config.nodeEnv,
    });
    if (studio) logger.info(`rule studio: http://${config.host}:${String(config.port)}/studio`);
  });

  const shutdown = (): void => {
    if (isDraining(server)) return;
    watcher?.close();
    logger.info('draining');
    // Every request that arrives is answered (with Connection: close); connections close once
    // they have stayed idle (src/http/server.ts).
    drainHttpServer(server, () => {
      logger.info('stopped');
      process.exit(0);
    });
    setTimeout(() => {
      logger.warn('grace period over; closing open connections');
      server.closeAllConnections();
      process.exit(0);
    }, config.shutdownGraceMs).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // A worker whose primary is gone drains and stops.
  if (worker) process.on('disconnect', shutdown);
}

/** Development mode serves a ruleset that fails the gate: say so on every line an author reads. */
function warnWaived(problems: readonly Issue[], logger: Logger): void {
  if (problems.length === 0) return;
  for (const issue of problems) process.stderr.write(`${formatIssue(issue)}\n`);
  logger.warn(
    'RULESET FAILS VALIDATION: serving it only because this is development mode; production refuses it',
    { issues: problems.map((i) => i.code) },
  );
}

main();
