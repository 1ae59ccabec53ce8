/**
 * `npm run bench`: every figure of issue #6, measured in one run on this machine, with each
 * comparison a ratio against a baseline measured in the same run. Prints a table and writes
 * bench/results.json. `--quick` uses fewer patients and repeats (for a smoke run, not for figures).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { evaluateSync } from '../src/engine/evaluate';
import type { EvaluateOptions } from '../src/engine/evaluate';
import { evaluateReference } from '../test/support/reference';
import { buildFacts } from '../src/facts/build';
import type { FactModel } from '../src/facts/model';
import type { EvaluationRequest } from '../src/facts/request-types';
import { formatIssue } from '../src/lib/issue';
import { loadRuleset } from '../src/engine/ruleset';
import type { Ruleset } from '../src/engine/ruleset';
import { generatePatients } from '../src/synth/patients';
import { writeSyntheticRuleset } from '../src/synth/rules';
import { buildBaseline } from './baseline';
import { budgetTable, httpBench, httpTables, httpTargets, targetTable } from './http';
import { post, startNode, stop } from './procs';
import { zenRace, zenTarget } from './zen';
import { mean, median, percentile, round } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');
const RULES_DIR = path.join(ROOT, 'rules');
const MAIN_JS = path.join(ROOT, 'dist', 'src', 'main.js');
const CLI_JS = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const CPU_REPORT_JS = path.join(ROOT, 'dist', 'bench', 'cpu-report.js');
const RESULTS = path.join(ROOT, 'bench', 'results.json');

const QUICK = process.argv.includes('--quick');
const SEED = 1;
const PATIENTS = QUICK ? 300 : 1000;
const REPEATS = QUICK ? 2 : 5;
const BASELINE_REPEATS = QUICK ? 1 : 3;
const SYNTHETIC_SIZES = [100, 1000, 5000] as const;
const HTTP_SECONDS = QUICK ? 3 : 6;
const HTTP_REPEATS = QUICK ? 2 : 5;
const HTTP_AMOUNT = QUICK ? 2000 : 6000;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function load(dir: string): Ruleset {
  const result = loadRuleset(dir);
  if (!result.ok) throw new Error(result.issues.slice(0, 10).map(formatIssue).join('\n'));
  return result.ruleset;
}

interface Timing {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** Median over runs of each run's p50, p99 and mean, in µs per evaluation. */
function summarise(runs: readonly number[][]): Timing {
  return {
    p50: median(runs.map((r) => percentile(r, 50))),
    p99: median(runs.map((r) => percentile(r, 99))),
    mean: median(runs.map((r) => mean(r))),
  };
}

