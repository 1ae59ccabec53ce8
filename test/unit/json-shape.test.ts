import fc from 'fast-check';
import { checkJsonShape, checkJsonTextShape } from '../../src/http/json-depth';

const shape = (text: string, maxDepth = 32): string | undefined =>
  checkJsonShape(Buffer.from(text, 'utf8'), maxDepth);

describe('checkJsonShape (raw JSON bytes, before parsing)', () => {
  it.each([
    ['a flat object', '{"a":1,"b":2}'],
    ['the same key in sibling objects', '[{"a":1},{"a":2}]'],
    ['the same key at different depths', '{"a":{"a":{"a":1}}}'],
    ['a key repeated only as a string value', '{"a":"a","b":["a","a"]}'],
    ['brackets and quotes inside strings', '{"a":"}{\\"a\\":1,","b":"[[[["}'],
    ['a key after a nested value', '{"a":{"x":1},"b":[1,{"a":2}],"c":3}'],
  ])('when the text has %s, then there is no problem', (_name, text) => {
    expect(shape(text)).toBeUndefined();
    expect(() => JSON.parse(text) as unknown).not.toThrow();
  });

  it.each([
    ['a top-level key twice', '{"a":1,"a":2}'],
    ['a nested key twice', '{"patient":{"age":40,"sex":"male","age":12}}'],
    ['a key twice after a nested value', '{"a":{"x":[1,2]},"b":1,"a":3}'],
    ['the same key spelled with an escape', '{"age":40,"\\u0061ge":12}'],
    ['a non-ASCII key twice', '{"µ":1,"µ":2}'],
  ])('when the text has %s, then it is a duplicate-key problem', (_name, text) => {
    expect(shape(text)).toBe('duplicate-key');
  });

  it('when nesting reaches the limit, then it passes, and one level more is too deep', () => {
    expect(shape('['.repeat(32) + ']'.repeat(32))).toBeUndefined();
    expect(shape('['.repeat(33) + ']'.repeat(33))).toBe('too-deep');
    expect(shape('['.repeat(40000))).toBe('too-deep');
  });

  it('when the text is not JSON at all, then it is left for JSON.parse to reject', () => {
    expect(shape('{"a":1,')).toBeUndefined();
    expect(shape('"unterminated')).toBeUndefined();
  });
});

