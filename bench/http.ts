/**
 * The HTTP figures of issue #16, each measured against a baseline in the same run:
 *
 * - server CPU per request of POST /v1/evaluations (README example; default trace and
 *   trace=full) and of a CDS Hooks patient-view call with full prefetch
 *   (examples/cds-hooks/patient-view.json), each against the **floor server**
 *   (bench/floor-server.ts: bare node:http that reads the body, parses it and writes the answer
 *   the service gave, precomputed);
 * - latency at 50 connections;
 * - throughput with WORKERS=2 against WORKERS=1.
 *
 * Server CPU is read from /proc for the server process and its children (a cluster's workers),
 * over a fixed number of requests; it depends far less on the machine's load than requests per
 * second do. `npm run bench:http` runs this alone; `npm run bench` includes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Result } from 'autocannon';
import { answer, answerRequest, serveRuleset } from '../src/engine/answer';
import { loadRuleset } from '../src/engine/ruleset';
import { decodeJsonBody } from '../src/http/json-body';
import { formatIssue } from '../src/lib/issue';
import { post, startNode, stop, treeCpuUs } from './procs';
import type { Started } from './procs';
import { median, round } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');
const RULES_DIR = path.join(ROOT, 'rules');
const MAIN_JS = path.join(ROOT, 'dist', 'src', 'main.js');
const FLOOR_JS = path.join(ROOT, 'dist', 'bench', 'floor-server.js');
const EVALUATIONS = '/v1/evaluations';
const CDS = '/cds-services/neurotransmitter-balance-review';

export interface HttpSettings {
  /** Requests per CPU measurement. */
  readonly amount: number;
  /** Alternating rounds; every figure is the median over rounds. */
  readonly rounds: number;
  /** Seconds per latency / throughput run. */
  readonly seconds: number;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function cannon(
  url: string,
  body: string,
  options: { connections: number; amount?: number; duration?: number },
): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: options.connections,
        ...(options.amount === undefined ? {} : { amount: options.amount }),
        ...(options.duration === undefined ? {} : { duration: options.duration }),
      },
      (err, result) => {
        if (err) reject(err);
        else resolve(result);
      },
    );
  });
}

/** Server CPU µs per request over `amount` requests at 10 connections. */
async function cpuPerRequest(
  target: Started,
  url: string,
  body: string,
  amount: number,
): Promise<number> {
  const pid = target.child.pid ?? 0;
  const before = treeCpuUs(pid);
  const result = await cannon(`${target.base}${url}`, body, { connections: 10, amount });
  const used = treeCpuUs(pid) - before;
  if (result.non2xx + result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return used / Math.max(1, result['2xx']);
}

export interface CpuCase {
  readonly name: string;
  readonly serviceUs: number;
  readonly floorUs: number;
  readonly ratio: number;
  readonly answerBytes: number;
  readonly target: number;
}

/** In-process CPU µs of each step the service runs for one README-example request (median of runs). */
export interface StepBudget {
  readonly shapeCheckDecodeParse: number;
  readonly parseOnly: number;
  readonly validate: number;
  readonly factsEvaluateAssemble: number;
  readonly stringifyHits: number;
  readonly stringifyFull: number;
  readonly factsEvaluateAssembleFull: number;
}

function timeStep(run: () => unknown, n: number): number {
  for (let i = 0; i < Math.min(n, 2000); i++) run();
  const runs: number[] = [];
  // CPU time, not wall time: on a busy machine wall time counts the time waiting for a core.
  for (let r = 0; r < 7; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) run();
    const used = process.cpuUsage(t0);
    runs.push((used.user + used.system) / n);
  }
  return round(median(runs), 1);
}

