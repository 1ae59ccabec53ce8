import express from 'express';
import type { Express } from 'express';
import type { Logger } from '../lib/logger';
import { requestContext } from './context';
import { errorHandler, notFound } from './errors';
import { evaluationRoutes } from './routes/evaluations';
import { healthRoutes } from './routes/health';
import { openApiRoutes } from './routes/openapi';
import { rulesetRoutes } from './routes/ruleset';
import type { RulesetStore } from './ruleset-store';

export interface AppDeps {
  readonly store: RulesetStore;
  readonly logger: Logger;
  readonly bodyLimitBytes?: number;
  readonly maxJsonDepth?: number;
  readonly now?: () => Date;
  readonly isDraining?: () => boolean;
}

/** The whole HTTP surface, without listening: tests drive it in-process with supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger));
  app.use(
    evaluationRoutes({
      store: deps.store,
      bodyLimitBytes: deps.bodyLimitBytes ?? 262144,
      maxJsonDepth: deps.maxJsonDepth ?? 32,
      now: deps.now ?? (() => new Date()),
    }),
  );
  app.use(rulesetRoutes(deps.store));
  app.use(openApiRoutes(deps.store));
  app.use(healthRoutes(deps.store, deps.isDraining ?? (() => false)));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
