import { escapeHtml as e } from '../lib/html';
import type { RuleDef } from '../rules/rule-types';
import type { RuleBook } from './book';
import { conditionWords, leafWords, outcomeWords } from './words';
import type { WordsNode } from './words';

/** Where pages point: the served rule book (`/rules/...`) or the static site (`<id>.html`). */
export interface BookLinks {
  readonly index: string;
  rule(id: string): string;
  asset(name: 'rulebook.js' | 'rulebook.css'): string;
  /** The rule as JSON, when it is served (`/v1/rules/{id}`); absent in the static site. */
  readonly json?: (id: string) => string;
}

export const SERVED_LINKS: BookLinks = {
  index: '/rules',
  rule: (id) => `/rules/${encodeURIComponent(id)}`,
  asset: (name) => `/rules/assets/${name}`,
  json: (id) => `/v1/rules/${encodeURIComponent(id)}`,
};

export const STATIC_LINKS: BookLinks = {
  index: 'index.html',
  rule: (id) => `${encodeURIComponent(id)}.html`,
  asset: (name) => `assets/${name}`,
};

const KIND_ORDER = ['red-flag', 'data', 'finding', 'option', 'safety'];

function page(title: string, body: string, links: BookLinks): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${e(links.asset('rulebook.css'))}">
<script src="${e(links.asset('rulebook.js'))}" defer></script>
</head><body>
${body}
</body></html>
`;
}

function header(book: RuleBook): string {
  const { manifest, hash } = book.ruleset;
  return `<p class="ruleset">Ruleset <b>${e(manifest.id)}</b> ${e(manifest.version)} · hash <code>${e(hash.slice(0, 12))}</code></p>`;
}

function searchText(rule: RuleDef): string {
  return [rule.id, rule.title, rule.kind, rule.status, rule.evidence.grade, rule.rationale]
    .join(' ')
    .toLowerCase();
}

function firedCount(book: RuleBook, id: string): string {
  if (!book.corpus.available) return '–';
  return String(book.corpus.coverage.get(id)?.firedIn.length ?? 0);
}

/**
 * The index of every rule, sorted by kind and id. `query` (GET /rules?q=) filters on the server;
 * the page's script filters the same rows as one types.
 */
export function renderIndex(book: RuleBook, links: BookLinks, query = ''): string {
  const q = query.trim().toLowerCase();
  const rules = [...book.ruleset.rules]
    .sort(
      (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.id < b.id ? -1 : 1),
    )
    .filter((r) => q === '' || searchText(r).includes(q));
  const rows = rules
    .map(
      (r) =>
        `<tr data-search="${e(searchText(r))}"><td>${e(r.kind)}</td><td><a href="${e(links.rule(r.id))}">${e(r.id)}</a></td><td>${e(r.title)}</td><td>${String(r.version)}</td><td>${e(r.status)}</td><td>${e(r.evidence.grade)}</td><td>${firedCount(book, r.id)}</td></tr>`,
    )
    .join('\n');
  const corpus = book.corpus.available
    ? `Coverage over ${String(book.corpus.cases)} regression cases.`
    : 'No regression cases are available in this deployment.';
  const body = `<header><h1>Rule book</h1>${header(book)}</header>
<main>
<form role="search" method="get" action="${e(links.index)}">
<label for="rule-filter">Search rules</label>
<input type="search" id="rule-filter" name="q" value="${e(query)}" autocomplete="off">
<button type="submit">Search</button>
</form>
<p><span id="rule-count">${String(rules.length)}</span> of ${String(book.ruleset.rules.length)} rules. ${e(corpus)}</p>
<table id="rules">
<thead><tr><th scope="col">Kind</th><th scope="col">Id</th><th scope="col">Title</th><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Evidence</th><th scope="col">Cases firing it</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</main>`;
  return page(`Rule book — ${book.ruleset.manifest.id}`, body, links);
}

function wordsList(node: WordsNode): string {
  const children =
    node.children.length === 0 ? '' : `<ul>${node.children.map(wordsList).join('')}</ul>`;
  return `<li>${e(node.text)}${children}</li>`;
}

function coverageSection(book: RuleBook, rule: RuleDef): string {
  if (!book.corpus.available)
    return '<h2>Regression cases</h2><p>No regression cases are available in this deployment.</p>';
  const c = book.corpus.coverage.get(rule.id);
  const fired = c?.firedIn ?? [];
  const cases =
    fired.length === 0
      ? `<p>No regression case fires this rule${rule.status === 'active' ? '' : ` (status ${e(rule.status)}: not evaluated)`}.</p>`
      : `<ul class="cases">${fired
          .map(
            (name) =>
              `<li><code>${e(name)}</code> — ${e(book.corpus.available ? (book.corpus.descriptions.get(name) ?? '') : '')}</li>`,
          )
          .join('')}</ul>`;
  const leaves = c?.leaves ?? [];
  const both = leaves.filter((l) => l.seenTrue > 0 && l.seenFalse > 0).length;
  const rows = leaves
    .map((l) => {
      const ok = l.seenTrue > 0 && l.seenFalse > 0;
      return `<tr class="${ok ? 'ok' : 'miss'}"><td>${e(leafWords(l.leaf, book.ruleset.catalog))}</td><td>${String(l.seenTrue)}</td><td>${String(l.seenFalse)}</td><td>${ok ? 'covered' : 'not both ways'}</td></tr>`;
    })
    .join('');
  return `<h2>Regression cases</h2>
