import {
  Composer,
  Document as YamlDocument,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  visit,
} from 'yaml';
import type { Document, Node } from 'yaml';
import type { CST } from 'yaml';
import type { Issue } from '../lib/issue';

/** A parsed YAML file that still knows where every node came from. */
export interface YamlSource {
  readonly file: string;
  readonly data: unknown;
  /** `file:line:column` of the node at a JSON path (or of its nearest existing ancestor). */
  locate(path: readonly (string | number)[], key?: string): { line: number; column: number };
}

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Hardened parse: YAML 1.2 core schema, unique keys, a single document; directives, explicit tags,
 * anchors/aliases and prototype-polluting keys are problems, never silently accepted.
 */
export function parseYamlSource(
  file: string,
  text: string,
):
  | { source: YamlSource; issues: readonly Issue[] }
  | { source: undefined; issues: readonly Issue[] } {
  const lineCounter = new LineCounter();
  const issues: Issue[] = [];
  const at = (offset: number, code: string, message: string): void => {
    const pos = lineCounter.linePos(offset);
    issues.push({ code, message, file, line: pos.line, column: pos.col });
  };

  // One lexing pass: the tokens are checked for directives and extra documents, then composed.
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  let documents = 0;
  for (const token of tokens) {
    if (token.type === 'directive') {
      at(
        token.offset,
        'YAML-DIRECTIVE',
        `directives are not allowed (${token.source.slice(0, 20)})`,
      );
    } else if (token.type === 'document') {
      documents += 1;
      if (documents === 2)
        at(token.offset, 'YAML-MULTI-DOCUMENT', 'a rule file holds exactly one YAML document');
    }
  }
  const doc = compose(tokens, text.length);
  for (const error of doc.errors) {
    const code = error.code === 'DUPLICATE_KEY' ? 'YAML-DUPLICATE-KEY' : 'YAML-SYNTAX';
    at(error.pos[0], code, error.message.split('\n')[0] ?? error.code);
  }
  if (doc.errors.length === 0) checkNodes(doc, text, at);
  if (issues.length > 0) return { source: undefined, issues };

  const data = withOneByteStrings(doc.toJS({ maxAliasCount: 0 }));
  // Keep where each top-level `rules` item starts (every rule's source position) and let the
  // Document go: with thousands of rules, holding every file's node tree until the whole
  // ruleset is checked is most of the loader's memory. A rarer, deeper location (a problem
  // to report) composes the text again.
  const itemStarts = topLevelItemStarts(doc, 'rules');
  let again: Document | undefined;
  return {
    source: {
      file,
      data,
      locate: (path, key) => {
        const [first, index] = path;
        const start =
          path.length === 2 && key === undefined && first === 'rules' && typeof index === 'number'
            ? itemStarts[index]
            : undefined;
        const offset =
          start ?? offsetOf((again ??= compose(new Parser().parse(text), text.length)), path, key);
        const pos = lineCounter.linePos(offset);
        return { line: pos.line, column: pos.col };
      },
    },
    issues: [],
  };
}

/**
 * A file with one character beyond Latin-1 (an em dash) is a two-byte string, and so is every
 * scalar sliced from it, even plain ASCII. JSON.stringify switches to its slower two-byte mode at
 * the first such string in a response, so scalars that fit are copied to one-byte strings (for
 * speed; the text is unchanged). Values only: keys are interned, which already does this.
 */
function withOneByteStrings(value: unknown): unknown {
  if (typeof value === 'string') {
    // Latin-1 round-trips exactly when every character fits in one byte.
    const copy = Buffer.from(value, 'latin1').toString('latin1');
    return copy === value ? copy : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = withOneByteStrings(value[i]);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = withOneByteStrings(record[key]);
  }
  return value;
}

/**
 * Where a node's anchor (`&name`) or tag (`!tag`) is written: the node's range starts after its
 * properties, which may even sit on the line before (a block collection), so search back for them.
 */
function propertyOffset(text: string, nodeStart: number, marker: string): number {
  let found = text.lastIndexOf(marker, nodeStart);
  if (found < 0) return nodeStart;
  // A tag is one token (`!!str`, `!local`, `!e!tag`): back up to where it starts.
  while (found > 0 && !/[\s,[\]{}]/.test(text.charAt(found - 1))) found -= 1;
  // Only properties (anchor, tag) and whitespace may stand between them and the node.
  const between = text.slice(found, nodeStart);
  return /^[&!]\S*(\s+[&!]\S*)?\s*$/.test(between) ? found : nodeStart;
}

function checkNodes(
  doc: Document,
  text: string,
  at: (offset: number, code: string, message: string) => void,
): void {
  visit(doc, {
    Alias(_key, node) {
      at(node.range?.[0] ?? 0, 'YAML-ALIAS', `aliases are not allowed (*${node.source})`);
    },
    Node(_key, node) {
      const start = node.range?.[0] ?? 0;
      if (node.anchor !== undefined)
        at(
          propertyOffset(text, start, `&${node.anchor}`),
          'YAML-ALIAS',
          `anchors are not allowed (&${node.anchor})`,
        );
      if (node.tag !== undefined)
        at(
          propertyOffset(text, start, '!'),
          'YAML-TAG',
          `explicit tags are not allowed (${node.tag})`,
        );
    },
    Pair(_key, pair) {
      const key = pair.key;
      if (isScalar(key) && typeof key.value === 'string' && FORBIDDEN_KEYS.has(key.value)) {
        at(key.range?.[0] ?? 0, 'YAML-FORBIDDEN-KEY', `the key "${key.value}" is not allowed`);
      } else if (isNode(key) && !isScalar(key)) {
        at(key.range?.[0] ?? 0, 'YAML-SYNTAX', 'mapping keys must be plain scalars');
      }
    },
  });
}

function compose(tokens: Iterable<CST.Token>, length: number): Document {
  const composer = new Composer({ version: '1.2', schema: 'core', uniqueKeys: true, strict: true });
  return (
    [...composer.compose(tokens, true, length)][0] ??
    new YamlDocument(null, { version: '1.2', schema: 'core' })
  );
}

function topLevelItemStarts(doc: Document, key: string): number[] {
  const list = isMap(doc.contents) ? doc.contents.get(key, true) : undefined;
  return isSeq(list) ? list.items.map((item) => rangeStart(item)) : [];
}

/** Offset of the deepest node along `path`; with `key`, of that key inside the map at `path`. */
function offsetOf(doc: Document, path: readonly (string | number)[], key?: string): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const segment of path) {
    const next = isNode(node) && !isAlias(node) ? childOf(node, segment) : undefined;
    if (next === undefined) return offset;
    node = next;
    offset = rangeStart(node, offset);
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    if (pair !== undefined && isScalar(pair.key)) return pair.key.range?.[0] ?? offset;
  }
  return offset;
}

function childOf(node: Node, segment: string | number): unknown {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
    return pair?.value ?? undefined;
  }
  if ('items' in node && Array.isArray(node.items)) {
    const index = typeof segment === 'number' ? segment : Number(segment);
    return node.items[index];
  }
  return undefined;
}

function rangeStart(node: unknown, fallback = 0): number {
  if (isNode(node) && node.range) return node.range[0];
  return fallback;
}
