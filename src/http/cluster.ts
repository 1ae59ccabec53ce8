import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/logger';
import type { Reloader } from './reload';

/**
 * WORKERS > 1: one primary process that forks the workers and serves nothing itself, and
 * workers that each run the whole service (`src/main.ts`) on the shared listening socket (Node
 * hands each new connection to a worker in turn). The primary:
 *
 * - forks `workers` workers; a worker that stops before it ever listened (a rejected ruleset, a
 *   bad port) stops the service with its exit code; one that dies later is replaced;
 * - on SIGTERM/SIGINT, tells every worker to drain (each answers what arrives, with
 *   `Connection: close`, and stops listening; the shared socket closes when the last one has)
 *   and exits 0 when the last worker has exited, or after the grace period;
 * - answers a worker's request for the metrics of all workers: prom-client's AggregatorRegistry
 *   asks each worker for its registry and sums them (per label set), so `GET /metrics` on any
 *   worker shows one view of the service;
 * - passes an admin reload on one worker to the others, so every worker serves the same rules.
 *
 * Readiness stays per worker: a worker listens only once its ruleset is loaded, so connections
 * only reach workers that can answer, and a draining worker answers /readyz with 503.
 */

const METRICS_REQUEST = 'ntcds:metrics-request';
const METRICS_ANSWER = 'ntcds:metrics-answer';
const RELOAD = 'ntcds:reload';

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly text?: unknown;
  readonly error?: unknown;
}

const asMessage = (m: unknown): Message => (typeof m === 'object' && m !== null ? m : {});

export interface PrimaryOptions {
  readonly workers: number;
  readonly shutdownGraceMs: number;
  readonly logger: Logger;
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  const aggregator = new AggregatorRegistry();
  const listened = new Set<number>();
  let draining = false;
  let announced = false;

  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < options.workers; i++) fork();

  cluster.on('listening', (worker) => {
    listened.add(worker.id);
    if (!announced && listened.size >= options.workers) {
      announced = true;
      logger.info('all workers listening', { mode: `cluster of ${String(options.workers)}` });
    }
  });

  cluster.on('message', (worker, raw: unknown) => {
    const message = asMessage(raw);
    if (message.type === METRICS_REQUEST) {
      aggregator.clusterMetrics().then(
        (text) => {
          if (worker.isConnected()) worker.send({ type: METRICS_ANSWER, id: message.id, text });
        },
        (error: unknown) => {
          if (worker.isConnected())
            worker.send({
              type: METRICS_ANSWER,
              id: message.id,
              error: error instanceof Error ? error.message : 'metrics failed',
            });
        },
      );
    } else if (message.type === RELOAD) {
      for (const other of Object.values(cluster.workers ?? {}))
        if (other && other !== worker && other.isConnected()) other.send({ type: RELOAD });
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const remaining = Object.keys(cluster.workers ?? {}).length;
    if (draining) {
      if (remaining === 0) {
        logger.info('stopped');
        process.exit(0);
      }
      return;
    }
    if (!listened.has(worker.id)) {
      // It never served: the same failure would repeat in every worker (ruleset, port, config).
      logger.error('a worker stopped before it listened; stopping', {
        errorName: `exit ${String(code)} signal ${signal}`,
      });
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(typeof code === 'number' && code !== 0 ? code : 1);
    }
    listened.delete(worker.id);
    logger.warn('a worker exited; starting another', {
      errorName: `exit ${String(code)} signal ${signal}`,
    });
    fork();
  });

  const shutdown = (): void => {
    if (draining) return;
    draining = true;
    logger.info('draining');
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w?.process.kill('SIGTERM');
    // Each worker has its own grace timer; this one only guards against a worker that hangs.
    setTimeout(() => {
      logger.warn('grace period over; stopping the workers');
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(0);
    }, options.shutdownGraceMs + 1000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** How GET /metrics gets its text: this process's registry, or every worker's through the primary. */
export interface MetricsView {
  /** Called once with the app's registry when the app is created. */
  attach(registry: Registry): void;
  text(registry: Registry): Promise<string>;
}

/**
 * In a worker: reports this worker's registry when the primary asks (prom-client's worker side)
 * and answers GET /metrics with the primary's sum over all workers.
 */
export function workerMetricsView(timeoutMs = 5000): MetricsView {
  const pending = new Map<
    number,
    { resolve: (text: string) => void; reject: (e: Error) => void }
  >();
  let next = 0;
  process.on('message', (raw: unknown) => {
    const message = asMessage(raw);
    if (message.type !== METRICS_ANSWER || typeof message.id !== 'number') return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (typeof message.text === 'string') waiter.resolve(message.text);
    else waiter.reject(new Error('cluster metrics failed'));
  });
  return {
    attach(registry) {
      AggregatorRegistry.setRegistries([registry]);
      // Constructing one adds prom-client's worker listener (it answers the primary's requests).
      new AggregatorRegistry();
    },
    text() {
      const id = next++;
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('cluster metrics timed out'));
        }, timeoutMs);
        pending.set(id, {
          resolve: (text) => {
            clearTimeout(timer);
            resolve(text);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        process.send?.({ type: METRICS_REQUEST, id });
      });
    },
  };
}

/**
 * In a worker: an admin reload here is passed on to the other workers (through the primary), and
 * a reload passed on from another worker runs here. Returns the reloader the app should call.
 */
export function clusterReloader(reload: Reloader, logger: Logger): Reloader {
  process.on('message', (raw: unknown) => {
    if (asMessage(raw).type !== RELOAD) return;
    reload().then(
      (outcome) => {
        if (!outcome.ok) logger.warn('reload passed on from another worker failed here');
      },
      () => {
        logger.warn('reload passed on from another worker failed here');
      },
    );
  });
  return async () => {
    const outcome = await reload();
    if (outcome.ok) process.send?.({ type: RELOAD });
    return outcome;
  };
}
