import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ndjsonLines } from '../../batch/lines';
import { defaultSnapshotDir } from '../../config';
import { projectRoot } from '../../lib/paths';
import { writable } from '../../lib/streams';
import type { Ruleset } from '../../engine/ruleset';
import { intFlag, parseArgs, stringFlag } from '../args';
import { loadRules } from '../context';
import { EXIT, issueLine, UsageError } from '../io';
import type { ExitCode, Io } from '../io';
import { createProgress } from '../replay/progress';
import { writeReport } from '../replay/report';
import { MAX_LINE_BYTES, REPLAY_JSON_DEPTH, replay } from '../replay/run';
import type { ReplayInput, Shard } from '../replay/run';
import { bulkFiles, isBulkFolder } from '../replay/bulk';
import { addComparison, addTally, canonical, emptyComparison, emptyTally } from '../replay/summary';
import type { ReplaySummary } from '../replay/summary';
import { summaryText } from '../replay/text';
import type { RulesetMeta, SummaryFile } from '../replay/text';
import { resolveRulesetSource } from '../ruleset-source';
import type { RulesetSource } from '../ruleset-source';

export const REPLAY_HELP = `ntcds replay INPUT... [--rules DIR|GITREF] [--against DIR|GITREF] [--as-of DATE]
             [--out FILE] [--report FILE.html] [--workers N] [--shard-index I --shard-count N] [--examples N]
             [--tmp-dir DIR] [--json] [--quiet]
ntcds replay merge SHARD... [--out FILE] [--report FILE.html] [--json]

Replays a population through the rules: INPUT is NDJSON, one evaluation request (or FHIR R4 Bundle)
per line ("-" for standard input), or a FHIR Bulk Data export folder (Patient.ndjson,
Observation.ndjson, MedicationStatement.ndjson, MedicationRequest.ndjson, Condition.ndjson, …),
answered as one Bundle per patient, numbered in Patient file order. Line numbers run on across inputs. Writes one line per patient, in input order
({"line":N,"answer":…} or {"line":N,"problem":…}, as POST /v1/evaluations/batch does) to --out or
standard output, and a summary: red flags by code, statuses by intervention, data issues by code;
with --against, the patients whose outcome changed, grouped by the rules responsible, safety
changes first (a block that became an offer). With --out, the summary is also written as JSON to
FILE.summary.json.
  --rules DIR|GITREF    the ruleset answering (default rules/)
  --against DIR|GITREF  the ruleset to compare with (the "before")
  --report FILE.html    one self-contained HTML report: charts before/after, changed patients
  --as-of DATE          asOf for requests that give none (YYYY-MM-DD or ISO 8601 date-time)
  --workers N           worker threads (default one per core; 0: the main thread)
  --shard-index I       answer only the lines whose sha256 falls in shard I of --shard-count
  --shard-count N       (defaults: $JOB_COMPLETION_INDEX and $REPLAY_SHARD_COUNT)
  --examples N          changed patients kept with before/after outcomes (default 200)
  --tmp-dir DIR         where a bulk folder is grouped per patient (default: the system's)
  --json                print the summary as JSON
  --quiet               no progress on stderr
merge combines shard outputs (and their .summary.json files) into one output in input order and
one summary.`;

const DEFAULT_EXAMPLES = 200;

function meta(src: RulesetSource, r: Ruleset): RulesetMeta {
  return { source: src.label, id: r.manifest.id, version: r.manifest.version, hash: r.hash };
}

function asOfOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(iso) || Number.isNaN(Date.parse(iso)))
    throw new UsageError('--as-of must be a date (YYYY-MM-DD) or an ISO 8601 date-time');
  return new Date(iso).toISOString();
}

