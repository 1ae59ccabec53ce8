import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ndjsonLines } from '../../batch/lines';
import type { RawLine } from '../../batch/lines';
import { writable } from '../../lib/streams';
import { addTally, compareInto, emptyComparison, emptyTally } from './summary';
import type { ReplaySummary } from './summary';
import { bulkPatients, emptyBulkStats } from './bulk';
import type { BulkStats } from './bulk';
import { createReplayer, transferList, workItem } from './work';
import type { WorkerInit, WorkItem, WorkResult } from './work';

export interface Shard {
  /** 0-based, below count. */
  readonly index: number;
  readonly count: number;
}

/** An NDJSON file ("-": standard input) or a FHIR Bulk Data export folder (a Bundle per patient). */
export type ReplayInput =
  | { readonly kind: 'ndjson'; readonly file: string }
  | { readonly kind: 'bulk'; readonly dir: string };

export interface ReplayOptions {
  /** Read in order; line numbers run on across inputs (a folder's lines are its patients). */
  readonly inputs: readonly ReplayInput[];
  /** Where a bulk folder is grouped per patient (default: the system's temporary folder). */
  readonly tmpDir?: string;
  /** Called once a bulk folder is grouped, before its first patient is answered. */
  readonly onGrouped?: (dir: string, stats: BulkStats) => void;
  readonly init: WorkerInit;
  /** Worker threads; 0 evaluates on the main thread. */
  readonly workers: number;
  readonly shard?: Shard;
  readonly out: NodeJS.WritableStream;
  /** Changed patients kept with their before/after outcome (the rest are only counted). */
  readonly examplesCap: number;
  /**
   * With `--against`: every changed patient, one JSON line each in input order, written here as
   * it is found (the summary keeps only counts and the first `examplesCap`).
   */
  readonly changedOut?: NodeJS.WritableStream;
  /** After each written batch: lines written so far and input bytes read. */
  readonly onProgress?: (lines: number, bytesRead: number) => void;
}

export interface ReplayRun {
  readonly summary: ReplaySummary;
  /** Lines this process answered (its shard's, when sharded). */
  readonly lines: number;
  /** Lines read from the inputs, in every shard. */
  readonly linesRead: number;
  /** Per bulk folder read: what grouping found. */
  readonly bulk: readonly BulkStats[];
}

/**
 * Lines per work item and bytes at most: big enough to amortise messaging, small for order and
 * memory. 32 lines (~0.75 MB of answers) against 128 (whose output buffers grew to 6 MB): peak RSS
 * over 300,000 streamed patients 368 against 391 MB, and 35 against 41 s (2 workers).
 */
const ITEM_LINES = 32;
const ITEM_BYTES = 1 << 20;
/** Items dispatched and not yet written, per worker: bounds memory whatever the input size. */
const WINDOW_PER_WORKER = 4;
/** A line may be this long at most (a longer one is answered BODY-TOO-LARGE). */
export const MAX_LINE_BYTES = 4 << 20;
const JSON_DEPTH = 32;

/** Which shard a line belongs to: a stable hash of its bytes, so every pod agrees. */
export function shardOf(bytes: Buffer, count: number): number {
  return createHash('sha256').update(bytes).digest().readUInt32BE(0) % count;
}

export const REPLAY_JSON_DEPTH = JSON_DEPTH;

/**
 * Each worker's heap, MB. V8's default lets a worker's heap grow to ~60–95 MB for a live set of
 * ~15 MB (measured after a forced collection) before it collects. An 8 MB young generation kept
 * peak RSS over 1,000,000 streamed patients at 293–304 MB against 390+, at the same speed; an old
 * generation of at most 256 MB brings it to 246–282 MB (3 runs), because V8 grows a smaller heap
 * more cautiously, for ~3% in time (90,000 patients, 2 workers, median of 10 alternated rounds'
 * ratios 1.03; the rounds' spread on this VM is ±20%). 256 MB is far above the largest line's
 * parse (a 4 MiB line of a million empty objects: a test replays it); 96 MB gave 263 MB but cost
 * 25% in time. A worker out of memory ends the run with an internal error.
 */
