import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RawLine } from '../../batch/lines';
import { ndjsonLines } from '../../batch/lines';
import { bulkPatientOf } from '../../fhir/bulk';

/**
 * A FHIR Bulk Data export folder ($export output: `Patient.ndjson`, `Observation.ndjson`, …, one
 * resource per line, in no particular order) as one Bundle per patient, in the order of the
 * Patient files, without holding the files in memory:
 *
 * 1. partition: every line is parsed once for its patient (a Patient's id, or the `subject` /
 *    `patient` reference of the others) and appended to one of B bucket files on disk chosen by a
 *    hash of that id, so each patient's resources all land in one bucket; B is the folder's size
 *    over `bucketBytes` (at most MAX_BUCKETS), so a bucket holds about `bucketBytes`;
 * 2. group: one bucket at a time is read, its patients' Bundles are built (bytes spliced, not
 *    re-serialised) and written to a run file sorted by patient number;
 * 3. merge: the B sorted run files are merged by patient number, one line at a time each.
 *
 * Resident memory is a few times `bucketBytes` (one bucket, its Bundles, their order: measured
 * about 4.5×, on top of the process's own) plus 32 KiB per bucket, whatever the export's size up
 * to MAX_BUCKETS buckets; disk use is about twice the export. A patient whose Bundle is longer
 * than `maxLineBytes` is yielded without bytes (answered BODY-TOO-LARGE).
 */

export interface BulkOptions {
  /** Where the bucket and run files go (a fresh folder inside is removed afterwards). */
  readonly tmpDir?: string;
  /** About how many bytes of resources one bucket holds (default 8 MiB). */
  readonly bucketBytes?: number;
  readonly maxLineBytes: number;
}

/** What grouping found: counted, and reported by the command. */
export interface BulkStats {
  files: number;
  patients: number;
  /** Resources placed in a patient's Bundle (Patient resources included). */
  resources: number;
  /** Lines that could not be given to any patient, by reason; each is left out. */
  unplaced: Record<string, number>;
  /** The first few unplaced lines, `file:line reason`, for the warning. */
  examples: string[];
  buckets: number;
}

const DEFAULT_BUCKET_BYTES = 8 << 20;
/** At most this many buckets (open files at once); past 8 GiB of export, buckets grow instead. */
const MAX_BUCKETS = 1024;
const WRITE_BUFFER = 16 << 10;
const READ_BUFFER = 16 << 10;
const EXAMPLES = 5;
const TAB = 0x09;
const BUNDLE_HEAD = Buffer.from('{"resourceType":"Bundle","type":"collection","entry":[');
const ENTRY_HEAD = Buffer.from('{"resource":');
const ENTRY_TAIL = Buffer.from('}');
const COMMA = Buffer.from(',');
const BUNDLE_TAIL = Buffer.from(']}');
const NL = Buffer.from('\n');

/** The folder's NDJSON files, Patient files first (their order numbers the patients). */
export function bulkFiles(dir: string): string[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson') && fs.statSync(path.join(dir, f)).isFile())
    .sort();
  const isPatient = (f: string): boolean => /^Patient(?:[._-]\d+)*\.ndjson$/.test(f);
  return [...files.filter(isPatient), ...files.filter((f) => !isPatient(f))].map((f) =>
    path.join(dir, f),
  );
}

export function isBulkFolder(dir: string): boolean {
  return bulkFiles(dir).some((f) => /^Patient(?:[._-]\d+)*\.ndjson$/.test(path.basename(f)));
}

/** Appends to a file through a small buffer, synchronously (grouping runs before evaluation). */
class Appender {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(WRITE_BUFFER);
  private used = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  write(...parts: Buffer[]): void {
    for (const part of parts) {
      if (this.used + part.length > this.buf.length) this.flush();
      if (part.length > this.buf.length) fs.writeSync(this.fd, part);
      else this.used += part.copy(this.buf, this.used);
    }
  }