function shardOfArgs(index: string | undefined, count: string | undefined): Shard | undefined {
  const i = index ?? process.env.JOB_COMPLETION_INDEX;
  const n = count ?? process.env.REPLAY_SHARD_COUNT;
  if (i === undefined && n === undefined) return undefined;
  if (i === undefined || n === undefined || !/^\d+$/.test(i) || !/^\d+$/.test(n))
    throw new UsageError(
      'sharding needs a whole --shard-index and --shard-count (or $JOB_COMPLETION_INDEX and $REPLAY_SHARD_COUNT)',
    );
  const shard = { index: Number(i), count: Number(n) };
  if (shard.count < 1 || shard.index >= shard.count)
    throw new UsageError('--shard-index must be below --shard-count');
  return shard;
}

function summaryPath(out: string): string {
  return `${out}.summary.json`;
}

/** Every changed patient (with --against), beside the output: FILE.changed.ndjson. */
function changedPath(out: string): string {
  return `${out}.changed.ndjson`;
}

async function closeOut(stream: NodeJS.WritableStream, isFile: boolean): Promise<void> {
  if (!isFile) return;
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.end(resolve);
  });
}

function printSummary(io: Io, file: SummaryFile, json: boolean, toErr: boolean): void {
  const say = toErr ? io.err.bind(io) : io.out.bind(io);
  if (json) say(JSON.stringify(file, null, 2));
  else for (const l of summaryText(file)) say(l);
}

/** The summary beside the output (FILE.summary.json), the report if asked, the summary printed. */
async function finish(
  io: Io,
  file: SummaryFile,
  outFile: string | undefined,
  report: string | undefined,
  json: boolean,
): Promise<void> {
  if (outFile !== undefined)
    fs.writeFileSync(
      summaryPath(path.resolve(io.cwd, outFile)),
      `${JSON.stringify(file, null, 2)}\n`,
    );
  if (report !== undefined) await writeReport(path.resolve(io.cwd, report), file);
  printSummary(io, file, json, outFile === undefined);
}

