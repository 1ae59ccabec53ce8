export type JsonShapeProblem = 'too-deep' | 'duplicate-key';

interface Frame {
  readonly keys: Set<string> | undefined;
  expectKey: boolean;
}

/**
 * Checks a JSON text before JSON.parse sees it, without recursion: nesting deeper than
 * `maxDepth`, or an object that repeats a key (JSON.parse would silently keep the last one, and
 * a clinical request must not be ambiguous). Brackets inside strings do not count; keys are
 * compared after unescaping, so "a" and "\u0061" are the same key. A text that is not valid JSON
 * is left for JSON.parse to reject.
 */
export function checkJsonShape(text: Buffer, maxDepth: number): JsonShapeProblem | undefined {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const byte = text[i];
    if (byte === 0x22) {
      const start = i;
      i += 1;
      while (i < text.length && text[i] !== 0x22) i += text[i] === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined && top.expectKey) {
        const key = decodeKey(text.subarray(start, i + 1));
        if (key !== undefined) {
          if (top.keys.has(key)) return 'duplicate-key';
          top.keys.add(key);
        }
        top.expectKey = false;
      }
    } else if (byte === 0x7b || byte === 0x5b) {
      if (stack.length >= maxDepth) return 'too-deep';
      stack.push({ keys: byte === 0x7b ? new Set() : undefined, expectKey: byte === 0x7b });
    } else if (byte === 0x7d || byte === 0x5d) {
      stack.pop();
    } else if (byte === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined) top.expectKey = true;
    }
    i += 1;
  }
  return undefined;
}

function decodeKey(quoted: Buffer): string | undefined {
  try {
    const key: unknown = JSON.parse(quoted.toString('utf8'));
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