const WORKER_YOUNG_GENERATION_MB = 8;
const WORKER_OLD_GENERATION_MB = 256;

/** A fixed pool of replay worker threads, each given the next item when it is least busy. */
class Pool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (r: WorkResult) => void; reject: (e: Error) => void; slot: number }
  >();
  private failure: Error | undefined;
  private closed = false;
  /** Which worker filled each result, to hand its buffer back. */
  private readonly slots = new WeakMap<WorkResult, number>();

  constructor(size: number, init: WorkerInit, file: string) {
    for (let i = 0; i < size; i += 1) {
      const worker = new Worker(file, {
        workerData: init,
        resourceLimits: {
          maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
          maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB,
        },
      });
      const slot = i;
      worker.on('message', (r: WorkResult) => {
        const p = this.pending.get(r.seq);
        if (!p) return;
        this.pending.delete(r.seq);
        const w = this.workers[slot];
        if (w) w.busy -= 1;
        this.slots.set(r, slot);
        p.resolve(r);
      });
      worker.on('error', (e: Error) => {
        this.fail(e);
      });
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`a replay worker exited with code ${String(code)}`));
      });
      this.workers.push({ worker, busy: 0 });
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Hands a written output buffer back to the worker that filled it, for reuse. */
  recycle(result: WorkResult): void {
    const slot = this.slots.get(result);
    const buffer = result.ndjson.buffer;
    if (slot === undefined || this.closed || !(buffer instanceof ArrayBuffer)) return;
    if (buffer.byteLength === 0) return;
    this.workers[slot]?.worker.postMessage({ spare: buffer }, [buffer]);
  }

  run(item: WorkItem): Promise<WorkResult> {
    if (this.failure) return Promise.reject(this.failure);
    let best = 0;
    for (let i = 1; i < this.workers.length; i += 1)
      if ((this.workers[i]?.busy ?? 0) < (this.workers[best]?.busy ?? 0)) best = i;
    const w = this.workers[best];
    if (!w) return Promise.reject(new Error('no replay worker'));
    w.busy += 1;
    return new Promise((resolve, reject) => {
      this.pending.set(item.seq, { resolve, reject, slot: best });
      w.worker.postMessage(item, transferList(item));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** Each input's chunks in turn; `read` counts the bytes. */
async function* inputChunks(file: string, read: { bytes: number }): AsyncGenerator<Buffer> {
  const stream = file === '-' ? process.stdin : fs.createReadStream(file);
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    read.bytes += buf.length;
    yield buf;
  }
}

/** An input's lines: an NDJSON file's, or a bulk folder's patients as Bundles. */
function inputLines(
  input: ReplayInput,
  options: ReplayOptions,
  read: { bytes: number },
  bulk: BulkStats[],
): AsyncGenerator<RawLine> {
  if (input.kind === 'ndjson') return ndjsonLines(inputChunks(input.file, read), MAX_LINE_BYTES);
  const stats = emptyBulkStats();
  bulk.push(stats);
  return (async function* grouped() {
    let announced = false;
    for await (const raw of bulkPatients(
      input.dir,
      { maxLineBytes: MAX_LINE_BYTES, ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}) },
      stats,
    )) {
      if (!announced) {
        announced = true;
        options.onGrouped?.(input.dir, stats);
      }
      read.bytes += raw.bytes?.length ?? 0;
      yield raw;
    }
    if (!announced) options.onGrouped?.(input.dir, stats);
  })();
}

/** The worker script beside this file once compiled; absent when run from TypeScript sources. */
export function workerFile(): string | undefined {
  const file = path.join(__dirname, 'worker.js');
  return fs.existsSync(file) ? file : undefined;
}