  flush(): void {
    if (this.used > 0) fs.writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

function bucketOf(id: string, buckets: number): number {
  return createHash('sha1').update(id).digest().readUInt32BE(0) % buckets;
}

/** Splits `a\tb\trest` at its first `n` tabs. */
function fields(line: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < n; i += 1) {
    const tab = line.indexOf(TAB, start);
    if (tab < 0) break;
    out.push(line.subarray(start, tab));
    start = tab + 1;
  }
  out.push(line.subarray(start));
  return out;
}

async function partition(
  files: readonly string[],
  work: string,
  buckets: number,
  maxLineBytes: number,
  stats: BulkStats,
): Promise<string[]> {
  const out = Array.from(
    { length: buckets },
    (_, b) => new Appender(path.join(work, `b${String(b)}`)),
  );
  const unplaced = (file: string, line: number, reason: string): void => {
    stats.unplaced[reason] = (stats.unplaced[reason] ?? 0) + 1;
    if (stats.examples.length < EXAMPLES)
      stats.examples.push(`${path.basename(file)}:${String(line)} ${reason}`);
  };
  try {
    for (const file of files) {
      for await (const raw of ndjsonLines(fs.createReadStream(file), maxLineBytes)) {
        if (raw.bytes === undefined) {
          unplaced(file, raw.line, 'line too long');
          continue;
        }
        let value: unknown;
        try {
          value = JSON.parse(raw.bytes.toString('utf8'));
        } catch {
          unplaced(file, raw.line, 'not JSON');
          continue;
        }
        const owner = bulkPatientOf(value);
        if (!owner) {
          unplaced(file, raw.line, 'names no patient');
          continue;
        }
        const key = Buffer.from(JSON.stringify(owner.id));
        const bucket = out[bucketOf(owner.id, buckets)];
        if (!bucket) continue;
        if (owner.patient) {
          stats.patients += 1;
          bucket.write(
            Buffer.from(`P\t${String(stats.patients)}\t`),
            key,
            Buffer.from('\t'),
            raw.bytes,
            NL,
          );
        } else bucket.write(Buffer.from('R\t0\t'), key, Buffer.from('\t'), raw.bytes, NL);
      }
    }
  } finally {
    for (const b of out) b.close();
  }
  return out.map((b) => b.file);
}

/** One bucket's patients as Bundles, written sorted by patient number: `N\tBUNDLE\n`. */
function group(bucket: string, run: string, maxLineBytes: number, stats: BulkStats): void {
  const byId = new Map<string, { numbers: number[]; patients: Buffer[]; resources: Buffer[] }>();
  const text = fs.readFileSync(bucket);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(0x0a, start);
    if (end < 0) end = text.length;
    const [kind, n, key, raw] = fields(text.subarray(start, end), 3);
    start = end + 1;
    if (!kind || !n || !key || !raw) continue;
    const id = key.toString('utf8');
    const g = byId.get(id) ?? { numbers: [], patients: [], resources: [] };
    byId.set(id, g);
    if (kind[0] === 0x50) {
      g.numbers.push(Number(n.toString('latin1')));
      g.patients.push(raw);
    } else g.resources.push(raw);
  }
  const bundles: { n: number; bytes: Buffer | undefined }[] = [];
  for (const [id, g] of byId) {
    if (g.patients.length === 0) {
      stats.unplaced['patient not in the export'] =
        (stats.unplaced['patient not in the export'] ?? 0) + g.resources.length;
      if (stats.examples.length < EXAMPLES)
        stats.examples.push(
          `${String(g.resources.length)} resources of Patient/${JSON.parse(id) as string}: patient not in the export`,
        );
      continue;
    }
    // Two Patient lines with one id: each gets its own answer, with the same resources.
    g.patients.forEach((patient, i) => {
      const parts: Buffer[] = [BUNDLE_HEAD, ENTRY_HEAD, patient, ENTRY_TAIL];
      for (const r of g.resources) parts.push(COMMA, ENTRY_HEAD, r, ENTRY_TAIL);
      parts.push(BUNDLE_TAIL);
      const size = parts.reduce((s, p) => s + p.length, 0);
      stats.resources += 1 + g.resources.length;
      bundles.push({
        n: g.numbers[i] ?? 0,
        bytes: size > maxLineBytes ? undefined : Buffer.concat(parts, size),
      });
    });
  }
  bundles.sort((x, y) => x.n - y.n);
  const out = new Appender(run);
  try {
    for (const b of bundles)
      out.write(Buffer.from(`${String(b.n)}\t`), b.bytes ?? Buffer.from('-'), NL);
  } finally {
    out.close();
  }
}

/** A sorted run file's lines as (patient number, Bundle bytes or undefined when too long). */
async function* runLines(file: string, maxLineBytes: number): AsyncGenerator<RawLine> {
  const stream = fs.createReadStream(file, { highWaterMark: READ_BUFFER });
  for await (const raw of ndjsonLines(stream, maxLineBytes + 32)) {
    if (!raw.bytes) throw new Error(`${file}:${String(raw.line)}: a grouped line is too long`);
    const [n, bundle] = fields(raw.bytes, 1);
    if (!n || !bundle) continue;
    const line = Number(n.toString('latin1'));
    yield { line, bytes: bundle.length === 1 && bundle[0] === 0x2d ? undefined : bundle };
  }
}

/**
 * The export folder's patients as lines: each a FHIR Bundle of the patient and every resource
 * that names it, numbered by the patient's place in the Patient files (1-based). `stats` is
 * filled in before the first line is yielded.
 */
export async function* bulkPatients(
  dir: string,
  options: BulkOptions,
  stats: BulkStats,
): AsyncGenerator<RawLine> {
  const files = bulkFiles(dir);
  const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  const buckets = Math.min(
    MAX_BUCKETS,
    Math.max(1, Math.ceil(total / (options.bucketBytes ?? DEFAULT_BUCKET_BYTES))),
  );
  stats.files = files.length;
  stats.buckets = buckets;
  const work = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'ntcds-bulk-'));
  try {
    const parts = await partition(files, work, buckets, options.maxLineBytes, stats);
    const runs = parts.map((bucket, b) => {
      const run = path.join(work, `r${String(b)}`);
      group(bucket, run, options.maxLineBytes, stats);
      fs.rmSync(bucket);
      return run;
    });
    // k-way merge by patient number: each run is sorted, numbers are distinct.
    const its = runs.map((r) => runLines(r, options.maxLineBytes));
    const heads = await Promise.all(its.map((it) => it.next()));
    for (;;) {
      let best = -1;
      let bestLine = Number.POSITIVE_INFINITY;
      heads.forEach((h, i) => {
        if (!h.done && h.value.line < bestLine) {
          best = i;
          bestLine = h.value.line;
        }
      });
      const it = its[best];
      const head = heads[best];
      if (best < 0 || !it || !head || head.done) break;
      yield head.value;
      heads[best] = await it.next();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function emptyBulkStats(): BulkStats {
  return { files: 0, patients: 0, resources: 0, unplaced: {}, examples: [], buckets: 0 };
}
