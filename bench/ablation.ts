/**
 * `npm run bench:ablation`: where a request's server CPU goes, by ablation. Copies of the build
 * with one more step of the evaluation fast path replaced (src/http/fast-path.ts, patched in the
 * copy's dist/), each run in turn under the same load as the floor server, README example,
 * default trace: server CPU per request (median of rounds) and the step's share by difference.
 * CPU profiles on a busy 2-core VM misattribute time; differences of measured CPU do not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { post, startNode, stop, treeCpuUs } from './procs';
import type { Started } from './procs';
import { median, round } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');
const QUICK = process.argv.includes('--quick');
const AMOUNT = QUICK ? 1500 : 5000;
const ROUNDS = QUICK ? 2 : 5;

const DECODE_AND_ANSWER =
  'const body = (0, json_body_1.decodeJsonBody)(raw, evaluation.maxJsonDepth);\n            const json = JSON.stringify((0, evaluations_1.answerEvaluation)(evaluation, body, traceFull, l));';
const FIXED = "JSON.parse(raw.toString('utf8'));\n            const json = ABLATION_ANSWER;";
const TRACK = 'metrics.track(req, res);';
const START = '(0, context_1.startRequest)(logger, req, res, undefined, servedHash)';
const QUIET_START =
  '(0, context_1.startRequest)({ info() {}, warn() {}, error() {}, debug() {} }, req, res, undefined, servedHash)';
const END_STRING = 'res.end(json);';
const END_BUFFER = 'res.end(ABLATION_BUFFER);';

interface Variant {
  readonly name: string;
  readonly replace: readonly (readonly [string, string])[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'the service as built', replace: [] },
  {
    name: 'same, writing the precomputed answer (no shape check, validation, facts, rules, assembly, stringify)',
    replace: [[DECODE_AND_ANSWER, FIXED]],
  },
  {
    name: 'same, and no access log',
    replace: [
      [DECODE_AND_ANSWER, FIXED],
      [START, QUIET_START],
    ],
  },
  {
    name: 'same, and no metrics',
    replace: [
      [DECODE_AND_ANSWER, FIXED],
      [START, QUIET_START],
      [TRACK, ''],
    ],
  },
  {
    name: 'same, and the answer written as a Buffer (as the floor does)',
    replace: [
      [DECODE_AND_ANSWER, FIXED],
      [START, QUIET_START],
      [TRACK, ''],
      [END_STRING, END_BUFFER],
    ],
  },
];

/** A copy of the build whose fast path has the variant's replacements (each must match once). */
function buildVariant(dir: string, variant: Variant, answerFile: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  for (const link of ['node_modules', 'rules', 'schemas', 'examples'])
    fs.symlinkSync(path.join(ROOT, link), path.join(dir, link));
  const file = path.join(dir, 'dist', 'src', 'http', 'fast-path.js');
  let text = fs.readFileSync(file, 'utf8');
  for (const [from, to] of variant.replace) {
    if (text.split(from).length !== 2)
      throw new Error(`${variant.name}: no single match for ${from}`);
    text = text.replace(from, to);
  }
  text =
    `const ABLATION_ANSWER = require('fs').readFileSync(${JSON.stringify(answerFile)}, 'utf8');\n` +
    'const ABLATION_BUFFER = Buffer.from(ABLATION_ANSWER);\n' +
    text;
  fs.writeFileSync(file, text);
  return path.join(dir, 'dist', 'src', 'main.js');
}

function cpuPerRequest(target: Started, body: string): Promise<number> {
  const pid = target.child.pid ?? 0;
  const before = treeCpuUs(pid);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${target.base}/v1/evaluations`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: 10,
        amount: AMOUNT,
      },
      (err, result) => {
        if (err) reject(err);
        else if (result.non2xx + result.errors > 0) reject(new Error('non-2xx answers'));
        else resolve((treeCpuUs(pid) - before) / Math.max(1, result['2xx']));
      },
    );
  });
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntcds-ablation-'));
  const readme = fs.readFileSync(path.join(ROOT, 'examples', 'readme-request.json'), 'utf8');
  const started: Started[] = [];
  try {
    const shipped = await startNode(
      path.join(ROOT, 'dist', 'src', 'main.js'),
      { RULES_DIR: path.join(ROOT, 'rules'), LOG_LEVEL: 'info' },
      '/readyz',
    );
    const { text } = await post(`${shipped.base}/v1/evaluations`, readme);
    await stop(shipped);
    const answerFile = path.join(tmp, 'answer.json');
    fs.writeFileSync(answerFile, text);
    fs.writeFileSync(path.join(tmp, 'floor.json'), JSON.stringify({ '/v1/evaluations': text }));
    const targets: Started[] = [];
    for (const [i, v] of VARIANTS.entries()) {
      const main = buildVariant(path.join(tmp, `v${String(i)}`), v, answerFile);
      targets.push(
        await startNode(
          main,
          { RULES_DIR: path.join(ROOT, 'rules'), LOG_LEVEL: 'info' },
          '/readyz',
        ),
      );
    }
    const floor = await startNode(
      path.join(ROOT, 'dist', 'bench', 'floor-server.js'),
      { FLOOR_ANSWERS: path.join(tmp, 'floor.json') },
      '/readyz',
    );
    targets.push(floor);
    started.push(...targets);
    const samples = targets.map(() => [] as number[]);
    for (const t of targets) await cpuPerRequest(t, readme);
    for (let r = 0; r < ROUNDS; r++)
      for (const [i, t] of targets.entries()) samples[i]?.push(await cpuPerRequest(t, readme));
    const us = samples.map((s) => round(median(s), 0));
    const floorUs = us[us.length - 1] ?? Number.NaN;
    const lines = [
      '| variant (README example, default trace) | server CPU µs / request | × floor | step, by difference |',
      '|---|---:|---:|---:|',
    ];
    const names = [...VARIANTS.map((v) => v.name), 'floor server'];
    us.forEach((u, i) => {
      const next = us[i + 1];
      const step = next === undefined ? '' : String(round(u - next, 0));
      lines.push(`| ${names[i] ?? ''} | ${u} | ${round(u / floorUs, 2)}× | ${step} |`);
    });
    process.stdout.write(
      `${lines.join('\n')}\n\nload average: ${os
        .loadavg()
        .map((x) => round(x, 2))
        .join(' ')}\n`,
    );
  } finally {
    for (const s of started) await stop(s);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
