import fc from 'fast-check';
import { utf8 } from '../../src/lib/utf8';

describe('utf8 (the bytes the fast path and the batch route write)', () => {
  it.each([
    ['an empty string', ''],
    ['ASCII', '{"a":1}'],
    ['Latin-1 (one byte per character in V8)', 'µg/L – café'],
    ['an em dash (two bytes per character in V8, as in rule titles)', 'Serotonin — low'],
    ['a character outside the BMP', 'dose 💊 ok'],
    ['a lone high surrogate', 'a\ud800b'],
    ['a lone low surrogate at the end', 'ab\udc00'],
  ])('when the text is %s, then the bytes are those of Buffer.from', (_name, text) => {
    expect(utf8(text).equals(Buffer.from(text, 'utf8'))).toBe(true);
  });

  it('when a string is built by concatenation (a cons string), then it is encoded whole', () => {
    const text = `${JSON.stringify({ title: 'Low ferritin — cofactor' })}\n`;
    const bytes = utf8(text);
    expect(bytes.toString('utf8')).toBe(text);
    expect(bytes.length).toBe(Buffer.byteLength(text));
  });

  it('on any string, including unpaired surrogates, then the bytes are those of Buffer.from', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) =>
        utf8(text).equals(Buffer.from(text, 'utf8')),
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
          maxLength: 400,
        }),
        (text) => utf8(text).equals(Buffer.from(text, 'utf8')),
      ),
      { numRuns: 3000 },
    );
  });
});
