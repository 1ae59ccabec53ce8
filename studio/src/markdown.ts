/**
 * Stands in for codemirror-json-schema's markdown renderer (markdown-it with shiki, ~400 kB):
 * schema descriptions and messages are shown as escaped plain text. Swapped in by studio/build.mjs.
 */
export { escapeHtml as renderMarkdown } from '../../src/lib/html';
