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
