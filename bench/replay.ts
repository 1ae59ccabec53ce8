/**
 * `npm run bench:replay`: the figures of issue #14, measured once on this machine.
 *  - `ntcds replay` throughput over an NDJSON file of 100,000 generated patients to an output
 *    file, with 1 worker and with one per core, and the speed-up (target ≥ 1.7× on 2 cores);
 *  - peak resident memory of that replay (and, with --million, over 1,000,000 patients streamed:
 *    target ≤ 300 MB);
 *  - POST /v1/evaluations/batch throughput against the same patients sent one per request over
 *    keep-alive (target ≥ 3×).
 * `--quick` uses 10,000 patients. Prints a table and writes bench/replay-results.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { formatIssue } from '../src/lib/issue';
import { loadRuleset } from '../src/engine/ruleset';
import { generatePatients } from '../src/synth/patients';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI_JS = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const MAIN_JS = path.join(ROOT, 'dist', 'src', 'main.js');
const RESULTS = path.join(ROOT, 'bench', 'replay-results.json');
const QUICK = process.argv.includes('--quick');
const MILLION = process.argv.includes('--million');
const PATIENTS = QUICK ? 10000 : 100000;
const HTTP_PATIENTS = QUICK ? 2000 : 10000;
const PORT = Number(process.env.BENCH_PORT ?? 19450);

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function peakRssMb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${String(pid)}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m?.[1] ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the CLI; wall seconds and the peak RSS seen (VmHWM, polled until exit). */
function timed(argv: readonly string[]): Promise<{ seconds: number; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI_JS, ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let peak = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      peak = Math.max(peak, peakRssMb(child.pid ?? 0));
    }, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) reject(new Error(`replay exited ${String(code)}: ${stderr.slice(0, 2000)}`));
      else resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMb: peak });
    });
  });
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

async function httpBench(
  bodies: readonly string[],
): Promise<{ singlePerSec: number; batchPerSec: number }> {
  const child = spawn(process.execPath, [MAIN_JS], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    for (let i = 0; i < 200; i += 1) {
      try {
        await post(agent, '/v1/evaluations', 'application/json', bodies[0] ?? '{}');
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // Warm-up, then one patient per request, 8 in flight over keep-alive.
    await Promise.all(
      bodies.slice(0, 500).map((b) => post(agent, '/v1/evaluations', 'application/json', b)),
    );
    let t0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const b = bodies[next++] ?? '{}';
          await post(agent, '/v1/evaluations', 'application/json', b);
        }
      }),
    );
    const singlePerSec = bodies.length / (Number(process.hrtime.bigint() - t0) / 1e9);
    // The same patients as batches of 1,000 lines, 2 in flight.
    const batches: string[] = [];
    for (let i = 0; i < bodies.length; i += 1000)
      batches.push(bodies.slice(i, i + 1000).join('\n') + '\n');
    t0 = process.hrtime.bigint();
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
    const batchPerSec = bodies.length / (Number(process.hrtime.bigint() - t0) / 1e9);
    agent.destroy();
    return { singlePerSec, batchPerSec };
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const loaded = loadRuleset(path.join(ROOT, 'rules'));
  if (!loaded.ok) throw new Error(loaded.issues.map(formatIssue).join('\n'));
  const cores = os.availableParallelism();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-bench-replay-'));
  try {
    const input = path.join(dir, 'patients.ndjson');
    const bodies = generatePatients(loaded.ruleset.catalog, { seed: 1, count: PATIENTS }).map((b) =>
      JSON.stringify(b),
    );
    fs.writeFileSync(input, bodies.join('\n') + '\n');
    log(
      `${String(PATIENTS)} patients, ${(fs.statSync(input).size / 1e6).toFixed(1)} MB of NDJSON; ${String(cores)} cores`,
    );
    const common = [
      'replay',
      input,
      '--as-of',
      '2026-01-15',
      '--quiet',
      '--out',
      path.join(dir, 'out.ndjson'),
    ];
    const one = await timed([...common, '--workers', '1']);
    log(`replay, 1 worker: ${one.seconds.toFixed(1)} s`);
    const all = await timed([...common, '--workers', String(cores)]);
    log(`replay, ${String(cores)} workers: ${all.seconds.toFixed(1)} s`);
    let million: { seconds: number; peakRssMb: number } | undefined;
    if (MILLION) {
      const big = path.join(dir, 'million.ndjson');
      const text = bodies.join('\n') + '\n';
      const fd = fs.openSync(big, 'w');
      for (let i = 0; i < 1000000 / PATIENTS; i += 1) fs.writeSync(fd, text);
      fs.closeSync(fd);
      million = await timed([
        'replay',
        big,
        '--as-of',
        '2026-01-15',
        '--quiet',
        '--out',
        '/dev/null',
        '--workers',
        String(cores),
      ]);
      log(
        `replay of 1,000,000: ${million.seconds.toFixed(1)} s, peak RSS ${million.peakRssMb.toFixed(0)} MB`,
      );
    }
    const web = await httpBench(bodies.slice(0, HTTP_PATIENTS));
    const results = {
      machine: {
        cores,
        node: process.version,
        note: 'shared machine (other jobs running); one run, no repeats',
      },
      patients: PATIENTS,
      replay: {
        oneWorkerPerSec: Math.round(PATIENTS / one.seconds),
        allWorkersPerSec: Math.round(PATIENTS / all.seconds),
        workers: cores,
        speedUp: Number((one.seconds / all.seconds).toFixed(2)),
        peakRssMb: { oneWorker: Math.round(one.peakRssMb), allWorkers: Math.round(all.peakRssMb) },
        ...(million
          ? {
              million: {
                perSec: Math.round(1000000 / million.seconds),
                peakRssMb: Math.round(million.peakRssMb),
              },
            }
          : {}),
      },
      http: {
        patients: HTTP_PATIENTS,
        singlePerSec: Math.round(web.singlePerSec),
        batchPerSec: Math.round(web.batchPerSec),
        ratio: Number((web.batchPerSec / web.singlePerSec).toFixed(2)),
      },
    };
    fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    const r = results.replay;
    process.stdout.write(
      [
        `| figure | measured | target |`,
        `| --- | --- | --- |`,
        `| replay, 1 worker | ${String(r.oneWorkerPerSec)} evaluations/s | — |`,
        `| replay, ${String(cores)} workers | ${String(r.allWorkersPerSec)} evaluations/s | — |`,
        `| speed-up | ${String(r.speedUp)}× | ≥ 1.7× on 2 cores |`,
        `| peak RSS, ${String(PATIENTS)} patients | ${String(r.peakRssMb.allWorkers)} MB | — |`,
        `| peak RSS, 1,000,000 patients | ${million ? `${String(Math.round(million.peakRssMb))} MB` : 'not run (--million)'} | ≤ 300 MB |`,
        `| batch route vs single requests | ${String(results.http.batchPerSec)} vs ${String(results.http.singlePerSec)} /s = ${String(results.http.ratio)}× | ≥ 3× |`,
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