/** The steps of one answer, timed in this process on the README example (same code as served). */
export function stepBudget(readme: string): StepBudget {
  const loaded = loadRuleset(RULES_DIR);
  if (!loaded.ok) throw new Error(loaded.issues.slice(0, 5).map(formatIssue).join('\n'));
  const served = serveRuleset(loaded.ruleset);
  const raw = Buffer.from(readme);
  const now = (): Date => new Date();
  const checked = served.requests.validate(decodeJsonBody(raw, 32));
  if (!checked.ok) throw new Error('README example does not validate');
  const hits = answer(served, decodeJsonBody(raw, 32), { traceFull: false, now });
  const full = answer(served, decodeJsonBody(raw, 32), { traceFull: true, now });
  if (!hits.ok || !full.ok) throw new Error('README example not answered');
  // Each run validates a freshly parsed body (validation may normalise in place); the parse is
  // timed alone and taken off.
  const parseOnly = timeStep(() => JSON.parse(readme), 20000);
  const validatePlusParse = timeStep(() => served.requests.validate(JSON.parse(readme)), 20000);
  return {
    shapeCheckDecodeParse: timeStep(() => decodeJsonBody(raw, 32), 20000),
    parseOnly,
    validate: round(validatePlusParse - parseOnly, 1),
    factsEvaluateAssemble: timeStep(
      () => answerRequest(served.ruleset, checked.request, { traceFull: false, now }),
      10000,
    ),
    factsEvaluateAssembleFull: timeStep(
      () => answerRequest(served.ruleset, checked.request, { traceFull: true, now }),
      1000,
    ),
    stringifyHits: timeStep(() => JSON.stringify(hits.response), 10000),
    stringifyFull: timeStep(() => JSON.stringify(full.response), 500),
  };
}

export interface HttpResults {
  readonly loadAverage: number[];
  readonly steps: StepBudget;
  readonly cpu: CpuCase[];
  readonly latency50: { p50Ms: number; p99Ms: number; p999Ms: number; requestsPerSecond: number };
  readonly cdsLatency: { p50Ms: number; p99Ms: number; connections: number };
  readonly workers: {
    readonly one: number;
    readonly two: number;
    readonly ratio: number;
    readonly connections: number;
  };
}

/** The service with the shipped rules; `workers` sets WORKERS. */
function startService(workers: number): Promise<Started> {
  return startNode(MAIN_JS, { RULES_DIR, LOG_LEVEL: 'info', WORKERS: String(workers) }, '/readyz');
}

