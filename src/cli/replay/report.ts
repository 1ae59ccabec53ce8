import fs from 'node:fs';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Tally } from './summary';
import type { SummaryFile } from './text';

const STATUSES = ['candidate', 'caution', 'blocked', 'deferred'];
const STATUS_COLOURS = ['#2e7d32', '#f9a825', '#c62828', '#6d6d6d'];

function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** A Vega-Lite spec rendered to SVG in Node (no browser, no canvas: renderer "none"). */
export async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function sides(file: SummaryFile): { name: string; tally: Tally }[] {
  const s = file.summary;
  return s.before
    ? [
        { name: 'before', tally: s.before },
        { name: 'after', tally: s.after },
      ]
    : [{ name: 'after', tally: s.after }];
}

function interventionChart(file: SummaryFile): TopLevelSpec {
  const values = sides(file).flatMap(({ name, tally }) =>
    Object.entries(tally.interventions).flatMap(([id, statuses]) =>
      Object.entries(statuses).map(([status, patients]) => ({
        ruleset: name,
        id,
        status,
        patients,
      })),
    ),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Patients per intervention and status',
    data: { values },
    facet: { row: { field: 'ruleset', type: 'nominal', sort: ['before', 'after'], title: null } },
    spec: {
      width: 640,
      height: 160,
      mark: 'bar',
      encoding: {
        x: { field: 'id', type: 'nominal', title: null, axis: { labelAngle: -40 } },
        y: { field: 'patients', type: 'quantitative', aggregate: 'sum', title: 'patients' },
        color: {
          field: 'status',
          type: 'nominal',
          scale: { domain: STATUSES, range: STATUS_COLOURS },
        },
      },
    },
  };
}

function rateChart(
  file: SummaryFile,
  what: 'redFlags' | 'dataIssues',
  title: string,
): TopLevelSpec {
  const values = sides(file).flatMap(({ name, tally }) =>
    Object.entries(tally[what]).map(([code, n]) => ({
      ruleset: name,
      code,
      rate: tally.answered === 0 ? 0 : n / tally.answered,
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    width: 640,
    height: 220,
    mark: 'bar',
    encoding: {
      x: { field: 'code', type: 'nominal', title: null, axis: { labelAngle: -40 } },
      xOffset: { field: 'ruleset', type: 'nominal', sort: ['before', 'after'] },
      y: {
        field: 'rate',
        type: 'quantitative',
        title: 'share of answered patients',
        axis: { format: '%' },
      },
      color: {
        field: 'ruleset',
        type: 'nominal',
        sort: ['before', 'after'],
        scale: { domain: ['before', 'after'], range: ['#90a4ae', '#1565c0'] },
      },
    },
  };
}

/**
 * One self-contained HTML file: no script, no network (a Content-Security-Policy forbids any
 * load), the charts rendered to inline SVG with Vega-Lite at report time.
 */
export async function writeReport(path: string, file: SummaryFile): Promise<void> {
  const charts = await Promise.all([
    svgOf(interventionChart(file)),
    svgOf(rateChart(file, 'redFlags', 'Red-flag rate by code')),
    svgOf(rateChart(file, 'dataIssues', 'Data-issue rate by code')),
  ]);
  const s = file.summary;
  const meta = (m: SummaryFile['rules']): string =>
    `${esc(m.source)} — ${esc(m.id)} ${esc(m.version)} <code>${esc(m.hash.slice(0, 12))}</code>`;
  const c = s.comparison;
  const list = (xs: readonly string[]): string => (xs.length === 0 ? '—' : xs.map(esc).join(', '));
  const statuses = (x: Readonly<Record<string, string>>): string =>
    Object.entries(x)
      .map(([id, st]) => `<span class="st-${esc(st)}">${esc(id)}: ${esc(st)}</span>`)
      .join('<br>');
  const changed = c
    ? `<h2>Changed patients (${String(c.changedPatients)}; first ${String(c.examples.length)} listed)</h2>
<h3>Safety changes</h3>
<ul class="safety">
<li class="first"><strong>Blocked → offered: ${String(c.safety.blockToOffer)}</strong></li>
<li>Offered → blocked: ${String(c.safety.offerToBlock)}</li>
<li>Red flags lost: ${String(c.safety.redFlagLost)}; gained: ${String(c.safety.redFlagGained)}</li>
<li>Accepted ↔ refused: ${String(c.safety.refusalChanged)}</li>
</ul>
<h3>By rule responsible</h3>
<table><thead><tr><th>Rule</th><th>Patients</th><th>Changes</th></tr></thead><tbody>
${Object.entries(c.groups)
  .map(
    ([rule, g]) =>
      `<tr><td><code>${esc(rule)}</code></td><td>${String(g.patients)}</td><td>${Object.entries(
        g.kinds,
      )
        .slice(0, 10)
        .map(([k, n]) => `${String(n)}× ${esc(k)}`)
        .join('<br>')}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
<h3>Patients</h3>
<table class="patients"><thead><tr><th>Line</th><th>Rules</th><th>Before</th><th>After</th></tr></thead><tbody>
${c.examples
  .map(
    (e) => `<tr><td>${String(e.line)}</td><td>${list(e.responsible)}</td>
<td>${e.before.refused ? `refused: ${esc(e.before.refused)}<br>` : ''}red flags: ${list(e.before.redFlags)}<br>${statuses(e.before.interventions)}<br>data issues: ${list(e.before.dataIssues)}</td>
<td>${e.after.refused ? `refused: ${esc(e.after.refused)}<br>` : ''}red flags: ${list(e.after.redFlags)}<br>${statuses(e.after.interventions)}<br>data issues: ${list(e.after.dataIssues)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
    : '<p>No <code>--against</code> ruleset: distributions of one ruleset only.</p>';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>ntcds replay report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
.safety .first{color:#b71c1c}.st-blocked{color:#c62828}.st-candidate{color:#2e7d32}.st-caution{color:#a67c00}
figure{margin:1.5em 0}
</style></head><body>
<h1>Population replay</h1>
<p>Rules: ${meta(file.rules)}${file.against ? `<br>Against: ${meta(file.against)}` : ''}</p>
<p>Patients: ${String(s.after.patients)} — ${String(s.after.answered)} answered; with a red flag: ${String(s.after.withRedFlag)}${s.before ? ` (before: ${String(s.before.withRedFlag)})` : ''}</p>
${charts.map((svg) => `<figure class="chart">${svg}</figure>`).join('\n')}
${changed}
</body></html>
`;
  fs.writeFileSync(path, html);
}
