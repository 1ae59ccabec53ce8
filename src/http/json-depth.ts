export type JsonShapeProblem = 'too-deep' | 'duplicate-key';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Checks a JSON text before JSON.parse sees it, without recursion: nesting deeper than
 * `maxDepth`, or an object that repeats a key (JSON.parse would silently keep the last one, and
 * a clinical request must not be ambiguous). Brackets inside strings do not count; keys are
 * compared after unescaping, so "a" and "\u0061" are the same key. A text that is not valid JSON
 * is left for JSON.parse to reject.
 *
 * Strings are skipped with Buffer#indexOf (native) rather than byte by byte: most of a request's
 * bytes are inside strings, and this check runs on every evaluation request.
 */
export function checkJsonShape(text: Buffer, maxDepth: number): JsonShapeProblem | undefined {
  // One entry per open bracket: the keys seen so far for an object, undefined for an array.
  const keys: (Set<string> | undefined)[] = [];
  // Whether the innermost object expects a key next; each enclosing one's is saved on `outer`.
  let expectKey = false;
  const outer: boolean[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const byte = text[i];
    if (byte === QUOTE) {
      const end = closingQuote(text, i);
      const top = keys.length > 0 ? keys[keys.length - 1] : undefined;
      if (top !== undefined && expectKey) {
        const key = keyOf(text, i, end);
        if (key !== undefined) {
          if (top.has(key)) return 'duplicate-key';
          top.add(key);
        }
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (byte === 0x7b || byte === 0x5b) {
      if (keys.length >= maxDepth) return 'too-deep';
      const object = byte === 0x7b;
      keys.push(object ? new Set() : undefined);
      outer.push(expectKey);
      expectKey = object;
    } else if (byte === 0x7d || byte === 0x5d) {
      keys.pop();
      expectKey = outer.pop() ?? false;
    } else if (byte === 0x2c) {
      expectKey = keys.length > 0 && keys[keys.length - 1] !== undefined;
    }
    i += 1;
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `open` (or text.length if none). */
function closingQuote(text: Buffer, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf(QUOTE, q + 1);
    if (q === -1) return text.length;
    // Escaped when an odd number of backslashes stands right before it.
    let backslashes = 0;
    while (text[q - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return q;
  }
}

/** A key as JSON.parse would read it; plain ASCII keys without escapes are read directly. */
function keyOf(text: Buffer, open: number, close: number): string | undefined {
  if (close >= text.length) return undefined;
  let plain = true;
  for (let j = open + 1; j < close; j++) {
    const b = text[j] ?? 0;
    if (b === BACKSLASH || b >= 0x80 || b < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain) return text.toString('latin1', open + 1, close);
  try {
    const key: unknown = JSON.parse(text.toString('utf8', open, close + 1));
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Keys an object holds before its duplicate check switches from a scan to a Set. */
const SCAN_KEYS = 16;

/**
 * `checkJsonShape` on the decoded text, for the evaluation fast path, which decodes the body
 * anyway: the same answer for the same JSON (test/unit/json-shape.test.ts checks both on
 * generated texts), about twice as fast — charCodeAt and String#indexOf beat Buffer indexing and
 * Buffer#indexOf calls, and an object's keys are compared by a short scan (a Set past
 * `SCAN_KEYS` keys, so a wide object stays linear) instead of a Set per object.
 */
export function checkJsonTextShape(text: string, maxDepth: number): JsonShapeProblem | undefined {
  // The keys of every open object on one stack; `starts[d]` is where depth d's keys begin, or
  // -1 for an array; `sets[d]` a Set of them once the object is wide.
  const keys: string[] = [];
  const starts: number[] = [];
  const sets: (Set<string> | undefined)[] = [];
  let expectKey = false;
  const outer: boolean[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingTextQuote(text, i);
      if (expectKey) {
        const key = textKeyOf(text, i, end);
        if (key !== undefined) {
          const d = starts.length - 1;
          const from = starts[d] ?? 0;
          const set = sets[d];
          if (set !== undefined) {
            if (set.has(key)) return 'duplicate-key';
            set.add(key);
          } else {
            for (let k = from; k < keys.length; k++) if (keys[k] === key) return 'duplicate-key';
            keys.push(key);
            if (keys.length - from > SCAN_KEYS) sets[d] = new Set(keys.slice(from));
          }
        }
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (starts.length >= maxDepth) return 'too-deep';
      const object = c === 0x7b;
      starts.push(object ? keys.length : -1);
      sets.push(undefined);
      outer.push(expectKey);
      expectKey = object;
    } else if (c === 0x7d || c === 0x5d) {
      const start = starts.pop();
      sets.pop();
      if (start !== undefined && start >= 0) keys.length = start;
      expectKey = outer.pop() ?? false;
    } else if (c === 0x2c) {
      expectKey = starts.length > 0 && (starts[starts.length - 1] ?? -1) >= 0;
    }
    i += 1;
  }
  return undefined;
}

/** `closingQuote` on text. */
function closingTextQuote(text: string, open: number): number {
  let q = open;
  for (;;) {
    q = text.indexOf('"', q + 1);
    if (q === -1) return text.length;
    if (text.charCodeAt(q - 1) !== BACKSLASH) return q;
    let backslashes = 1;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return q;
  }
}

/** `keyOf` on text: a key without escapes or control characters is read directly. */
function textKeyOf(text: string, open: number, close: number): string | undefined {
  if (close >= text.length) return undefined;
  let plain = true;
  for (let j = open + 1; j < close; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH || c < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain) return text.slice(open + 1, close);
  try {
    const parsed: unknown = JSON.parse(text.slice(open, close + 1));
    return typeof parsed === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
