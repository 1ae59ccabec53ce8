import { answerLine } from '../../batch/batch';
import type { LineOutcome } from '../../batch/batch';
import { serveRuleset } from '../../engine/answer';
import type { ServedRuleset } from '../../engine/answer';
import { decodeJsonBody } from '../../http/json-body';
import { batchLine } from '../../http/routes/batch';
import { loadRuleset } from '../../engine/ruleset';
import type { Ruleset } from '../../engine/ruleset';
import type { EvaluationResult } from '../../regression/run';
import {
  outcomeChanges,
  responsibleRules,
  ruleChanges,
  signatureOf,
} from '../../regression/outcome-diff';
import type { RuleChange } from '../../regression/outcome-diff';
import { compactOf, emptyTally, tallyOutcome } from './summary';
import type { ChangedPatient, Tally } from './summary';

/** What every worker is started with. */
export interface WorkerInit {
  readonly rulesDir: string;
  readonly againstDir?: string;
  /** asOf for requests that give none (ISO 8601). */
  readonly asOf?: string;
  /** The run's clock (ISO 8601): one instant for every worker, so shards agree. */
  readonly now: string;
  readonly maxJsonDepth: number;
  readonly maxLineBytes: number;
  /**
   * Checked-ruleset snapshots (src/rules/snapshot.ts): the main thread's check writes one, so
   * each worker starts in milliseconds instead of parsing and checking the rules again.
   */
  readonly snapshotDir?: string;
}

/**
 * A run of input lines, as bytes: what the main thread posts to a worker. The bytes travel in one
 * transferred ArrayBuffer (no copy, no string on the main thread); line i is
 * `bytes[ends[i-1] .. ends[i])`, and a line longer than allowed has no bytes and `tooLong[i]` 1
 * (answered BODY-TOO-LARGE).
 */
export interface WorkItem {
  readonly seq: number;
  readonly lineNumbers: Float64Array;
  readonly ends: Uint32Array;
  readonly tooLong: Uint8Array;
  readonly bytes: Uint8Array;
}

/** What a worker posts back; `ndjson` is UTF-8 in a transferred ArrayBuffer. */
export interface WorkResult {
  readonly seq: number;
  /** The output NDJSON for these lines, in order, each line ending in "\n": `length` bytes. */
  readonly ndjson: Uint8Array;
  readonly length: number;
  readonly lines: number;
  readonly after: Tally;
  readonly before?: Tally;
  readonly changed: readonly ChangedPatient[];
}

/** Builds a work item from lines (`undefined`: too long), copying their bytes into one buffer. */
export function workItem(
  seq: number,
  lines: readonly { readonly line: number; readonly bytes: Buffer | undefined }[],
): WorkItem {
  let total = 0;
  for (const l of lines) total += l.bytes?.length ?? 0;
  // Never pooled: its ArrayBuffer is ours alone, so it can be transferred.
  const bytes = Buffer.allocUnsafeSlow(total);
  const lineNumbers = new Float64Array(lines.length);
  const ends = new Uint32Array(lines.length);
  const tooLong = new Uint8Array(lines.length);
  let at = 0;
  lines.forEach((l, i) => {
    lineNumbers[i] = l.line;
    if (l.bytes === undefined) tooLong[i] = 1;
    else at += l.bytes.copy(bytes, at);
    ends[i] = at;
  });
  return { seq, lineNumbers, ends, tooLong, bytes };
}

/** The ArrayBuffers a work item or result can hand over instead of copying. */
export function transferList(value: WorkItem | WorkResult): ArrayBuffer[] {
  const views: ArrayBufferView[] =
    'ends' in value ? [value.bytes, value.lineNumbers, value.ends, value.tooLong] : [value.ndjson];
  return views
    .map((v) => v.buffer)
    .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && b.byteLength > 0);
}

const encoder = new TextEncoder();

/** A growing UTF-8 buffer that is never pooled, so the finished bytes can be transferred. */
class Utf8Out {
  private buf: Buffer;
  length = 0;

  /** `spare`: a buffer the main thread handed back after writing it, reused when big enough. */
  constructor(initial: number, spare?: ArrayBuffer) {
    this.buf =
      spare !== undefined && spare.byteLength >= initial
        ? Buffer.from(spare)
        : Buffer.allocUnsafeSlow(initial);
  }

  line(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8; +1 for the line end.
    const need = this.length + text.length * 3 + 1;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    // encodeInto: about half the cost of buf.write(text, 'utf8') on two-byte strings (src/lib/utf8.ts).
    this.length += encoder.encodeInto(text, this.buf.subarray(this.length)).written;
    this.buf[this.length] = 0x0a;
    this.length += 1;
  }

