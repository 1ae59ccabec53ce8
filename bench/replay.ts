/**
 * `npm run bench:replay`: the figures of issue #14, each printed beside its target.
 *  - `ntcds replay` throughput over an NDJSON file of 100,000 generated patients to an output
 *    file, with 1 worker and with one per core, alternated over rounds; the speed-up is the
 *    median of each round's ratio (target ≥ 1.7× on 2 cores);
 *  - resident memory over 1,000,000 patients streamed into `ntcds replay -` (target ≤ 300 MB):
 *    the 100,000 generated patients written 10 times into its standard input as it reads, with
 *    RSS sampled along the way, so growth with N shows (no 1 GB temp file);
 *  - POST /v1/evaluations/batch against the same patients sent one per request over keep-alive
 *    (target ≥ 3×), as evaluations per second and as server CPU per evaluation (from /proc, which
 *    depends much less on what else runs on the machine), alternated over rounds, medians.
 * `--quick`: 10,000 patients, 100,000 streamed, one round (a smoke run, not for figures).
 * `--no-million` skips the 1,000,000 run. Writes bench/replay-results.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { formatIssue } from '../src/lib/issue';
import { loadRuleset } from '../src/engine/ruleset';
import { generatePatients } from '../src/synth/patients';
import { median, round } from './stats';

/** Whether two files hold the same bytes, read 1 MiB at a time (100,000 answers pass 2 GiB). */
function sameBytes(a: string, b: string): boolean {
  if (fs.statSync(a).size !== fs.statSync(b).size) return false;
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
  try {
    const ba = Buffer.alloc(1 << 20);
    const bb = Buffer.alloc(1 << 20);
    for (;;) {
      const na = fs.readSync(fa, ba, 0, ba.length, null);
      const nb = fs.readSync(fb, bb, 0, bb.length, null);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

const ROOT = path.resolve(__dirname, '..', '..');
const CLI_JS = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MAIN_JS = path.join(ROOT, 'dist', 'src', 'main.js');
const RESULTS = path.join(ROOT, 'bench', 'replay-results.json');
const QUICK = process.argv.includes('--quick');
const MILLION = !process.argv.includes('--no-million');
const PATIENTS = QUICK ? 10000 : 100000;
const STREAMED = QUICK ? 100000 : 1000000;
const ROUNDS = QUICK ? 1 : 3;
const HTTP_PATIENTS = QUICK ? 2000 : 10000;
const BATCH_LINES = 1000;
const PORT = Number(process.env.BENCH_PORT ?? 4450);
const CLK_TCK = 100;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function procStatus(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  try {
    const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(status);
    return m?.[1] ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** User + system CPU seconds of a live process (all its threads). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds of each live thread of a process, by thread id. */
function threadCpu(pid: number, into: Map<string, number>): void {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${String(pid)}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${String(pid)}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      into.set(tid, (Number(fields[11]) + Number(fields[12])) / CLK_TCK);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
}

interface Timed {
  seconds: number;
  peakRssMb: number;
  /** CPU seconds of every thread (last seen), summed, and of the busiest one. */
  cpuTotal: number;
  cpuMaxThread: number;
  /** (patients answered so far, RSS MB) from the progress lines. */
  samples: [number, number][];
}

/**
 * Runs the CLI; wall seconds, the peak RSS (VmHWM, polled until exit) and, when it prints plain
 * progress lines, the RSS beside the count of patients answered. `feed` writes its stdin.
 */
function timed(
  argv: readonly string[],
  feed?: (stdin: NodeJS.WritableStream) => Promise<void>,
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI_JS, ...argv], {
      stdio: [feed ? 'pipe' : 'ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let peak = 0;
    const samples: [number, number][] = [];
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      for (const m of text.matchAll(/^replay: (\d+) patients, /gm))
        samples.push([Number(m[1]), procStatus(child.pid ?? 0, 'VmRSS')]);
    });
    const threads = new Map<string, number>();
    const poll = setInterval(() => {
      peak = Math.max(peak, procStatus(child.pid ?? 0, 'VmHWM'));
      threadCpu(child.pid ?? 0, threads);
    }, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) reject(new Error(`replay exited ${String(code)}: ${stderr.slice(0, 2000)}`));
      else {
        const cpu = [...threads.values()];
        resolve({
          seconds: Number(process.hrtime.bigint() - t0) / 1e9,
          peakRssMb: peak,
          cpuTotal: cpu.reduce((a, b) => a + b, 0),
          cpuMaxThread: Math.max(0, ...cpu),
          samples,
        });
      }
    });
    if (feed && child.stdin)
      feed(child.stdin).catch((e: unknown) => {
        reject(e instanceof Error ? e : new Error(String(e)));
      });
  });
}