/** The straightforward byte-by-byte scan the indexOf version replaced, kept as its reference. */
function referenceShape(text: Buffer, maxDepth: number): string | undefined {
  const stack: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    const byte = text[i];
    if (byte === 0x22) {
      const start = i;
      i += 1;
      while (i < text.length && text[i] !== 0x22) i += text[i] === 0x5c ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined && top.expectKey) {
        let key: unknown;
        try {
          key = JSON.parse(text.subarray(start, i + 1).toString('utf8'));
        } catch {
          key = undefined;
        }
        if (typeof key === 'string') {
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

describe('checkJsonShape agrees with the byte-by-byte reference scan', () => {
  // Keys drawn from a small alphabet (so duplicates are common), some spelled with escapes,
  // some non-ASCII; whole documents then serialised and, half the time, cut or spliced.
  const key = fc.constantFrom('a', 'b', 'µ', 'a\\"', '\\u0061', '\\\\', 'é', '\\n');
  const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('1', 'true', 'null', '"x"', '"\\\\"', '"}]{["', '"\\""'),
      fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
      fc
        .array(fc.tuple(key, tie('v')), { maxLength: 4 })
        .map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(',')}}`),
    ),
  })).v;
  const mangled = fc.tuple(value, fc.nat(), fc.nat(), fc.boolean()).map(([text, a, b, cut]) => {
    if (!cut || text.length === 0) return text;
    const x = a % text.length;
    const y = b % text.length;
    return text.slice(0, Math.min(x, y)) + text.slice(Math.max(x, y));
  });

  it('on generated and mangled JSON texts, at several depth limits', () => {
    fc.assert(
      fc.property(mangled, fc.integer({ min: 1, max: 6 }), (text, depth) => {
        const buf = Buffer.from(text, 'utf8');
        expect(checkJsonShape(buf, depth)).toBe(referenceShape(buf, depth));
      }),
      { numRuns: 3000, seed: 20261128 },
    );
  });

  it('on invalid UTF-8 in keys and on brackets where a key belongs', () => {
    const bytes = (...parts: (string | number[])[]): Buffer =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    const cases = [
      bytes('{"', [0xff], '":1,"', [0xfe], '":2}'),
      bytes('{"', [0xc3], '":1,"', [0xc3], '":2}'),
      bytes('{"a', [0x80], '":1}'),
      bytes('{{},"a":1,"a":2}'),
      bytes('{[],"a":1,"b":[{"x":1,,"x":2}],"a":2}'),
    ];
    for (const buf of cases) expect(checkJsonShape(buf, 32)).toBe(referenceShape(buf, 32));
    expect(checkJsonShape(cases[0] ?? Buffer.alloc(0), 32)).toBe('duplicate-key');
  });
});

describe('checkJsonTextShape (the fast path, on decoded text) agrees with checkJsonShape on the bytes', () => {
  // As above, plus raw control characters in keys (not JSON: neither counts the key) and wide
  // objects (past the 16 keys where the text scan switches to a Set).
  const key = fc.constantFrom(
    'a',
    'b',
    'µ',
    'a\\"',
    '\\u0061',
    '\\\\',
    'é',
    '\\n',
    '\u0001',
    'c\u001f',
  );
  const wide = fc
    .tuple(fc.integer({ min: 14, max: 40 }), fc.option(fc.nat(), { nil: undefined }))
    .map(([n, dup]) => {
      const keys = Array.from({ length: n }, (_, i) => `k${String(i)}`);
      if (dup !== undefined) keys.push(`k${String(dup % n)}`);
      return `{${keys.map((k) => `"${k}":1`).join(',')}}`;
    });
  const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('1', 'true', 'null', '"x"', '"\\\\"', '"}]{["', '"\\""'),
      wide,
      fc.array(tie('v'), { maxLength: 4 }).map((xs) => `[${xs.join(',')}]`),
      fc
        .array(fc.tuple(key, tie('v')), { maxLength: 4 })
        .map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(',')}}`),
    ),
  })).v;
  const mangled = fc.tuple(value, fc.nat(), fc.nat(), fc.boolean()).map(([text, a, b, cut]) => {
    if (!cut || text.length === 0) return text;
    const x = a % text.length;
    const y = b % text.length;
    return text.slice(0, Math.min(x, y)) + text.slice(Math.max(x, y));
  });

  it('on generated and mangled JSON texts, at several depth limits', () => {
    let problems = 0;
    fc.assert(
      fc.property(mangled, fc.integer({ min: 1, max: 6 }), (text, depth) => {
        const bytes = checkJsonShape(Buffer.from(text, 'utf8'), depth);
        if (bytes !== undefined) problems += 1;
        expect(checkJsonTextShape(text, depth)).toBe(bytes);
      }),
      { numRuns: 4000, seed: 20261204 },
    );
    expect(problems).toBeGreaterThan(100);
  });

  it('on invalid UTF-8, wide objects and brackets where a key belongs, decoded as the fast path does', () => {
    const bytes = (...parts: (string | number[])[]): Buffer =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    const wideDup = `{${Array.from({ length: 30 }, (_, i) => `"k${String(i)}":1`).join(',')},"k3":2}`;
    const cases = [
      bytes('{"', [0xff], '":1,"', [0xfe], '":2}'),
      bytes('{"', [0xc3], '":1,"', [0xc3], '":2}'),
      bytes('{"a', [0x80], '":1}'),
      bytes('{{},"a":1,"a":2}'),
      bytes('{[],"a":1,"b":[{"x":1,,"x":2}],"a":2}'),
      bytes('\ufeff{"a":1,"a":2}'),
      bytes(wideDup),
      bytes('{"\u0001":1,"\u0001":2}'),
    ];
    for (const buf of cases)
      expect(checkJsonTextShape(buf.toString('utf8'), 32)).toBe(checkJsonShape(buf, 32));
    expect(checkJsonTextShape(wideDup, 32)).toBe('duplicate-key');
  });
});
