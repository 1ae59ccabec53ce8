import type { ImpactAnswer, OutcomeJson } from './api';
import { h } from './dom';

function outcomeText(o: OutcomeJson | undefined): string {
  if (!o) return '';
  if (o.rejected !== undefined) return `refused: ${o.rejected}`;
  const lines = [
    `red flags: ${
      Object.entries(o.redFlags)
        .map(([k, v]) => `${k} (${v})`)
        .join(', ') || 'none'
    }`,
    `findings: ${
      Object.entries(o.findings)
        .map(([k, v]) => (v === '' ? k : `${k} (${v})`))
        .join(', ') || 'none'
    }`,
    'interventions:',
    ...Object.entries(o.interventions).map(
      ([id, x]) =>
        `  ${id}: ${x.status}${x.reasons.length === 0 ? '' : ` — ${x.reasons.join(', ')}`}`,
    ),
    `data issues: ${o.dataIssues.join(', ') || 'none'}`,
  ];
  return lines.join('\n');
}

/** How many inputs change, grouped by rule, each expandable to before and after. */
export function renderImpact(a: ImpactAnswer): HTMLElement[] {
  const total = a.changed.regression + a.changed.synthetic;
  return [
    h(
      'p',
      { id: 'impact-summary' },
      h('b', { 'data-testid': 'impact-count' }, String(total)),
      ` outcomes change: ${String(a.changed.regression)} of ${String(a.regressionCases)} regression cases, ${String(a.changed.synthetic)} of ${String(a.syntheticPatients)} synthetic patients (${a.seconds.toFixed(2)} s).`,
    ),
    a.ruleChanges.length === 0
      ? h('p', {}, 'Rules changed: none.')
      : h(
          'ul',
          { class: 'rule-changes' },
          a.ruleChanges.map((c) => h('li', {}, h('code', {}, c.id), `: ${c.change}`)),
        ),
    h('h3', {}, `Regression expectations that would fail (${String(a.failures.length)})`),
    a.failures.length === 0
      ? h('p', { class: 'none' }, 'none')
      : h(
          'ul',
          { class: 'failures' },
          a.failures.map((f) =>
            h(
              'li',
              {},
              h('b', {}, `✗ ${f.case}`),
              h(
                'ul',
                {},
                f.differences.map((d) => h('li', {}, d)),
              ),
            ),
          ),
        ),
    h('h3', {}, `Changes by rule (${String(a.groups.length)})`),
    ...a.groups.map((g) =>
      h(
        'details',
        { class: 'group' },
        h(
          'summary',
          {},
          h('code', {}, g.rule),
          ` [${g.ruleChange}]: ${String(g.regression)} regression, ${String(g.synthetic)} synthetic`,
        ),
        h(
          'ul',
          {},
          g.items.map((item) =>
            h(
              'li',
              {},
              h(
                'details',
                {},
                h('summary', {}, `${item.name}: ${item.changes.join('; ')}`),
                h(
                  'div',
                  { class: 'before-after' },
                  h(
                    'div',
                    {},
                    h('h4', {}, 'Before (served)'),
                    h('pre', {}, outcomeText(item.before)),
                  ),
                  h(
                    'div',
                    {},
                    h('h4', {}, 'After (edited)'),
                    h('pre', {}, outcomeText(item.after)),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  ];
}
