import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EvaluationResponse } from '../engine/response-types';
import { locals } from './context';
import type { MetricsView } from './cluster';
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

/** HTTP request duration buckets, 0.5 ms to 10 s. */
export const HTTP_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** One label set's histogram, as plain numbers: per-bucket counts (not cumulative), sum, count. */
export interface HistogramTally {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: number[];
  sum: number;
  count: number;
}

export function newTally(labels: Record<string, string>, buckets: number): HistogramTally {
  return { labels, counts: new Array<number>(buckets).fill(0), sum: 0, count: 0 };
}

/** prom-client's observe(): the first bucket whose upper bound holds the value, or none (+Inf). */
export function observeTally(
  tally: HistogramTally,
  buckets: readonly number[],
  value: number,
): void {
  tally.sum += value;
  tally.count += 1;
  for (let i = 0; i < buckets.length; i++)
    if (value <= (buckets[i] ?? Infinity)) {
      tally.counts[i] = (tally.counts[i] ?? 0) + 1;
      return;
    }
}

/** What prom-client keeps per label set (prom-client 15's Histogram#hashMap). */
interface PromHistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * Replaces a prom-client histogram's values with the tallies, at scrape time: each label set is
 * created through the public zero(), then its bucket counts, sum and count are set. This writes
 * prom-client's per-label-set record, so test/http/metrics-tally.test.ts feeds the same
 * observations to a plain prom-client Histogram and requires the same exposition text.
 */
export function loadTallies(histogram: Histogram, tallies: Iterable<HistogramTally>): void {
  histogram.reset();
  const internal = histogram as unknown as {
    hashMap: Record<string, PromHistogramEntry>;
    upperBounds: number[];
  };
  for (const tally of tallies) {
    histogram.zero({ ...tally.labels });
    const entry = Object.values(internal.hashMap).find((e) => sameLabels(e.labels, tally.labels));
    if (entry === undefined) throw new Error('prom-client histogram: label set not created');
    internal.upperBounds.forEach((bound, i) => {
      entry.bucketValues[bound] = tally.counts[i] ?? 0;
    });
    entry.sum = tally.sum;
    entry.count = tally.count;
  }
}

function sameLabels(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}

export function createMetrics(
  store: RulesetStore,
  guard?: RequestHandler,
  view?: MetricsView,
): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Request durations are tallied per label set in plain arrays and handed to prom-client at
  // scrape time (prom-client validates and hashes the labels on every observe()).
  const httpTallies = new Map<string, HistogramTally>();
  new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [...HTTP_BUCKETS],
    registers: [registry],
    collect() {
      loadTallies(this, httpTallies.values());
    },
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
    // Across workers (WORKERS > 1): 1 for each ruleset some worker serves, not the worker count.
    aggregator: 'max',
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
    const started = performance.now();
    res.on('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      const method = req.method ?? 'UNKNOWN';
      const route = locals(res).route ?? 'unmatched';
      const status = res.statusCode;
      const key = `${method} ${String(status)} ${route}`;
      let tally = httpTallies.get(key);
      if (tally === undefined) {
        tally = newTally({ method, route, status_code: String(status) }, HTTP_BUCKETS.length);
        httpTallies.set(key, tally);
      }
      observeTally(tally, HTTP_BUCKETS, seconds);
    });
  };
  const middleware: RequestHandler = (req, res, next) => {
    track(req, res);
    next();
  };

  view?.attach(registry);
  const routes = Router();
  routes.get(
    '/metrics',
    (_req, res, next) => {
      locals(res).route = '/metrics';
      next();
    },
    ...(guard ? [guard] : []),
    async (_req, res) => {
      const text = await (view ? view.text(registry) : registry.metrics());
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