function timeSync(
  ruleset: Ruleset,
  models: readonly FactModel[],
  options: EvaluateOptions,
  repeats: number,
): Timing {
  for (const m of models.slice(0, 200)) evaluateSync(ruleset, m, options);
  const runs: number[][] = [];
  for (let r = 0; r < repeats; r++) {
    const samples: number[] = [];
    for (const m of models) {
      const t0 = process.hrtime.bigint();
      evaluateSync(ruleset, m, options);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    runs.push(samples);
  }
  return summarise(runs);
}

async function timeAsync(
  run: (m: FactModel) => Promise<unknown>,
  models: readonly FactModel[],
  repeats: number,
): Promise<Timing> {
  for (const m of models.slice(0, Math.min(20, models.length))) await run(m);
  const runs: number[][] = [];
  for (let r = 0; r < repeats; r++) {
    const samples: number[] = [];
    for (const m of models) {
      const t0 = process.hrtime.bigint();
      await run(m);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    runs.push(samples);
  }
  return summarise(runs);
}

interface InProcessRow {
  readonly ruleset: string;
  readonly rules: number;
  readonly patients: number;
  readonly firedPerEvaluation: number;
  readonly optimisedHits: Timing;
  readonly optimisedFull?: Timing;
  readonly baselinePatients: number;
  readonly baselineHits: Timing;
  readonly optimisedHitsOnBaselineSample: Timing;
  readonly baselineFull?: Timing;
  readonly optimisedFullOnBaselineSample?: Timing;
  readonly foundationEngineHits?: Timing;
  /** The baseline gave the optimised path's response on every patient it ran. */
  readonly baselineAgrees: boolean;
  readonly ratioHitsP50: number;
  readonly ratioHitsMean: number;
  readonly ratioFullP50?: number;
}

const OPTIONS_HITS: EvaluateOptions = {
  evaluationId: 'bench',
  asOf: '2026-02-01T09:00:00Z',
  traceFull: false,
};
const OPTIONS_FULL: EvaluateOptions = { ...OPTIONS_HITS, traceFull: true };

async function inProcess(
  name: string,
  ruleset: Ruleset,
  requests: readonly EvaluationRequest[],
  baselineCount: number,
  withFull: boolean,
): Promise<InProcessRow> {
  const models = requests.map((r) => buildFacts(ruleset.catalog, r));
  const rules = ruleset.rules.filter((r) => r.status === 'active').length;
  log(`· ${name}: ${rules} rules, ${models.length} patients`);
  const fired = mean(models.map((m) => evaluateSync(ruleset, m, OPTIONS_HITS).hits.length));
  const optimisedHits = timeSync(ruleset, models, OPTIONS_HITS, REPEATS);
  const optimisedFull = withFull ? timeSync(ruleset, models, OPTIONS_FULL, REPEATS) : undefined;

  const sample = models.slice(0, baselineCount);
  const baseline = buildBaseline(ruleset);
  let agrees = true;
  for (const m of sample.slice(0, Math.min(50, sample.length))) {
    for (const options of withFull ? [OPTIONS_HITS, OPTIONS_FULL] : [OPTIONS_HITS]) {
      const a = JSON.stringify(await baseline.run(m, options));
      const b = JSON.stringify(evaluateSync(ruleset, m, options));
      if (a !== b) agrees = false;
    }
  }
  log(`  baseline over ${sample.length} patients`);
  const baselineHits = await timeAsync(
    (m) => baseline.run(m, OPTIONS_HITS),
    sample,
    BASELINE_REPEATS,
  );
  const baselineFull = withFull
    ? await timeAsync((m) => baseline.run(m, OPTIONS_FULL), sample, BASELINE_REPEATS)
    : undefined;
  const foundationEngineHits =
    name === 'shipped'
      ? await timeAsync(
          (m) => evaluateReference(ruleset, m, OPTIONS_HITS),
          sample,
          BASELINE_REPEATS,
        )
      : undefined;
  const onSample = timeSync(ruleset, sample, OPTIONS_HITS, REPEATS);
  const fullOnSample = withFull ? timeSync(ruleset, sample, OPTIONS_FULL, REPEATS) : undefined;
  return {
    ruleset: name,
    rules,
    patients: models.length,
    firedPerEvaluation: round(fired, 1),
    optimisedHits,
    ...(optimisedFull ? { optimisedFull } : {}),
    baselinePatients: sample.length,
    baselineHits,
    optimisedHitsOnBaselineSample: onSample,
    ...(baselineFull ? { baselineFull } : {}),
    ...(fullOnSample ? { optimisedFullOnBaselineSample: fullOnSample } : {}),
    ...(foundationEngineHits ? { foundationEngineHits } : {}),
    baselineAgrees: agrees,
    ratioHitsP50: round(baselineHits.p50 / onSample.p50, 1),
    ratioHitsMean: round(baselineHits.mean / onSample.mean, 1),
    ...(baselineFull && fullOnSample
      ? { ratioFullP50: round(baselineFull.p50 / fullOnSample.p50, 1) }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: the service and the diff CLI (the HTTP figures are bench/http.ts).

async function coldStart(): Promise<{ wallMs: number; cpuMs: number }> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < (QUICK ? 2 : 5); i++) {
    const s = await startNode(MAIN_JS, { RULES_DIR, LOG_LEVEL: 'warn' }, '/readyz');
    times.push(s.readyMs);
    cpu.push(s.readyCpuMs);
    await stop(s);
  }
  return { wallMs: round(median(times), 0), cpuMs: round(median(cpu), 0) };
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m?.[1] ? round(Number(m[1]) / 1024, 0) : Number.NaN;
}

async function memory(
  dir: string,
  bodies: readonly string[],
): Promise<{ rssMb: number; readyMs: number }> {
  const rss: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    const s = await startNode(MAIN_JS, { RULES_DIR: dir, LOG_LEVEL: 'warn' }, '/readyz');
    try {
      for (const body of bodies.slice(0, 200)) {
        const { status } = await post(`${s.base}/v1/evaluations`, body);
        if (status !== 200) throw new Error(`evaluation answered ${status}`);
      }
      rss.push(rssMb(s.child.pid ?? 0));
      ready.push(s.readyMs);
    } finally {
      await stop(s);
    }
  }
  return { rssMb: median(rss), readyMs: round(median(ready), 0) };
}

async function diffTime(): Promise<{
  measured: boolean;
  seconds?: number;
  cpuSeconds?: number;
  note?: string;
}> {
  if (!fs.existsSync(CLI_JS)) return { measured: false, note: 'no diff command in dist/src/cli' };
  const times: number[] = [];
  const cpu: number[] = [];
  const cpuFile = path.join(os.tmpdir(), `ntcds-bench-cpu-${process.pid}`);
  for (let i = 0; i < (QUICK ? 1 : 3); i++) {
    const t0 = process.hrtime.bigint();
    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--require',
          CPU_REPORT_JS,
          CLI_JS,
          'diff',
          RULES_DIR,
          RULES_DIR,
          '--count',
          '10000',
          '--json',
        ],
        {
          stdio: ['ignore', 'ignore', 'inherit'],
          cwd: ROOT,
          env: { ...process.env, BENCH_CPU_FILE: cpuFile },
        },
      );
      child.on('exit', (c) => {
        resolve(c ?? 1);
      });
    });
    if (code !== 0) return { measured: false, note: `diff exited with ${code}` };
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    cpu.push(Number(fs.readFileSync(cpuFile, 'utf8')) / 1000);
  }
  fs.rmSync(cpuFile, { force: true });
  return { measured: true, seconds: round(median(times), 2), cpuSeconds: round(median(cpu), 2) };
}

