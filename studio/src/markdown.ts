/**
 * Stands in for codemirror-json-schema's markdown renderer (markdown-it with shiki, ~400 kB):
 * schema descriptions and messages are shown as escaped plain text. Swapped in by studio/build.mjs.
 */
export function renderMarkdown(markdown: string): string {
  return markdown
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
