import type { RequestListener } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import type { AuthConfig } from '../config';
import type { Logger } from '../lib/logger';
import { anyCredential, v1Admission, v1Guard } from './auth';
import { requestContext } from './context';
import { errorHandler, notFound } from './errors';
import { createFastPath } from './fast-path';
import { createMetrics } from './metrics';
import type { EvaluationResponse } from '../engine/response-types';
import type { Reloader } from './reload';
import { adminRoutes } from './routes/admin';
import { batchRoutes } from './routes/batch';
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
  /** POST /v1/evaluations/batch: lines (requests) and bytes per batch at most. */
  readonly batchMaxLines?: number;
  readonly batchMaxBytes?: number;
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
  /**
   * Answer plain JSON POSTs to /v1/evaluations without Express (default true). False serves
   * everything through Express: the reference the fast path is tested against.
   */
  readonly fastPath?: boolean;
}

/**
 * The whole HTTP surface as a Node request listener, without listening: tests drive it
 * in-process with supertest. Plain evaluation requests take the fast path
 * (src/http/fast-path.ts); everything else is Express.
 */
export function createApp(deps: AppDeps): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext(deps.logger));
  const securityHeaders = helmet();
  app.use(securityHeaders);
  const metrics = createMetrics(
    deps.store,
    deps.metricsRequireAuth === true ? anyCredential(deps.auth) : undefined,
  );
  app.use(metrics.middleware);
  app.use(metrics.routes);
  app.use(healthRoutes(deps.store, deps.isDraining ?? (() => false)));
  const guard = { auth: deps.auth, rateLimitPerMinute: deps.rateLimitPerMinute };
  // One admission (one rate limiter) for both paths, so a caller's budget is shared.
  const admission = v1Admission(guard);
  app.use('/v1', v1Guard(admission));
  const evaluation = {
    store: deps.store,
    bodyLimitBytes: deps.bodyLimitBytes ?? 262144,
    maxJsonDepth: deps.maxJsonDepth ?? 32,
    now: deps.now ?? (() => new Date()),
    onEvaluated: (response: EvaluationResponse, seconds: number) => {
      metrics.observeEvaluation(response, seconds);
    },
  };
  app.use(evaluationRoutes(evaluation));
  app.use(
    batchRoutes({
      ...evaluation,
      batchMaxLines: deps.batchMaxLines ?? 10000,
      batchMaxBytes: deps.batchMaxBytes ?? 67108864,
    }),
  );
  app.use(rulesetRoutes(deps.store));
  app.use(adminRoutes(deps.reload));
  app.use(openApiRoutes(deps.store));
  app.use(notFound);
  app.use(errorHandler(deps.logger));

  if (deps.fastPath === false) return app;
  const fast = createFastPath({
    evaluation,
    logger: deps.logger,
    metrics,
    admission,
    securityHeaders,
  });
  return (req, res) => {
    if (!fast(req, res)) app(req, res);
  };
}
