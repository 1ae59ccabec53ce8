import { Router } from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { CdsHooksConfig } from '../../config';
import { callService, feedbackErrors, findService } from '../../cdshooks/handle';
import { createCdsClientVerifier } from '../../cdshooks/jwt';
import { cdsServices } from '../../cdshooks/services';
import type { EvaluationResponse } from '../../engine/response-types';
import type { Logger } from '../../lib/logger';
import { locals } from '../context';
import { jsonBody } from '../json-body';
import { ProblemError } from '../problems';
import type { RulesetStore } from '../ruleset-store';

export interface CdsRouteDeps {
  readonly store: RulesetStore;
  readonly logger: Logger;
  readonly config: CdsHooksConfig;
  /** True: CDS routes take no JWT (development mode with no CDS client configured). */
  readonly open: boolean;
  readonly bodyLimitBytes: number;
  readonly maxJsonDepth: number;
  readonly now: () => Date;
  readonly onEvaluated?: (response: EvaluationResponse, seconds: number) => void;
  readonly onFeedback?: (service: string, outcome: 'accepted' | 'overridden', n: number) => void;
}

const ROUTES = {
  discovery: '/cds-services',
  service: '/cds-services/:id',
  feedback: '/cds-services/:id/feedback',
} as const;

/** CORS for browser-based CDS clients: no cookies, Authorization sent explicitly. */
function cors(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, x-request-id');
  res.setHeader('Access-Control-Max-Age', '600');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.vary('Origin');
  if (req.method === 'OPTIONS') {
    res.status(204).end();
    return;
  }
  next();
}

function baseUrlOf(config: CdsHooksConfig, req: Request): string {
  return config.publicBaseUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

export function cdsHooksRoutes(deps: CdsRouteDeps): Router {
  const router = Router();
  const verifier = createCdsClientVerifier(deps.config);
  const route =
    (template: string): RequestHandler =>
    (_req, res, next) => {
      locals(res).route = template;
      next();
    };
  const authenticate: RequestHandler = (req, res, next) => {
    if (deps.open) {
      next();
      return;
    }
    // aud must be the exact URL called: base URL + path, without the query.
    const audience = `${baseUrlOf(deps.config, req)}${req.originalUrl.split('?')[0] ?? ''}`;
    verifier.verify(req.get('authorization'), audience).then(
      (result) => {
        if (result.ok) next();
        else {
          res.setHeader('WWW-Authenticate', 'Bearer realm="cds-services"');
          next(new ProblemError('UNAUTHORIZED', `CDS client JWT refused: ${result.reason}.`));
        }
      },
      () => {
        next(new ProblemError('AUTH-UNAVAILABLE', 'CDS client keys cannot be read right now.'));
      },
    );
  };
  const active = () => {
    const served = deps.store.get();
    if (!served) throw new ProblemError('NOT-READY');
    return served;
  };
  const body = jsonBody(deps.bodyLimitBytes, deps.maxJsonDepth);

  router.use('/cds-services', cors);
  router.get(ROUTES.discovery, route(ROUTES.discovery), authenticate, (_req, res) => {
    res.status(200).json({ services: cdsServices(active().ruleset.catalog) });
  });
  router.post(
    ROUTES.service,
    route(ROUTES.service),
    authenticate,
    ...body,
    (req: Request<{ id: string }>, res: Response, next: NextFunction) => {
      const served = active();
      const service = findService(served, req.params.id);
      if (!service) throw new ProblemError('NOT-FOUND', 'No CDS service with this id.');
      callService(
        {
          served,
          now: deps.now,
          fhirTimeoutMs: deps.config.fhirTimeoutMs,
          allowHttpFhirServer: deps.config.allowHttpFhirServer,
          fhirServers: deps.config.fhirServers,
          baseUrl: baseUrlOf(deps.config, req),
        },
        service,
        req.body,
      ).then((outcome) => {
        switch (outcome.kind) {
          case 'ok':
            deps.onEvaluated?.(outcome.response, outcome.seconds);
            locals(res).firedRules = outcome.response.hits.map((h) => h.ruleId);
            locals(res).rulesetVersion = outcome.response.ruleset.version;
            res.status(200).json(outcome.body);
            return;
          case 'precondition-failed':
            res.status(412).type('application/fhir+json').send(JSON.stringify(outcome.outcome));
            return;
          case 'invalid':
            next(new ProblemError('INVALID-REQUEST', outcome.detail, outcome.errors));
            return;
          case 'rejected':
            next(new ProblemError(outcome.code, outcome.detail, outcome.errors));
            return;
          case 'unknown-service':
            next(new ProblemError('NOT-FOUND', 'No CDS service with this id.'));
            return;
        }
      }, next);
    },
  );
  router.post(
    ROUTES.feedback,
    route(ROUTES.feedback),
    authenticate,
    ...body,
    (req: Request<{ id: string }>, res: Response) => {
      const service = findService(active(), req.params.id);
      if (!service) throw new ProblemError('NOT-FOUND', 'No CDS service with this id.');
      const errors = feedbackErrors(req.body);
      if (errors.length > 0)
        throw new ProblemError(
          'INVALID-REQUEST',
          'The feedback is not valid; see errors[].',
          errors,
        );
      const entries = (req.body as { feedback: { outcome: 'accepted' | 'overridden' }[] }).feedback;
      const accepted = entries.filter((f) => f.outcome === 'accepted').length;
      const overridden = entries.length - accepted;
      if (accepted > 0) deps.onFeedback?.(service.id, 'accepted', accepted);
      if (overridden > 0) deps.onFeedback?.(service.id, 'overridden', overridden);
      // Audit: the service and the counts only; card ids, comments and reasons stay out.
      deps.logger.info('cds feedback', {
        requestId: locals(res).requestId,
        cdsService: service.id,
        feedbackAccepted: accepted,
        feedbackOverridden: overridden,
      });
      res.status(200).end();
    },
  );
  router.all(['/cds-services', '/cds-services/:id', '/cds-services/:id/feedback'], () => {
    throw new ProblemError('METHOD-NOT-ALLOWED', 'Use GET for discovery and POST for services.');
  });
  return router;
}