/**
 * Replays NDJSON inputs on a pool of worker threads. The main thread reads lines, keeps its
 * shard's, packs them into items and hands each to the least busy worker; results are written
 * strictly in input order, each only after the output has taken the one before (backpressure),
 * and no more than WINDOW_PER_WORKER items per worker are ever dispatched and unwritten, so
 * memory stays flat however many patients stream through.
 */
export async function replay(options: ReplayOptions): Promise<ReplayRun> {
  const file = workerFile();
  const inProcess = options.workers === 0 || file === undefined;
  const pool = inProcess ? undefined : new Pool(options.workers, options.init, file);
  const local = inProcess ? createReplayer(options.init) : undefined;
  const runItem = (item: WorkItem): Promise<WorkResult> => {
    if (pool) return pool.run(item);
    if (!local) throw new Error('no replayer');
    return Promise.resolve(local.run(item));
  };

  const after = emptyTally();
  const before = options.init.againstDir === undefined ? undefined : emptyTally();
  const comparison = before ? emptyComparison() : undefined;
  const window = Math.max(1, options.workers) * WINDOW_PER_WORKER;
  const waiting = new Map<number, Promise<WorkResult>>();
  const read = { bytes: 0 };
  const bulk: BulkStats[] = [];
  let nextWrite = 0;
  let seq = 0;
  let written = 0;
  let linesRead = 0;

  const writeNext = async (): Promise<void> => {
    const pending = waiting.get(nextWrite);
    if (!pending) throw new Error('replay lost an item');
    const r = await pending;
    waiting.delete(nextWrite);
    nextWrite += 1;
    addTally(after, r.after);
    if (before && r.before) addTally(before, r.before);
    if (comparison) for (const c of r.changed) compareInto(comparison, c, options.examplesCap);
    const changedOut = options.changedOut;
    if (changedOut && r.changed.length > 0) {
      const text = r.changed.map((c) => `${JSON.stringify(c)}\n`).join('');
      if (!changedOut.write(text)) await writable(changedOut);
    }
    written += r.lines;
    const bytes = Buffer.from(r.ndjson.buffer, r.ndjson.byteOffset, r.length);
    // Once written, the buffer goes back to its worker (never while the stream still holds it).
    const took = options.out.write(bytes, () => {
      pool?.recycle(r);
    });
    if (!took) await writable(options.out);
    options.onProgress?.(written, read.bytes);
  };
  const dispatch = async (item: WorkItem): Promise<void> => {
    while (waiting.size >= window) await writeNext();
    const p = runItem(item);
    // Awaited in order by writeNext; a failure meanwhile must not go unhandled.
    p.catch(() => undefined);
    waiting.set(item.seq, p);
  };

  try {
    let lines: { line: number; bytes: Buffer | undefined }[] = [];
    let bytes = 0;
    let offset = 0;
    for (const input of options.inputs) {
      let last = 0;
      for await (const raw of inputLines(input, options, read, bulk)) {
        last = raw.line;
        linesRead += 1;
        const line = offset + raw.line;
        if (raw.bytes === undefined) {
          // Too long to keep: sharded by its number, answered BODY-TOO-LARGE by the worker.
          if (options.shard && line % options.shard.count !== options.shard.index) continue;
        } else if (options.shard && shardOf(raw.bytes, options.shard.count) !== options.shard.index)
          continue;
        lines.push({ line, bytes: raw.bytes });
        bytes += raw.bytes?.length ?? 0;
        if (lines.length >= ITEM_LINES || bytes >= ITEM_BYTES) {
          await dispatch(workItem(seq++, lines));
          lines = [];
          bytes = 0;
        }
      }
      offset += last;
    }
    if (lines.length > 0) await dispatch(workItem(seq++, lines));
    while (waiting.size > 0) await writeNext();
  } finally {
    await pool?.close();
  }
  return {
    summary: { after, ...(before ? { before } : {}), ...(comparison ? { comparison } : {}) },
    lines: written,
    linesRead,
    bulk,
  };
}
