import express from 'express';
import helmet from 'helmet';
import type { Express } from 'express';
import type { AuthConfig } from '../config';
import type { Logger } from '../lib/logger';
import { anyCredential, v1Guard } from './auth';
import { requestContext } from './context';
import { errorHandler, notFound } from './errors';
import { createMetrics } from './metrics';
import type { Reloader } from './reload';
import { adminRoutes } from './routes/admin';
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
  /** Absent (or without API keys and JWT issuer): development mode, /v1 open, admin still keyed. */
  readonly auth?: AuthConfig;
  /** Requests per minute per caller on /v1; 0 or absent = no limit. */
  readonly rateLimitPerMinute?: number;
  /** GET /metrics needs a credential too (default: open, like /livez and /readyz). */
  readonly metricsRequireAuth?: boolean;
  /** Loads rules/ again for POST /v1/admin/reload (absent: the route answers 404). */
  readonly reload?: Reloader;
}

/** The whole HTTP surface, without listening: tests drive it in-process with supertest. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger));
  app.use(helmet());
  const metrics = createMetrics(
    deps.store,
    deps.metricsRequireAuth === true ? anyCredential(deps.auth) : undefined,
  );
  app.use(metrics.middleware);
  app.use(metrics.routes);
  app.use(healthRoutes(deps.store, deps.isDraining ?? (() => false)));
  app.use('/v1', v1Guard({ auth: deps.auth, rateLimitPerMinute: deps.rateLimitPerMinute }));
  app.use(
    evaluationRoutes({
      store: deps.store,
      bodyLimitBytes: deps.bodyLimitBytes ?? 262144,
      maxJsonDepth: deps.maxJsonDepth ?? 32,
      now: deps.now ?? (() => new Date()),
      onEvaluated: (response, seconds) => {
        metrics.observeEvaluation(response, seconds);
      },
    }),
  );
  app.use(rulesetRoutes(deps.store));
  app.use(adminRoutes(deps.reload));
  app.use(openApiRoutes(deps.store));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
