import type { RequestListener } from 'node:http';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import type { AuthConfig, CdsHooksConfig } from '../config';
import { isDevelopmentMode } from '../config';
import type { Logger } from '../lib/logger';
import { projectRoot } from '../lib/paths';
import { anyCredential, v1Admission, v1Guard } from './auth';
import type { MetricsView } from './cluster';
import { requestContext } from './context';
import { errorHandler, notFound, wellFormedPath } from './errors';
import { createFastPath } from './fast-path';
import { methodNotAllowed, routeTemplates } from './methods';
import type { RouterLayer } from './methods';
import { createMetrics } from './metrics';
import type { EvaluationResponse } from '../engine/response-types';
import type { Reloader } from './reload';
import { adminRoutes } from './routes/admin';
import { cdsHooksRoutes } from './routes/cds-hooks';
import { batchRoutes } from './routes/batch';
import { evaluationRoutes } from './routes/evaluations';
import { healthRoutes } from './routes/health';
import { openApiRoutes } from './routes/openapi';
import { ruleBookRoutes } from './routes/rulebook';
import { rulesetRoutes } from './routes/ruleset';
import { studioRoutes } from './routes/studio';
import type { StudioDeps } from './routes/studio';
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
  /** Failed authentications per minute per client address on /v1; 0 or absent = no bound. */
  readonly authFailuresPerMinute?: number;
  /** The rate limiters' clock in ms (default Date.now); tests move it by hand. */
  readonly limiterClock?: () => number;
  /** GET /metrics needs a credential too (default: open, like /livez and /readyz). */
  readonly metricsRequireAuth?: boolean;
  /**
   * Where GET /metrics reads (default: this app's registry). A cluster worker passes
   * workerMetricsView() (src/http/cluster.ts): the sum over every worker.
   */
  readonly metricsView?: MetricsView;
  /** Loads rules/ again for POST /v1/admin/reload (absent: the route answers 404). */
  readonly reload?: Reloader;
  /**
   * Answer plain JSON POSTs to /v1/evaluations without Express (default true). False serves
   * everything through Express: the reference the fast path is tested against.
   */
  readonly fastPath?: boolean;
  /** CDS Hooks clients and FHIR access (absent: no clients, so CDS routes are open only in development mode). */
  readonly cdsHooks?: CdsHooksConfig;
  /**
   * Regression cases whose coverage the rule book (GET /rules) shows; default
   * test/regression/cases. A folder that does not exist (a deployment without test/) is fine.
   */
  readonly regressionCasesDir?: string;
  /**
   * The rule studio (/studio). Mounted only in development mode (no API key, no JWT issuer);
   * with authentication configured /studio answers 404 whatever is passed here.
   */
  readonly studio?: StudioDeps;
}

const NO_CDS_CLIENTS: CdsHooksConfig = {
  issuers: [],
  jkuAllowList: [],
  algorithms: ['ES384', 'RS384'],
  clockToleranceSec: 30,
  maxTokenAgeSec: 300,
  fhirTimeoutMs: 5000,
  allowHttpFhirServer: false,
  fhirServers: [],
};

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
  const servedHash = (): string | undefined => deps.store.get()?.ruleset.hash;
  app.use(requestContext(deps.logger, undefined, servedHash));
  const securityHeaders = helmet();
  app.use(securityHeaders);
  const metrics = createMetrics(
    deps.store,
    deps.metricsRequireAuth === true ? anyCredential(deps.auth) : undefined,
    deps.metricsView,
  );
  app.use(metrics.middleware);
  app.use(wellFormedPath);
  app.use(metrics.routes);
  app.use(healthRoutes(deps.store, deps.isDraining ?? (() => false)));
  const routerStack = (): RouterLayer[] =>
    (app.router as unknown as { stack: RouterLayer[] }).stack;
  const guard = {
    auth: deps.auth,
    rateLimitPerMinute: deps.rateLimitPerMinute,
    authFailuresPerMinute: deps.authFailuresPerMinute,
    ...(deps.limiterClock === undefined ? {} : { now: deps.limiterClock }),
    // Derived from the routes themselves (read on first use, when every route is registered).
    routeTemplates: () => routeTemplates(routerStack()),
  };
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
  const cds = deps.cdsHooks ?? NO_CDS_CLIENTS;
  app.use(
    cdsHooksRoutes({
      store: deps.store,
      logger: deps.logger,
      config: cds,
      open: cds.issuers.length === 0 && isDevelopmentMode(deps.auth),
      bodyLimitBytes: evaluation.bodyLimitBytes,
      maxJsonDepth: evaluation.maxJsonDepth,
      now: evaluation.now,
      onEvaluated: evaluation.onEvaluated,
      onFeedback: (service, outcome, n) => {
        metrics.observeCdsFeedback(service, outcome, n);
      },
    }),
  );
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
  // Open like /openapi.json: the rule book holds rules, never patient data.
  app.use(
    ruleBookRoutes(
      deps.store,
      deps.regressionCasesDir ?? path.join(projectRoot(), 'test', 'regression', 'cases'),
    ),
  );
  if (deps.studio && isDevelopmentMode(deps.auth)) app.use(studioRoutes(deps.store, deps.studio));
  app.use(methodNotAllowed(routerStack));
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