<p>Fired in ${String(fired.length)} of ${String(book.corpus.cases)} cases.</p>
${cases}
<h2>Condition coverage</h2>
<p>${String(both)} of ${String(leaves.length)} conditions seen both true and false.</p>
<table class="coverage"><thead><tr><th scope="col">Condition</th><th scope="col">Seen true</th><th scope="col">Seen false</th><th scope="col">Coverage</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/** One rule's page: what it is, why, when it fires in words, what it adds, and its coverage. */
export function renderRule(book: RuleBook, rule: RuleDef, links: BookLinks): string {
  const { catalog } = book.ruleset;
  const refs = rule.evidence.references.map((r) => `<li>${e(r)}</li>`).join('');
  const then = outcomeWords(rule, catalog)
    .map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`)
    .join('');
  const json = links.json === undefined ? '' : ` · <a href="${e(links.json(rule.id))}">as JSON</a>`;
  const body = `<header><p><a href="${e(links.index)}">Rule book</a>${json}</p><h1>${e(rule.title)}</h1>${header(book)}</header>
<main>
<dl class="facts">
<dt>Id</dt><dd><code>${e(rule.id)}</code></dd>
<dt>Kind</dt><dd>${e(rule.kind)}</dd>
<dt>Version</dt><dd>${String(rule.version)}</dd>
<dt>Status</dt><dd>${e(rule.status)}</dd>
<dt>Evidence grade</dt><dd>${e(rule.evidence.grade)}</dd>
<dt>Source</dt><dd><code>${e(`${rule.source.file}:${String(rule.source.line)}`)}</code></dd>
<dt>Review</dt><dd>author ${e(rule.review.author)}, reviewer ${e(rule.review.reviewer)}</dd>
</dl>
<h2>Rationale</h2>
<p>${e(rule.rationale)}</p>
<h2>References</h2>
<ol>${refs}</ol>
<h2>When</h2>
<ul class="tree">${wordsList(conditionWords(rule.when, catalog))}</ul>
<h2>Then</h2>
<dl class="then">${then}</dl>
${coverageSection(book, rule)}
</main>`;
  return page(`${rule.id} — Rule book`, body, links);
}

/** The index page's filter: hides rows whose text does not contain what is typed. */
export const RULEBOOK_SCRIPT = `'use strict';
document.addEventListener('DOMContentLoaded', function () {
  var input = document.getElementById('rule-filter');
  var count = document.getElementById('rule-count');
  var rows = document.querySelectorAll('#rules tbody tr');
  if (!input) return;
  function apply() {
    var q = input.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var hit = q === '' || (row.getAttribute('data-search') || '').indexOf(q) !== -1;
      row.hidden = !hit;
      if (hit) shown += 1;
    });
    if (count) count.textContent = String(shown);
  }
  input.addEventListener('input', apply);
  apply();
});
`;

export const RULEBOOK_CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70em;padding:1em 2em;color:#1b1b1b}
a{color:#0645ad}code{font-size:0.95em}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
tr.miss td{background:#fdecea}tr.ok td{background:#eaf6ec}
dl.facts,dl.then{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em}dt{font-weight:600}dd{margin:0}
ul.tree,ul.tree ul{list-style:disc;padding-left:1.4em}
form{margin:1em 0}input[type=search]{font:inherit;padding:3px 6px;min-width:24em;margin:0 .5em}
.ruleset{color:#444}
`;