export async function httpBench(settings: HttpSettings): Promise<HttpResults> {
  const readme = fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8');
  const cdsBody = fs.readFileSync(
    path.join(ROOT, 'examples', 'cds-hooks', 'patient-view.json'),
    'utf8',
  );
  const cases = [
    {
      name: 'POST /v1/evaluations, README example, default trace',
      url: EVALUATIONS,
      body: readme,
      target: 2.5,
      share: 1,
    },
    {
      name: 'POST /v1/evaluations, README example, trace=full',
      url: `${EVALUATIONS}?trace=full`,
      body: readme,
      target: Infinity,
      // ~10× the answer and the CPU: fewer requests give the same number of CPU ticks.
      share: 0.15,
    },
    {
      name: 'CDS Hooks patient-view, full prefetch (example)',
      url: CDS,
      body: cdsBody,
      target: 3,
      share: 0.5,
    },
  ];
  const service = await startService(1);
  const answers: Record<string, string> = {};
  for (const c of cases) {
    const { status, text } = await post(`${service.base}${c.url}`, c.body);
    if (status !== 200) throw new Error(`${c.url} answered ${status}: ${text.slice(0, 500)}`);
    answers[c.url] = text;
  }
  const answersFile = path.join(os.tmpdir(), `ntcds-floor-${process.pid}.json`);
  fs.writeFileSync(answersFile, JSON.stringify(answers));
  const floor = await startNode(FLOOR_JS, { FLOOR_ANSWERS: answersFile }, '/readyz');
  try {
    log(
      `· HTTP CPU per request: ${settings.rounds} rounds × ${settings.amount} requests, service and floor alternating`,
    );
    const samples = cases.map(() => ({ service: [] as number[], floor: [] as number[] }));
    const amountOf = (share: number): number => Math.max(200, Math.round(settings.amount * share));
    for (const c of cases) {
      const amount = amountOf(c.share);
      await cannon(`${service.base}${c.url}`, c.body, { connections: 10, amount });
      await cannon(`${floor.base}${c.url}`, c.body, { connections: 10, amount });
    }
    for (let r = 0; r < settings.rounds; r++)
      for (const [i, c] of cases.entries()) {
        const amount = amountOf(c.share);
        samples[i]?.service.push(await cpuPerRequest(service, c.url, c.body, amount));
        samples[i]?.floor.push(await cpuPerRequest(floor, c.url, c.body, amount));
      }
    const cpu = cases.map((c, i) => {
      const s = median(samples[i]?.service ?? []);
      const f = median(samples[i]?.floor ?? []);
      return {
        name: c.name,
        serviceUs: round(s, 0),
        floorUs: round(f, 0),
        ratio: round(s / f, 2),
        answerBytes: Buffer.byteLength(answers[c.url] ?? ''),
        target: c.target,
      };
    });

    log(`· latency at 50 connections, ${settings.seconds} s`);
    const lat = await cannon(`${service.base}${EVALUATIONS}`, readme, {
      connections: 50,
      duration: settings.seconds,
    });
    const cdsLat = await cannon(`${service.base}${CDS}`, cdsBody, {
      connections: 1,
      duration: settings.seconds,
    });
    await stop(service);

    log(
      `· throughput, WORKERS=1 against WORKERS=2, ${settings.rounds} rounds × ${settings.seconds} s`,
    );
    const one: number[] = [];
    const two: number[] = [];
    const connections = 20;
    for (let r = 0; r < settings.rounds; r++)
      for (const [n, into] of [
        [1, one],
        [2, two],
      ] as const) {
        const s = await startService(n);
        try {
          await cannon(`${s.base}${EVALUATIONS}`, readme, { connections, duration: 1 });
          const res = await cannon(`${s.base}${EVALUATIONS}`, readme, {
            connections,
            duration: settings.seconds,
          });
          into.push(res.requests.average);
        } finally {
          await stop(s);
        }
      }
    log('· in-process step budget');
    const steps = stepBudget(readme);
    return {
      loadAverage: os.loadavg().map((x) => round(x, 2)),
      steps,
      cpu,
      latency50: {
        p50Ms: lat.latency.p50,
        p99Ms: lat.latency.p99,
        p999Ms: (lat.latency as unknown as { p99_9: number }).p99_9,
        requestsPerSecond: round(lat.requests.average, 0),
      },
      cdsLatency: { p50Ms: cdsLat.latency.p50, p99Ms: cdsLat.latency.p99, connections: 1 },
      workers: {
        one: round(median(one), 0),
        two: round(median(two), 0),
        ratio: round(median(two) / median(one), 2),
        connections,
      },
    };
  } finally {
    await stop(service);
    await stop(floor);
    fs.rmSync(answersFile, { force: true });
  }
}

export interface Target {
  readonly target: string;
  readonly measured: number | string | undefined;
  readonly ok: boolean;
  readonly note?: string;
}

export function httpTargets(h: HttpResults): Target[] {
  const byName = (prefix: string): CpuCase | undefined =>
    h.cpu.find((c) => c.name.startsWith(prefix));
  const hits = byName('POST /v1/evaluations, README example, default');
  const full = byName('POST /v1/evaluations, README example, trace=full');
  const cds = byName('CDS Hooks');
  return [
    {
      target: 'HTTP CPU/request, README example, default trace: ≤2.5× floor',
      measured: hits ? `${hits.ratio}×` : 'not measured',
      ok: (hits?.ratio ?? Infinity) <= 2.5,
      note: hits
        ? `${hits.serviceUs} µs vs floor ${hits.floorUs} µs (${hits.answerBytes} B answer)`
        : '',
    },
    {
      target: 'HTTP CPU/request, README example, trace=full (reported)',
      measured: full ? `${full.ratio}×` : 'not measured',
      ok: true,
      note: full
        ? `${full.serviceUs} µs vs floor ${full.floorUs} µs (${full.answerBytes} B answer)`
        : '',
    },
    {
      target: 'HTTP p99 ≤10 ms at 50 connections',
      measured: h.latency50.p99Ms,
      ok: h.latency50.p99Ms <= 10,
      note: `p50 ${h.latency50.p50Ms} ms, ${h.latency50.requestsPerSecond} req/s`,
    },
    {
      target: 'CDS Hooks patient-view CPU/request: ≤3× floor',
      measured: cds ? `${cds.ratio}×` : 'not measured',
      ok: (cds?.ratio ?? Infinity) <= 3,
      note: cds
        ? `${cds.serviceUs} µs vs floor ${cds.floorUs} µs; p50 ${h.cdsLatency.p50Ms} / p99 ${h.cdsLatency.p99Ms} ms at 1 connection`
        : '',
    },
    {
      target: 'WORKERS=2 throughput ≥1.8× WORKERS=1',
      measured: `${h.workers.ratio}×`,
      ok: h.workers.ratio >= 1.8,
      note: `${h.workers.two} vs ${h.workers.one} req/s at ${h.workers.connections} connections; the load generator shares the 2 cores`,
    },
  ];
}

