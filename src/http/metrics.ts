import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EvaluationResponse } from '../engine/response-types';
import { locals } from './context';
import type { RulesetStore } from './ruleset-store';

/**
 * Prometheus metrics of one app instance, in a registry of its own (never the global one), so
 * two apps in one process (tests) never share or collide on counters.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Observes every finished request under its route template ("unmatched" when none). */
  readonly middleware: RequestHandler;
  /** The same on a plain Node request/response (the evaluation fast path). */
  track(req: IncomingMessage, res: ServerResponse): void;
  /** Records one evaluation: its duration, the rules that fired, the red flags raised. */
  observeEvaluation(response: EvaluationResponse, seconds: number): void;
  /** Counts CDS Hooks feedback entries by service and outcome. */
  observeCdsFeedback(service: string, outcome: 'accepted' | 'overridden', n: number): void;
  readonly routes: Router;
}

/** The prefix of every metric this service defines (prom-client's process_/nodejs_ ones keep theirs). */
export const METRIC_PREFIX = 'ntcds_';

/**
 * Evaluation duration buckets, 25 µs to 1 s: an evaluation takes well under a millisecond, so
 * the buckets below 1 ms are where its distribution shows.
 */
export const EVALUATION_BUCKETS: readonly number[] = [
  0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
  0.5, 1,
];

export function createMetrics(store: RulesetStore, guard?: RequestHandler): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const evaluationDuration = new Histogram({
    name: `${METRIC_PREFIX}evaluation_duration_seconds`,
    help: 'Time spent evaluating the rules for one request (facts to assembled answer)',
    buckets: [...EVALUATION_BUCKETS],
    registers: [registry],
  });
  // Rule hits and red flags are tallied in plain maps and handed to prom-client at scrape time:
  // a request fires a dozen rules, and prom-client validates and hashes the label set on every
  // inc(). Keys are rule ids and red-flag codes of the loaded rulesets, never request data.
  const hitsByRule = new Map<string, number>();
  const flagsByCode = new Map<string, number>();
  new Counter({
    name: `${METRIC_PREFIX}rule_hits_total`,
    help: 'Times each rule fired',
    labelNames: ['rule_id'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [ruleId, n] of hitsByRule) this.inc({ rule_id: ruleId }, n);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}red_flags_total`,
    help: 'Red flags raised, by code',
    labelNames: ['code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [code, n] of flagsByCode) this.inc({ code }, n);
    },
  });
  const cdsFeedback = new Counter({
    name: 'ntcds_cds_feedback_total',
    help: 'CDS Hooks feedback entries, by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: `${METRIC_PREFIX}ruleset_info`,
    help: 'The ruleset being served (value 1)',
    labelNames: ['id', 'version', 'hash'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const active = store.get();
      if (active) {
        const { manifest, hash } = active.ruleset;
        this.set({ id: manifest.id, version: manifest.version, hash }, 1);
      }
    },
  });

  const track = (req: IncomingMessage, res: ServerResponse): void => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      end({
        method: req.method ?? 'UNKNOWN',
        route: locals(res).route ?? 'unmatched',
        status_code: String(res.statusCode),
      });
    });
  };
  const middleware: RequestHandler = (req, res, next) => {
    track(req, res);
    next();
  };

  const routes = Router();
  routes.get(
    '/metrics',
    (_req, res, next) => {
      locals(res).route = '/metrics';
      next();
    },
    ...(guard ? [guard] : []),
    async (_req, res) => {
      const text = await registry.metrics();
      res.status(200).type(registry.contentType).send(text);
    },
  );

  return {
    registry,
    middleware,
    track,
    routes,
    observeCdsFeedback(service, outcome, n) {
      cdsFeedback.inc({ service, outcome }, n);
    },
    observeEvaluation(response, seconds) {
      evaluationDuration.observe(seconds);
      for (const hit of response.hits)
        hitsByRule.set(hit.ruleId, (hitsByRule.get(hit.ruleId) ?? 0) + 1);
      for (const flag of response.redFlags)
        flagsByCode.set(flag.code, (flagsByCode.get(flag.code) ?? 0) + 1);
    },
  };
}
