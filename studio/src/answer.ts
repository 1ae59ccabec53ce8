import type { EvaluationResponse, Hit, TraceNode } from '../../src/engine/response-types';
import { effectiveResult, leafSeen, leafTest } from '../../src/engine/trace-text';
import type { WhyNot } from '../../src/studio/why-not';
import type { RunAnswer } from './api';
import { h } from './dom';

const STATUS_ORDER = ['candidate', 'caution', 'blocked', 'deferred'];

const MARK: Readonly<Record<string, string>> = { true: '✓', false: '✗', 'not-evaluated': '–' };
const MARK_WORD: Readonly<Record<string, string>> = {
  true: 'true',
  false: 'false',
  'not-evaluated': 'not evaluated',
};

function nodeItem(node: TraceNode): HTMLLIElement {
  const r = effectiveResult(node);
  const mark = h('span', { class: `mark r-${r}`, title: MARK_WORD[r] ?? r }, MARK[r] ?? '?');
  const sr = h('span', { class: 'sr-only' }, ` (${MARK_WORD[r] ?? r}) `);
  if ('fact' in node) {
    const seen = leafSeen(node);
    return h(
      'li',
      {},
      mark,
      sr,
      h('code', {}, leafTest(node)),
      h('span', { class: 'seen' }, ` — ${seen}`),
    );
  }
  if ('not' in node) return h('li', {}, mark, sr, 'not', h('ul', {}, nodeItem(node.not)));
  const [word, children] = 'all' in node ? ['all of', node.all] : ['any of', node.any];
  return h('li', {}, mark, sr, word, h('ul', {}, children.map(nodeItem)));
}

function hitBlock(hit: Hit): HTMLDetailsElement {
  const failed =
    !hit.fired && hit.failedLeaf && 'fact' in hit.failedLeaf
      ? h('p', { class: 'because' }, 'stopped by: ', h('code', {}, leafTest(hit.failedLeaf)))
      : null;
  return h(
    'details',
    { class: hit.fired ? 'hit fired' : 'hit' },
    h(
      'summary',
      {},
      `${hit.fired ? '✓' : '✗'} ${hit.ruleId} v${String(hit.version)} — ${hit.title}`,
    ),
    h('p', { class: 'source' }, hit.source),
    failed,
    h('ul', { class: 'tree' }, nodeItem(hit.conditions)),
  );
}

/** The trace: each rule that fired, then those that did not, each a tree of ✓ ✗ – leaves. */
export function renderTrace(r: EvaluationResponse): HTMLElement[] {
  const notFired = r.notFired ?? [];
  return [
    h('h3', {}, `Rules that fired (${String(r.hits.length)})`),
    h('div', { class: 'hits' }, r.hits.map(hitBlock)),
    h(
      'details',
      { class: 'not-fired' },
      h('summary', {}, h('h3', {}, `Rules that did not fire (${String(notFired.length)})`)),
      h('div', { class: 'hits' }, notFired.map(hitBlock)),
    ),
  ];
}

function list<T>(title: string, items: readonly T[], item: (x: T) => HTMLElement): HTMLElement[] {
  return [
    h('h3', {}, `${title} (${String(items.length)})`),
    items.length === 0 ? h('p', { class: 'none' }, 'none') : h('ul', {}, items.map(item)),
  ];
}

function whyNotBlock(w: WhyNot): HTMLLIElement {
  return h(
    'li',
    {},
    h('b', {}, w.name),
    ` (${w.intervention}): ${w.status}`,
    w.reasons.length === 0
      ? null
      : h(
          'ul',
          {},
          w.reasons.map((r) =>
            h(
              'li',
              {},
              `${r.code} — ${r.message}${r.ruleId === undefined ? '' : ` [${r.ruleId}]`}`,
            ),
          ),
        ),
    w.rules.length === 0
      ? w.reasons.length === 0
        ? h('p', {}, 'No option rule proposes it.')
        : null
      : h(
          'ul',
          {},
          w.rules.map((s) =>
            h(
              'li',
              {},
              h('code', {}, s.ruleId),
              ` did not fire: ${s.failed ?? 'no leaf failed'}`,
              s.failed === undefined ? '' : ` (saw ${JSON.stringify(s.saw ?? null)})`,
            ),
          ),
        ),
  );
}

function whyNotSection(items: readonly WhyNot[]): HTMLElement {
  return h(
    'details',
    { class: 'why-not' },
    h('summary', {}, h('h3', {}, `Why not (${String(items.length)} options not offered)`)),
    items.length === 0 ? h('p', { class: 'none' }, 'none') : h('ul', {}, items.map(whyNotBlock)),
  );
}

/** Red flags first, then options by status with reasons, findings, data issues, and why not. */
export function renderAnswer(a: RunAnswer): HTMLElement[] {
  if (!a.ok)
    return [
      h('p', { class: 'refused' }, `Request refused: ${a.rejection.code} — ${a.rejection.detail}`),
      h(
        'ul',
        {},
        a.rejection.errors.map((e) => h('li', {}, `${e.pointer} ${e.message}`)),
      ),
    ];
  const r = a.response;
  const byStatus = STATUS_ORDER.map(
    (status) => [status, r.interventions.filter((i) => i.status === status)] as const,
  );
  return [
    ...list('Red flags', r.redFlags, (f) =>
      h(
        'li',
        { class: 'red-flag' },
        h('b', {}, `${f.code} (${f.urgency})`),
        ` — ${f.message} → ${f.action}`,
      ),
    ),
    h('h3', {}, `Options (${String(r.interventions.length)})`),
    ...byStatus.map(([status, items]) =>
      h(
        'div',
        { class: `status status-${status}` },
        h('h4', {}, `${status} (${String(items.length)})`),
        items.length === 0
          ? null
          : h(
              'ul',
              {},
              items.map((i) =>
                h(
                  'li',
                  {},
                  h('b', {}, i.id),
                  ` ${i.type}, grade ${i.evidenceGrade}${i.requested ? ', requested' : ''}`,
                  h(
                    'ul',
                    {},
                    i.reasons.map((x) =>
                      h(
                        'li',
                        {},
                        `${x.kind} ${x.code}${x.severity === undefined ? '' : ` (${x.severity})`} — ${x.message}`,
                      ),
                    ),
                  ),
                ),
              ),
            ),
      ),
    ),
    ...list('Findings', r.findings, (f) =>
      h(
        'li',
        {},
        h('b', {}, f.id),
        f.band === undefined ? '' : ` band ${f.band}`,
        ` — ${f.message}`,
      ),
    ),
    ...list('Data issues', r.dataIssues, (d) =>
      h('li', {}, h('b', {}, d.code), ` at ${d.pointer} — ${d.message}`),
    ),
    whyNotSection(a.whyNot.filter((w) => w.rules.length > 0 || w.reasons.length > 0)),
  ];
}