// ---------------------------------------------------------------------------------------------

function fmt(t: Timing | undefined): string {
  return t ? `${round(t.p50, 0)} / ${round(t.p99, 0)}` : '—';
}

async function main(): Promise<void> {
  const started = Date.now();
  const shipped = load(RULES_DIR);
  const requests = generatePatients(shipped.catalog, { seed: SEED, count: PATIENTS });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-bench-'));
  const rows: InProcessRow[] = [];
  const loadMs: Record<string, number> = {};
  try {
    rows.push(await inProcess('shipped', shipped, requests, PATIENTS, true));
    const dirs = new Map<number, string>();
    for (const size of SYNTHETIC_SIZES) {
      const dir = writeSyntheticRuleset(
        shipped.catalog,
        RULES_DIR,
        path.join(tmp, `synth-${size}`),
        {
          seed: size,
          count: size,
        },
      );
      dirs.set(size, dir);
      const t0 = Date.now();
      const ruleset = load(dir);
      loadMs[`synthetic-${size}`] = Date.now() - t0;
      const baselineCount =
        size <= 100 ? PATIENTS : size <= 1000 ? (QUICK ? 50 : 200) : QUICK ? 10 : 40;
      rows.push(await inProcess(`synthetic-${size}`, ruleset, requests, baselineCount, false));
    }

    const bodies = requests.slice(0, 200).map((r) => JSON.stringify(r));
    const httpResult = await httpBench({
      amount: HTTP_AMOUNT,
      rounds: HTTP_REPEATS,
      seconds: HTTP_SECONDS,
    });
    log('· cold start');
    const coldStartMs = await coldStart();
    log('· memory with 5,000 rules');
    const mem = await memory(dirs.get(5000) ?? '', bodies);
    log('· diff over 10,000 patients');
    const diff = await diffTime();
    log('· GoRules ZEN race');
    const zen = await zenRace(QUICK);

    const shippedRow = rows[0];
    const row = (name: string): InProcessRow | undefined => rows.find((r) => r.ruleset === name);
    const targets = [
      {
        target: 'shipped ruleset, hits trace: ≥10× baseline',
        measured: shippedRow?.ratioHitsP50,
        ok: (shippedRow?.ratioHitsP50 ?? 0) >= 10,
      },
      {
        target: '1,000 synthetic rules: ≥12× baseline',
        measured: row('synthetic-1000')?.ratioHitsP50,
        ok: (row('synthetic-1000')?.ratioHitsP50 ?? 0) >= 12,
      },
      {
        target: '5,000 synthetic rules: ≥20× baseline',
        measured: row('synthetic-5000')?.ratioHitsP50,
        ok: (row('synthetic-5000')?.ratioHitsP50 ?? 0) >= 20,
      },
      ...httpTargets(httpResult),
      zenTarget(zen.rows),
      {
        target: 'memory ≤200 MB with 5,000 rules',
        measured: mem.rssMb,
        ok: mem.rssMb <= 200,
        note: `RSS after 200 evaluations; ready in ${mem.readyMs} ms`,
      },
      {
        target: 'cold start to /readyz ≤1 s (ms)',
        measured: coldStartMs.wallMs,
        ok: coldStartMs.wallMs <= 1000,
        note: `process CPU until ready: ${coldStartMs.cpuMs} ms`,
      },
      {
        target: 'diff over 10,000 patients ≤10 s',
        measured: diff.measured ? diff.seconds : 'not measured',
        ok: diff.measured ? (diff.seconds ?? Infinity) <= 10 : false,
        note: diff.measured ? `process CPU: ${String(diff.cpuSeconds)} s` : (diff.note ?? ''),
      },
    ];

    const results = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '',
        node: process.version,
        loadAverage: os.loadavg().map((x) => round(x, 2)),
      },
      settings: {
        seed: SEED,
        patients: PATIENTS,
        repeats: REPEATS,
        baselineRepeats: BASELINE_REPEATS,
        httpSeconds: HTTP_SECONDS,
        httpRepeats: HTTP_REPEATS,
        quick: QUICK,
      },
      units: 'µs per evaluation (p50 / p99 / mean), each the median over repeated runs',
      inProcess: rows,
      syntheticLoadMs: loadMs,
      http: httpResult,
      coldStartMs,
      memory5000: mem,
      diff10000: diff,
      zen: zen.rows.map(({ line: _line, ...row }) => row),
      targets,
      benchSeconds: round((Date.now() - started) / 1000, 0),
    };
    fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

    const lines: string[] = [];
    lines.push(
      '| ruleset | rules | fired/eval | optimised p50/p99 µs (hits) | optimised p50/p99 µs (full) | baseline p50/p99 µs (hits) | ratio (hits, p50) | ratio (full, p50) |',
    );
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows)
      lines.push(
        `| ${r.ruleset} | ${r.rules} | ${r.firedPerEvaluation} | ${fmt(r.optimisedHits)} | ${fmt(r.optimisedFull)} | ${fmt(r.baselineHits)} (n=${r.baselinePatients}) | ${r.ratioHitsP50}× | ${r.ratioFullP50 === undefined ? '—' : `${r.ratioFullP50}×`} |`,
      );
    lines.push('');
    lines.push(...httpTables(httpResult));
    lines.push('');
    lines.push(...budgetTable(httpResult));
    lines.push('');
    lines.push(...zen.lines);
    lines.push('');
    lines.push(...targetTable(targets));
    lines.push('');
    lines.push(
      `load average at the end: ${os
        .loadavg()
        .map((x) => round(x, 2))
        .join(' ')}`,
    );
    process.stdout.write(`${lines.join('\n')}\n\nwritten: bench/results.json\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
