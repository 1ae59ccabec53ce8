import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { HTTP_BUCKETS, loadTallies, newTally, observeTally } from '../../src/http/metrics';
import type { HistogramTally } from '../../src/http/metrics';

/**
 * The HTTP duration histogram is tallied in plain arrays and loaded into prom-client at scrape
 * time (src/http/metrics.ts). Fed the same observations, it must expose exactly what a plain
 * prom-client Histogram exposes: bucket lines, +Inf, sum and count for every label set.
 */
const observation = fc.record({
  method: fc.constantFrom('GET', 'POST'),
  route: fc.constantFrom('/v1/evaluations', '/readyz', 'unmatched'),
  status: fc.constantFrom(200, 400, 429),
  // Exact bucket bounds, values between them, and past the last one (+Inf only).
  seconds: fc.oneof(
    fc.constantFrom(...HTTP_BUCKETS, 0, 11, 1e-7),
    fc.double({ min: 0, max: 12, noNaN: true }),
  ),
});

function histogram(registry: Registry, collect?: (h: Histogram) => void): Histogram {
  return new Histogram({
    name: 'ntcds_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [...HTTP_BUCKETS],
    registers: [registry],
    ...(collect
      ? {
          collect() {
            collect(this);
          },
        }
      : {}),
  });
}

describe('scrape-time tallies against prom-client observe()', () => {
  it('when the same observations go to both, then both expose the same text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const plainRegistry = new Registry();
        const plain = histogram(plainRegistry);
        const tallies = new Map<string, HistogramTally>();
        const talliedRegistry = new Registry();
        histogram(talliedRegistry, (h) => {
          loadTallies(h, tallies.values());
        });
        for (const o of observations) {
          const labels = { method: o.method, route: o.route, status_code: String(o.status) };
          plain.observe(labels, o.seconds);
          const key = `${o.method} ${String(o.status)} ${o.route}`;
          let t = tallies.get(key);
          if (t === undefined) {
            t = newTally(labels, HTTP_BUCKETS.length);
            tallies.set(key, t);
          }
          observeTally(t, HTTP_BUCKETS, o.seconds);
        }
        const expected = await plainRegistry.metrics();
        expect(await talliedRegistry.metrics()).toBe(expected);
        // And again: a second scrape reloads, never adds.
        expect(await talliedRegistry.metrics()).toBe(expected);
        if (observations.length > 0) expect(expected).toContain('le="+Inf"');
      }),
      { numRuns: 200, seed: 20261204 },
    );
  });
});
