/** One input line of an NDJSON stream: its 1-based number and bytes (without the line end). */
export interface RawLine {
  readonly line: number;
  /** Undefined when the line was longer than allowed (its bytes were dropped, not kept). */
  readonly bytes: Buffer | undefined;
}

const LF = 0x0a;
const CR = 0x0d;

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}

/**
 * Splits a byte stream into lines (LF or CRLF), numbering every line from 1 and yielding the
 * non-blank ones. A line longer than `maxLineBytes` is yielded with no bytes, and its bytes are
 * discarded as they arrive, so memory stays bounded by one line whatever the input. Pulls from
 * `source` only when the consumer asks for the next line: a slow consumer slows the reader.
 */
export async function* ndjsonLines(
  source: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
): AsyncGenerator<RawLine> {
  let line = 1;
  let parts: Buffer[] = [];
  let size = 0;
  // An object, not a `let`: set inside closures, which flow analysis does not follow.
  const state = { tooLong: false };
  const finish = (): RawLine | undefined => {
    const whole = parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts);
    parts = [];
    size = 0;
    const out: RawLine | undefined = state.tooLong
      ? { line, bytes: undefined }
      : isBlank(whole)
        ? undefined
        : { line, bytes: whole[whole.length - 1] === CR ? whole.subarray(0, -1) : whole };
    state.tooLong = false;
    line += 1;
    return out;
  };
  const keep = (piece: Buffer): void => {
    if (state.tooLong) return;
    size += piece.length;
    // One byte of slack for the CR of a CRLF line end.
    if (size > maxLineBytes + 1) {
      state.tooLong = true;
      parts = [];
      return;
    }
    parts.push(piece);
  };
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const lf = buf.indexOf(LF, start);
      if (lf === -1) {
        if (start < buf.length) keep(buf.subarray(start));
        break;
      }
      keep(buf.subarray(start, lf));
      const out = finish();
      if (out) yield out;
      start = lf + 1;
    }
  }
  if (size > 0 || state.tooLong) {
    const out = finish();
    if (out) yield out;
  }
}