export function budgetTable(h: HttpResults): string[] {
  const hits = h.cpu[0];
  const full = h.cpu[1];
  const s = h.steps;
  if (!hits || !full) return [];
  const rest = (service: number, floor: number, work: number): number =>
    round(service - floor - work, 0);
  const workHits =
    s.shapeCheckDecodeParse - s.parseOnly + s.validate + s.factsEvaluateAssemble + s.stringifyHits;
  const workFull =
    s.shapeCheckDecodeParse -
    s.parseOnly +
    s.validate +
    s.factsEvaluateAssembleFull +
    s.stringifyFull;
  return [
    '| per-request µs (README example) | default trace | trace=full |',
    '|---|---:|---:|',
    `| floor: Node HTTP, read body, JSON.parse, write the answer (floor server CPU) | ${hits.floorUs} | ${full.floorUs} |`,
    `| body shape check + UTF-8 decode (in process; the parse is in the floor) | ${round(s.shapeCheckDecodeParse - s.parseOnly, 1)} | ${round(s.shapeCheckDecodeParse - s.parseOnly, 1)} |`,
    `| request schema validation (Ajv, compiled once) | ${s.validate} | ${s.validate} |`,
    `| facts, rules, assembly (answerRequest) | ${s.factsEvaluateAssemble} | ${s.factsEvaluateAssembleFull} |`,
    `| JSON.stringify of the answer | ${s.stringifyHits} | ${s.stringifyFull} |`,
    `| everything else: request id, auth/rate limit, access log, metrics, headers, larger writes, GC (remainder) | ${rest(hits.serviceUs, hits.floorUs, workHits)} | ${rest(full.serviceUs, full.floorUs, workFull)} |`,
    `| **service, measured (server CPU)** | **${hits.serviceUs}** | **${full.serviceUs}** |`,
    `| 2.5 × floor (the target) | ${round(2.5 * hits.floorUs, 0)} | — |`,
  ];
}

export function httpTables(h: HttpResults): string[] {
  const lines = [
    '| request | service CPU µs/request | floor CPU µs/request | ratio | target | answer bytes |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of h.cpu)
    lines.push(
      `| ${c.name} | ${c.serviceUs} | ${c.floorUs} | ${c.ratio}× | ${Number.isFinite(c.target) ? `≤${c.target}×` : '—'} | ${c.answerBytes} |`,
    );
  return lines;
}

export function targetTable(targets: readonly Target[]): string[] {
  const lines = ['| target | measured | met | note |', '|---|---:|:---:|---|'];
  for (const t of targets)
    lines.push(
      `| ${t.target} | ${String(t.measured)} | ${t.ok ? 'yes' : 'NO'} | ${t.note ?? ''} |`,
    );
  return lines;
}

if (require.main === module) {
  const quick = process.argv.includes('--quick');
  httpBench({ amount: quick ? 2000 : 6000, rounds: quick ? 2 : 5, seconds: quick ? 3 : 6 })
    .then((h) => {
      const lines = [
        ...httpTables(h),
        '',
        ...budgetTable(h),
        '',
        ...targetTable(httpTargets(h)),
        '',
        `load average while measured: ${h.loadAverage.join(' ')}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      fs.writeFileSync(
        path.join(ROOT, 'bench', 'http-results.json'),
        `${JSON.stringify({ generatedAt: new Date().toISOString(), ...h }, null, 2)}\n`,
      );
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
}