  bytes(): Buffer {
    return this.buf;
  }
}

/** Output bytes per line to start with (answers run to ~17 kB with hits). */
const OUT_BYTES_PER_LINE = 24 * 1024;

export interface Replayer {
  /** `spare`: an output buffer to reuse (see worker.ts), so a steady run allocates none. */
  run(item: WorkItem, spare?: ArrayBuffer): WorkResult;
}

function load(dir: string, snapshotDir: string | undefined): Ruleset {
  const loaded = loadRuleset(dir, undefined, snapshotDir === undefined ? {} : { snapshotDir });
  if (!loaded.ok) throw new Error(`the ruleset at ${dir} does not load`);
  return loaded.ruleset;
}

function resultOf(outcome: LineOutcome): EvaluationResult {
  if (outcome.kind === 'answer') return { ok: true, response: outcome.response };
  const code = outcome.kind === 'rejected' ? outcome.rejection.code : outcome.kind.toUpperCase();
  return { ok: false, rejected: code };
}

/**
 * Replays lines through `answer()` (via the batch channel's `answerLine`, with the batch route's
 * JSON checks), once per ruleset, and reduces them to output lines, tallies and changed patients.
 * Runs inside a worker thread; a plain function so it can also run in-process.
 */
export function createReplayer(init: WorkerInit): Replayer {
  const after = load(init.rulesDir, init.snapshotDir);
  const before =
    init.againstDir === undefined ? undefined : load(init.againstDir, init.snapshotDir);
  const servedAfter = serveRuleset(after);
  const servedBefore = before ? serveRuleset(before) : undefined;
  const changedRules: readonly RuleChange[] = before ? ruleChanges(before, after) : [];
  const now = new Date(init.now);
  const decode = (bytes: Buffer): unknown => {
    const value = decodeJsonBody(bytes, init.maxJsonDepth);
    if (
      init.asOf !== undefined &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      !('asOf' in value) &&
      !('resourceType' in value)
    )
      return { ...value, asOf: init.asOf };
    return value;
  };
  const optionsFor = (served: ServedRuleset) => ({
    served,
    traceFull: false,
    now: () => now,
    decode,
    evaluationIdOf: (line: number) => `replay-line-${String(line)}`,
    // FHIR lines (a Bundle per patient) are read as of --as-of too, else the run's clock.
    mappedAsOf: init.asOf === undefined ? now : new Date(init.asOf),
  });
  const oAfter = optionsFor(servedAfter);
  const oBefore = servedBefore ? optionsFor(servedBefore) : undefined;

  return {
    run(item, spare) {
      const tAfter = emptyTally();
      const tBefore = oBefore ? emptyTally() : undefined;
      const changed: ChangedPatient[] = [];
      const out = new Utf8Out(Math.max(1024, item.lineNumbers.length * OUT_BYTES_PER_LINE), spare);
      const all = Buffer.from(item.bytes.buffer, item.bytes.byteOffset, item.bytes.byteLength);
      let start = 0;
      for (let i = 0; i < item.lineNumbers.length; i += 1) {
        const line = item.lineNumbers[i] ?? 0;
        const end = item.ends[i] ?? start;
        const bytes = item.tooLong[i] === 1 ? undefined : all.subarray(start, end);
        start = end;
        const answerWith = (o: typeof oAfter): LineOutcome =>
          bytes === undefined
            ? { kind: 'line-too-long', line, maxLineBytes: init.maxLineBytes }
            : answerLine(o, line, bytes);
        const outcome = answerWith(oAfter);
        tallyOutcome(tAfter, outcome);
        out.line(JSON.stringify(batchLine(outcome)));
        if (!oBefore || !tBefore || !before) continue;
        const old = answerWith(oBefore);
        tallyOutcome(tBefore, old);
        const sa = signatureOf(resultOf(old));
        const sb = signatureOf(resultOf(outcome));
        const changes = outcomeChanges(sa, sb);
        if (changes.length === 0) continue;
        changed.push({
          line,
          responsible: responsibleRules(before, after, changedRules, sa, sb, changes),
          changes: changes.map((c) => c.text),
          before: compactOf(sa),
          after: compactOf(sb),
        });
      }
      return {
        seq: item.seq,
        ndjson: out.bytes(),
        length: out.length,
        lines: item.lineNumbers.length,
        after: tAfter,
        ...(tBefore ? { before: tBefore } : {}),
        changed,
      };
    },
  };
}