export async function replayCommand(argv: readonly string[], io: Io): Promise<ExitCode> {
  if (argv[0] === 'merge') return mergeCommand(argv.slice(1), io);
  const args = parseArgs(
    argv,
    [
      'rules',
      'against',
      'as-of',
      'out',
      'report',
      'workers',
      'shard-index',
      'shard-count',
      'examples',
      'tmp-dir',
    ],
    ['json', 'quiet', 'help'],
    Number.POSITIVE_INFINITY,
  );
  if (args.flags.has('help')) {
    io.out(REPLAY_HELP);
    return EXIT.ok;
  }
  const inputs: ReplayInput[] = args.positionals.map((p) => {
    if (p === '-') return { kind: 'ndjson', file: p };
    const f = path.resolve(io.cwd, p);
    if (fs.existsSync(f) && fs.statSync(f).isDirectory()) {
      if (!isBulkFolder(f))
        throw new UsageError(
          `${f} is a folder without Patient.ndjson: not a FHIR Bulk Data export`,
        );
      return { kind: 'bulk', dir: f };
    }
    if (!(fs.existsSync(f) && fs.statSync(f).isFile()))
      throw new UsageError(`no input file at ${f}`);
    return { kind: 'ndjson', file: f };
  });
  if (inputs.length === 0) throw new UsageError('replay needs at least one input');
  const tmpDir = stringFlag(args, 'tmp-dir');
  const cores = os.availableParallelism();
  const workers = intFlag(args, 'workers', cores, 256);
  const examples = intFlag(args, 'examples', DEFAULT_EXAMPLES, 1000000);
  const asOf = asOfOf(stringFlag(args, 'as-of'));
  const shard = shardOfArgs(stringFlag(args, 'shard-index'), stringFlag(args, 'shard-count'));
  const outFile = stringFlag(args, 'out');
  const json = args.flags.has('json');

  const sources: RulesetSource[] = [];
  try {
    const rulesSpec = stringFlag(args, 'rules');
    const rulesSrc =
      rulesSpec === undefined
        ? { label: 'rules/', dir: path.join(projectRoot(), 'rules'), dispose: () => undefined }
        : resolveRulesetSource(rulesSpec, io.cwd);
    sources.push(rulesSrc);
    const againstSpec = stringFlag(args, 'against');
    const againstSrc =
      againstSpec === undefined ? undefined : resolveRulesetSource(againstSpec, io.cwd);
    if (againstSrc) sources.push(againstSrc);
    // Loaded here only to refuse a broken ruleset before any work and to name it; the workers
    // load their own. Only the names are kept, so the main thread's heap stays small (its
    // garbage collections stay cheap while output bytes stream through it).
    const snapshotDir = defaultSnapshotDir();
    const metas: RulesetMeta[] = [];
    for (const src of sources) {
      const l = loadRules(src.dir, io, { snapshotDir });
      if (!l.ok) {
        for (const i of l.issues) io.err(issueLine(i));
        io.err(`✗ ${src.label}: the ruleset does not load`);
        return EXIT.problems;
      }
      metas.push(meta(src, l.ruleset));
    }
    const [rulesMeta, againstMeta] = metas as [RulesetMeta, RulesetMeta | undefined];

    const out =
      outFile === undefined ? process.stdout : fs.createWriteStream(path.resolve(io.cwd, outFile));
    // A bulk folder's Bundles are about as long as its files: near enough for an ETA.
    const sizeOf = (i: ReplayInput): number =>
      i.kind === 'ndjson'
        ? fs.statSync(i.file).size
        : bulkFiles(i.dir).reduce((n, f) => n + fs.statSync(f).size, 0);
    const totalBytes = inputs.some((i) => i.kind === 'ndjson' && i.file === '-')
      ? undefined
      : inputs.reduce((n, i) => n + sizeOf(i), 0);
    const changedOut =
      outFile !== undefined && againstSrc
        ? fs.createWriteStream(changedPath(path.resolve(io.cwd, outFile)))
        : undefined;
    const quiet = args.flags.has('quiet');
    const progress = createProgress(process.stderr, totalBytes, quiet);
    const started = performance.now();
    const run = await replay({
      inputs,
      init: {
        rulesDir: rulesSrc.dir,
        ...(againstSrc ? { againstDir: againstSrc.dir } : {}),
        ...(asOf === undefined ? {} : { asOf }),
        now: new Date().toISOString(),
        maxJsonDepth: REPLAY_JSON_DEPTH,
        maxLineBytes: MAX_LINE_BYTES,
        snapshotDir,
      },
      workers,
      ...(shard ? { shard } : {}),
      ...(tmpDir === undefined ? {} : { tmpDir: path.resolve(io.cwd, tmpDir) }),
      onGrouped: (dir, stats) => {
        if (!quiet)
          io.err(
            `replay: ${path.relative(io.cwd, dir) || '.'}: ${String(stats.patients)} patients, ${String(stats.resources)} resources from ${String(stats.files)} files (${String(stats.buckets)} ${stats.buckets === 1 ? 'bucket' : 'buckets'} on disk)`,
          );
        const left = Object.entries(stats.unplaced);
        if (left.length > 0)
          io.err(
            `ntcds: warning: ${path.relative(io.cwd, dir) || '.'}: resources left out, belonging to no patient of the export: ${left.map(([why, n]) => `${String(n)} ${why}`).join(', ')} (e.g. ${stats.examples.join('; ')})`,
          );
      },
      out,
      examplesCap: examples,
      ...(changedOut ? { changedOut } : {}),
      onProgress: (lines, bytes) => {
        progress.update(lines, bytes);
      },
    });
    await closeOut(out, outFile !== undefined);
    if (changedOut) await closeOut(changedOut, true);
    progress.done(run.lines, (performance.now() - started) / 1000);
    const file: SummaryFile = {
      rules: rulesMeta,
      ...(againstMeta ? { against: againstMeta } : {}),
      ...(shard ? { shard } : {}),
      lines: run.lines,
      summary: canonical(run.summary),
    };
    await finish(io, file, outFile, stringFlag(args, 'report'), json);
    return EXIT.ok;
  } finally {
    for (const s of sources) s.dispose();
  }
}