/** Writes `text` to `stream` `times` times, waiting for drain: the reader sets the pace. */
async function repeatInto(
  stream: NodeJS.WritableStream,
  text: Buffer,
  times: number,
): Promise<void> {
  const piece = 1 << 20;
  for (let i = 0; i < times; i += 1)
    for (let at = 0; at < text.length; at += piece)
      if (!stream.write(text.subarray(at, at + piece)))
        await new Promise<void>((r) => stream.once('drain', r));
  stream.end();
}

function post(agent: http.Agent, pathname: string, type: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: PORT,
        method: 'POST',
        path: pathname,
        agent,
        headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${String(res.statusCode)}`));
          else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface HttpRound {
  perSec: number;
  cpuUsPerEvaluation: number;
}

async function httpBench(
  bodies: readonly string[],
): Promise<{ single: HttpRound[]; batch: HttpRound[] }> {
  const child = spawn(process.execPath, [MAIN_JS], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      BATCH_MAX_LINES: String(BATCH_LINES),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid ?? 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    for (let i = 0; i < 300; i += 1) {
      try {
        await post(agent, '/v1/evaluations', 'application/json', bodies[0] ?? '{}');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const batches: string[] = [];
    for (let i = 0; i < bodies.length; i += BATCH_LINES)
      batches.push(bodies.slice(i, i + BATCH_LINES).join('\n') + '\n');
    const measure = async (run: () => Promise<void>): Promise<HttpRound> => {
      const cpu0 = cpuSeconds(pid);
      const t0 = process.hrtime.bigint();
      await run();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      return {
        perSec: bodies.length / seconds,
        cpuUsPerEvaluation: ((cpuSeconds(pid) - cpu0) * 1e6) / bodies.length,
      };
    };
    // One patient per request, 8 in flight over keep-alive.
    const single = (): Promise<void> =>
      measure(async () => {
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < bodies.length) {
              const b = bodies[next++] ?? '{}';
              await post(agent, '/v1/evaluations', 'application/json', b);
            }
          }),
        );
      }).then((r) => void out.single.push(r));
    // The same patients as batches of BATCH_LINES lines, 2 in flight.
    const batch = (): Promise<void> =>
      measure(async () => {
        let nb = 0;
        let lines = 0;
        await Promise.all(
          Array.from({ length: 2 }, async () => {
            while (nb < batches.length) {
              const text = await post(
                agent,
                '/v1/evaluations/batch',
                'application/x-ndjson',
                batches[nb++] ?? '',
              );
              lines += text.split('\n').length - 1;
            }
          }),
        );
        if (lines !== bodies.length) throw new Error(`batch answered ${String(lines)} lines`);
      }).then((r) => void out.batch.push(r));
    const out: { single: HttpRound[]; batch: HttpRound[] } = { single: [], batch: [] };
    // Warm-up of both routes, then alternate rounds.
    await Promise.all(
      bodies.slice(0, 500).map((b) => post(agent, '/v1/evaluations', 'application/json', b)),
    );
    await post(agent, '/v1/evaluations/batch', 'application/x-ndjson', batches[0] ?? '');
    for (let r = 0; r < ROUNDS; r += 1) {
      await single();
      await batch();
    }
    return out;
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
  }
}

const mark = (ok: boolean): string => (ok ? '✓' : '✗');

async function main(): Promise<void> {
  const loaded = loadRuleset(path.join(ROOT, 'rules'));
  if (!loaded.ok) throw new Error(loaded.issues.map(formatIssue).join('\n'));
  const cores = os.availableParallelism();
  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const loadBefore = load();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-bench-replay-'));
  try {
    const input = path.join(dir, 'patients.ndjson');
    const bodies = generatePatients(loaded.ruleset.catalog, { seed: 1, count: PATIENTS }).map((b) =>
      JSON.stringify(b),
    );
    const text = Buffer.from(bodies.join('\n') + '\n');
    fs.writeFileSync(input, text);
    log(
      `${String(PATIENTS)} patients, ${(text.length / 1e6).toFixed(1)} MB of NDJSON; ${String(cores)} cores; load ${loadBefore}`,
    );
    const common = ['replay', input, '--as-of', '2026-01-15', '--quiet'];
    const one: Timed[] = [];
    const all: Timed[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      one.push(await timed([...common, '--out', path.join(dir, 'o1.ndjson'), '--workers', '1']));
      all.push(
        await timed([...common, '--out', path.join(dir, 'oN.ndjson'), '--workers', String(cores)]),
      );
      log(
        `round ${String(r + 1)}: 1 worker ${one[r]?.seconds.toFixed(1) ?? '?'} s, ${String(cores)} workers ${all[r]?.seconds.toFixed(1) ?? '?'} s`,
      );
    }
    if (!sameBytes(path.join(dir, 'o1.ndjson'), path.join(dir, 'oN.ndjson')))
      throw new Error('1 worker and one per core wrote different outputs');
    fs.rmSync(path.join(dir, 'o1.ndjson'));
    fs.rmSync(path.join(dir, 'oN.ndjson'));
    const speedUps = one.map((o, i) => o.seconds / (all[i]?.seconds ?? Number.NaN));
    // What a quiet machine would give, from the CPU each thread used (which other jobs on the
    // machine barely change): a run takes at least its busiest thread's CPU time and at least
    // its total CPU time spread over every core.
    const quietWall = (t: Timed): number => Math.max(t.cpuMaxThread, t.cpuTotal / cores);
    const cpuSpeedUps = one.map((o, i) => {
      const a = all[i];
      return a ? quietWall(o) / quietWall(a) : Number.NaN;
    });

    let streamed: Timed | undefined;
    if (MILLION) {
      log(`streaming ${String(STREAMED)} patients into replay - (RSS sampled every 5 s)…`);
      streamed = await timed(
        ['replay', '-', '--as-of', '2026-01-15', '--out', '/dev/null', '--workers', String(cores)],
        (stdin) => repeatInto(stdin, text, STREAMED / PATIENTS),
      );
      log(
        `${String(STREAMED)} patients: ${streamed.seconds.toFixed(0)} s, peak RSS ${streamed.peakRssMb.toFixed(0)} MB`,
      );
    }
    const web = await httpBench(bodies.slice(0, HTTP_PATIENTS));
    const loadAfter = load();

    const singlePerSec = median(web.single.map((r) => r.perSec));
    const batchPerSec = median(web.batch.map((r) => r.perSec));
    const ratios = web.single.map((s, i) => (web.batch[i]?.perSec ?? Number.NaN) / s.perSec);
    const singleCpu = median(web.single.map((r) => r.cpuUsPerEvaluation));
    const batchCpu = median(web.batch.map((r) => r.cpuUsPerEvaluation));
    const at = (n: number): number | undefined =>
      streamed?.samples.find(([lines]) => lines >= n)?.[1];
    const results = {
      machine: { cores, node: process.version, loadBefore, loadAfter, rounds: ROUNDS },
      patients: PATIENTS,
      replay: {
        oneWorkerPerSec: Math.round(PATIENTS / median(one.map((o) => o.seconds))),
        allWorkersPerSec: Math.round(PATIENTS / median(all.map((o) => o.seconds))),
        workers: cores,
        speedUp: round(median(speedUps), 2),
        speedUpsPerRound: speedUps.map((s) => round(s, 2)),
        /** From per-thread CPU: max(busiest thread, total / cores), 1 worker over N. */
        quietSpeedUpEstimate: round(median(cpuSpeedUps), 2),
        cpuSeconds: {
          oneWorker: {
            total: round(median(one.map((o) => o.cpuTotal))),
            busiestThread: round(median(one.map((o) => o.cpuMaxThread))),
          },
          allWorkers: {
            total: round(median(all.map((o) => o.cpuTotal))),
            busiestThread: round(median(all.map((o) => o.cpuMaxThread))),
          },
        },
        peakRssMb: {
          oneWorker: Math.round(median(one.map((o) => o.peakRssMb))),
          allWorkers: Math.round(median(all.map((o) => o.peakRssMb))),
        },
        ...(streamed
          ? {
              streamed: {
                patients: STREAMED,
                seconds: Math.round(streamed.seconds),
                perSec: Math.round(STREAMED / streamed.seconds),
                peakRssMb: Math.round(streamed.peakRssMb),
                rssMbAt: streamed.samples.map(([n, mb]) => [n, Math.round(mb)]),
              },
            }
          : {}),
      },
      http: {
        patients: HTTP_PATIENTS,
        batchLines: BATCH_LINES,
        singlePerSec: Math.round(singlePerSec),
        batchPerSec: Math.round(batchPerSec),
        ratio: round(median(ratios), 2),
        singleCpuUsPerEvaluation: Math.round(singleCpu),
        batchCpuUsPerEvaluation: Math.round(batchCpu),
        cpuRatio: round(singleCpu / batchCpu, 2),
      },
    };
    fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    const r = results.replay;
    const h = results.http;
    const tenth = at(STREAMED / 10);
    process.stdout.write(
      [
        `load average before ${loadBefore}, after ${loadAfter}; ${String(ROUNDS)} rounds, medians`,
        ``,
        `| figure | measured | target | |`,
        `| --- | --- | --- | --- |`,
        `| replay, 1 worker (${String(PATIENTS)} patients) | ${String(r.oneWorkerPerSec)} evaluations/s | — | |`,
        `| replay, ${String(cores)} workers | ${String(r.allWorkersPerSec)} evaluations/s | — | |`,
        `| speed-up, ${String(cores)} workers vs 1 | ${String(r.speedUp)}× (rounds: ${r.speedUpsPerRound.join(', ')}) | ≥ 1.7× on 2 cores | ${mark(r.speedUp >= 1.7)} |`,
        `| speed-up a quiet machine would give (from per-thread CPU) | ${String(r.quietSpeedUpEstimate)}× (CPU s, 1 worker: ${String(r.cpuSeconds.oneWorker.total)} total, ${String(r.cpuSeconds.oneWorker.busiestThread)} busiest thread; ${String(cores)}: ${String(r.cpuSeconds.allWorkers.total)}, ${String(r.cpuSeconds.allWorkers.busiestThread)}) | ≥ 1.7× | ${mark(r.quietSpeedUpEstimate >= 1.7)} |`,
        `| peak RSS, ${String(PATIENTS)} patients, ${String(cores)} workers | ${String(r.peakRssMb.allWorkers)} MB | — | |`,
        streamed
          ? `| peak RSS, ${String(STREAMED)} patients streamed | ${String(Math.round(streamed.peakRssMb))} MB (RSS ${tenth === undefined ? '?' : String(Math.round(tenth))} MB at ${String(STREAMED / 10)}; ${String(Math.round(streamed.seconds))} s) | ≤ 300 MB | ${mark(streamed.peakRssMb <= 300)} |`
          : `| peak RSS, 1,000,000 patients | not run (--no-million) | ≤ 300 MB | |`,
        `| batch route vs single requests (evaluations/s) | ${String(h.batchPerSec)} vs ${String(h.singlePerSec)} = ${String(h.ratio)}× | ≥ 3× | ${mark(h.ratio >= 3)} |`,
        `| server CPU per evaluation, single vs batch | ${String(h.singleCpuUsPerEvaluation)} µs vs ${String(h.batchCpuUsPerEvaluation)} µs = ${String(h.cpuRatio)}× | (≥ 3× needed for the rate, one core) | |`,
      ].join('\n') + '\n',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
