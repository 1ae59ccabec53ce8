import http from 'node:http';
import { ConfigError, loadConfig } from './config';
import { createApp } from './http/app';
import { RulesetStore } from './http/ruleset-store';
import { formatIssue } from './lib/issue';
import { createLogger } from './lib/logger';
import { loadRuleset } from './rules/load';

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

  const loaded = loadRuleset(config.rulesDir);
  if (!loaded.ok) {
    // Authors read these on the terminal: file:line:column  CODE  message, one per line.
    for (const issue of loaded.issues) process.stderr.write(formatIssue(issue) + '\n');
    logger.error('ruleset rejected; not starting', { issues: loaded.issues.map((i) => i.code) });
    process.exit(1);
  }
  const store = new RulesetStore();
  store.set(loaded.ruleset);
  const { manifest, hash } = loaded.ruleset;
  logger.info('ruleset loaded', {
    rulesetId: manifest.id,
    rulesetVersion: manifest.version,
    rulesetHash: hash,
    ruleCount: loaded.ruleset.rules.filter((r) => r.status === 'active').length,
  });

  let draining = false;
  const app = createApp({
    store,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    maxJsonDepth: config.maxJsonDepth,
    isDraining: () => draining,
  });
  const server = http.createServer(app);
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = Math.min(config.requestTimeoutMs, 60000);
  server.keepAliveTimeout = 5000;
  server.listen(config.port, config.host, () => {
    logger.info('listening', { host: config.host, port: config.port, mode: config.nodeEnv });
  });

  const shutdown = (): void => {
    if (draining) return;
    draining = true;
    logger.info('draining');
    server.close(() => {
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn('grace period over; closing open connections');
      server.closeAllConnections();
      process.exit(0);
    }, config.shutdownGraceMs).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main();