const LINE_PREFIX = /^\{"line":(\d+),/;

/** A shard's output lines with their numbers, one at a time. */
async function* numbered(file: string): AsyncGenerator<{ line: number; text: Buffer }> {
  for await (const raw of ndjsonLines(fs.createReadStream(file), MAX_LINE_BYTES * 8)) {
    if (raw.bytes === undefined) throw new UsageError(`${file}:${String(raw.line)}: line too long`);
    const m = LINE_PREFIX.exec(raw.bytes.subarray(0, 32).toString('latin1'));
    if (!m?.[1]) throw new UsageError(`${file}:${String(raw.line)}: not a replay output line`);
    yield { line: Number(m[1]), text: raw.bytes };
  }
}

async function mergeCommand(argv: readonly string[], io: Io): Promise<ExitCode> {
  const args = parseArgs(
    argv,
    ['out', 'report', 'examples'],
    ['json', 'help', 'quiet'],
    Number.POSITIVE_INFINITY,
  );
  if (args.flags.has('help')) {
    io.out(REPLAY_HELP);
    return EXIT.ok;
  }
  const shards = args.positionals.map((p) => path.resolve(io.cwd, p));
  if (shards.length === 0) throw new UsageError('replay merge needs the shard outputs');
  const examples = intFlag(args, 'examples', DEFAULT_EXAMPLES, 1000000);
  const files: SummaryFile[] = shards.map((s) => {
    const p = summaryPath(s);
    if (!fs.existsSync(s) || !fs.existsSync(p))
      throw new UsageError(`${s} and ${p} must both exist (written by replay --out)`);
    return JSON.parse(fs.readFileSync(p, 'utf8')) as SummaryFile;
  });
  const first = files[0];
  if (!first) throw new UsageError('replay merge needs the shard outputs');
  for (const f of files) {
    if (f.rules.hash !== first.rules.hash || f.against?.hash !== first.against?.hash)
      throw new UsageError('the shards were replayed with different rulesets');
  }
  const count = first.shard?.count;
  const seen = new Set(files.map((f) => f.shard?.index));
  if (count === undefined || seen.size !== files.length || seen.size !== count)
    io.err(
      `ntcds: warning: ${String(files.length)} outputs given; expected every shard 0..${String((count ?? 1) - 1)} once`,
    );

  const summary: ReplaySummary = { after: emptyTally() };
  for (const f of files) {
    addTally(summary.after, f.summary.after);
    if (f.summary.before) addTally((summary.before ??= emptyTally()), f.summary.before);
    if (f.summary.comparison)
      addComparison((summary.comparison ??= emptyComparison()), f.summary.comparison, examples);
  }

  const outFile = stringFlag(args, 'out');
  const out =
    outFile === undefined ? process.stdout : fs.createWriteStream(path.resolve(io.cwd, outFile));
  const lines = await mergeByLine(shards, out);
  await closeOut(out, outFile !== undefined);
  const changed = shards.map(changedPath);
  if (outFile !== undefined && first.against && changed.every((c) => fs.existsSync(c))) {
    const target = fs.createWriteStream(changedPath(path.resolve(io.cwd, outFile)));
    await mergeByLine(changed, target);
    await closeOut(target, true);
  }
  const merged: SummaryFile = {
    rules: first.rules,
    ...(first.against ? { against: first.against } : {}),
    lines,
    summary: canonical(summary),
  };
  await finish(io, merged, outFile, stringFlag(args, 'report'), args.flags.has('json'));
  return EXIT.ok;
}

/** k-way merge of files already in line order (`{"line":N,…` lines) into one; the line count. */
async function mergeByLine(files: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const its = files.map((s) => numbered(s));
  const heads = await Promise.all(its.map((it) => it.next()));
  let lines = 0;
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i += 1) {
      const h = heads[i];
      if (!h || h.done) continue;
      const b = best >= 0 ? heads[best] : undefined;
      if (b === undefined || b.done || h.value.line < b.value.line) best = i;
    }
    if (best < 0) break;
    const head = heads[best];
    const it = its[best];
    if (!head || head.done || !it) break;
    lines += 1;
    if (!out.write(Buffer.concat([head.value.text, Buffer.from('\n')]))) await writable(out);
    heads[best] = await it.next();
  }
  return lines;
}
