import { checkJsonShape } from '../../src/http/json-depth';

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
