/**
 * The deepest nesting of arrays and objects in a JSON text, counted without recursion and without
 * parsing, so a hostile body is refused before JSON.parse sees it. Brackets inside strings do not count.
 */
export function exceedsDepth(text: Buffer, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const byte of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === 0x5c) escaped = true;
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth -= 1;
  }
  return false;
}
