import { autocompletion } from '@codemirror/autocomplete';
import { json, jsonLanguage, jsonParseLinter } from '@codemirror/lang-json';
import { yaml, yamlLanguage } from '@codemirror/lang-yaml';
import { linter, lintGutter } from '@codemirror/lint';
import type { Diagnostic } from '@codemirror/lint';
import { EditorView, basicSetup } from 'codemirror';
import {
  handleRefresh,
  jsonCompletion,
  jsonSchemaLinter,
  stateExtensions,
} from 'codemirror-json-schema';
import { yamlCompletion, yamlSchemaLinter } from 'codemirror-json-schema/yaml';
import type { JSONSchema7 } from 'json-schema';
import requestSchema from '../../schemas/evaluation-request.schema.json';
import ruleFileSchema from '../../schemas/rule-file.schema.json';
import { getJson, postJson, ProblemAnswer } from './api';
import type { CaseDetail, CheckAnswer, ImpactAnswer, RunAnswer, SaveAnswer, State } from './api';
import { renderAnswer, renderTrace } from './answer';
import { h, replace } from './dom';
import { renderImpact } from './impact';
import './studio.css';

const el = {
  hash: h('code', { id: 'served-hash' }),
  caseSelect: h('select', { id: 'case' }),
  caseNote: h('p', { id: 'case-note', class: 'note' }),
  run: h('button', { type: 'button', id: 'run' }, 'Run'),
  answer: h(
    'div',
    { id: 'answer-body' },
    h('p', { class: 'none' }, 'Pick a case or write a request, then Run.'),
  ),
  trace: h('div', { id: 'trace-body' }, h('p', { class: 'none' }, 'No run yet.')),
  files: h('nav', { 'aria-label': 'Rule files', class: 'files' }),
  fileName: h('span', { id: 'file-name' }, 'no file open'),
  checkStatus: h('div', { id: 'check-status', role: 'status' }),
  checkImpact: h('button', { type: 'button', id: 'check-impact', disabled: true }, 'Check impact'),
  save: h('button', { type: 'button', id: 'save', disabled: true }, 'Save'),
  saveStatus: h('div', { id: 'save-status', role: 'status' }),
  impact: h(
    'div',
    { id: 'impact-body' },
    h('p', { class: 'none' }, 'Edit a rule file, then Check impact.'),
  ),
};

let openPath: string | undefined;
let lastCheck: CheckAnswer | undefined;

/** The editable area's name; tabindex makes its scroller count as keyboard-reachable (axe). */
function labelled(label: string): ReturnType<typeof EditorView.contentAttributes.of> {
  return EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0' });
}

const requestEditor = new EditorView({
  doc: '{\n  "asOf": "2026-01-15",\n  "patient": { "age": 40, "sex": "female" }\n}\n',
  extensions: [
    basicSetup,
    json(),
    labelled('Request'),
    lintGutter(),
    linter(jsonParseLinter()),
    linter(jsonSchemaLinter(), { needsRefresh: handleRefresh }),
    jsonLanguage.data.of({ autocomplete: jsonCompletion() }),
    stateExtensions(requestSchema as unknown as JSONSchema7),
  ],
});

/** Diagnostics from the service's own check: the real loader over the edited, unsaved ruleset. */
const serviceLinter = linter(
  async (view): Promise<Diagnostic[]> => {
    if (openPath === undefined) return [];
    const text = view.state.doc.toString();
    let answer: CheckAnswer;
    try {
      answer = await postJson<CheckAnswer>('/studio/api/check', { path: openPath, text });
    } catch (error) {
      replace(el.checkStatus, `Check failed: ${error instanceof Error ? error.message : 'error'}`);
      return [];
    }
    if (view.state.doc.toString() !== text) return [];
    lastCheck = answer;
    const problems = [...answer.issues, ...answer.lockIssues];
    replace(
      el.checkStatus,
      answer.ok
        ? answer.bumps.length > 0
          ? `Loads. Changed without a version bump: ${answer.bumps.map((b) => `${b.ruleId} (v${String(b.from)} → v${String(b.to)})`).join(', ')}.`
          : 'Loads: the service would serve this ruleset.'
        : `${String(answer.issues.length)} problem(s): the service would refuse this ruleset.`,
      problems.length === 0
        ? null
        : h(
            'ul',
            { class: 'issues' },
            problems.map((i) => h('li', {}, h('code', {}, i.text))),
          ),
    );
    el.checkImpact.disabled = !answer.ok;
    el.save.disabled = !answer.ok;
    const doc = view.state.doc;
    return problems.map((i) => {
      const here = i.file === `rules/${openPath ?? ''}`;
      const line = doc.line(here ? Math.min(Math.max(i.line, 1), doc.lines) : 1);
      const from = Math.min(line.from + Math.max(i.column - 1, 0), line.to);
      return {
        from,
        to: Math.max(from, line.to),
        severity: i.code.startsWith('RULE-LOCK') ? 'warning' : 'error',
        source: 'service',
        message: `${here ? '' : `${i.file}:${String(i.line)}:${String(i.column)} `}${i.code}: ${i.message}`,
      };
    });
  },
  { delay: 500 },
);

const ruleEditor = new EditorView({
  doc: '',
  extensions: [
    basicSetup,
    yaml(),
    labelled('Rule file'),
    lintGutter(),
    linter(yamlSchemaLinter(), { needsRefresh: handleRefresh }),
    serviceLinter,
    yamlLanguage.data.of({ autocomplete: yamlCompletion() }),
    autocompletion(),
    stateExtensions(ruleFileSchema as unknown as JSONSchema7),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) {
        replace(el.saveStatus);
        replace(el.checkStatus, 'Checking…');
      }
    }),
  ],
});

function region(id: string, title: string, ...body: HTMLElement[]): HTMLElement {
  return h(
    'section',
    { class: `panel ${id}`, 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, title),
    ...body,
  );
}

function problemText(error: unknown): string {
  if (error instanceof ProblemAnswer) {
    const p = error.problem;
    return [`${p.code}: ${p.detail ?? p.title}`, ...(p.errors ?? []).map((e) => e.message)].join(
      '\n',
    );
  }
  return error instanceof Error ? error.message : 'error';
}

async function run(): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(requestEditor.state.doc.toString());
  } catch {
    replace(el.answer, h('p', { class: 'refused' }, 'The request is not valid JSON.'));
    return;
  }
  el.run.disabled = true;
  try {
    const a = await postJson<RunAnswer>('/studio/api/run', { request: body });
    replace(el.answer, renderAnswer(a));
    replace(
      el.trace,
      a.ok
        ? renderTrace(a.response)
        : h('p', { class: 'none' }, 'No trace: the request was refused.'),
    );
  } catch (error) {
    replace(el.answer, h('pre', { class: 'refused' }, problemText(error)));
  } finally {
    el.run.disabled = false;
  }
}

async function pickCase(name: string): Promise<void> {
  if (name === '') {
    replace(el.caseNote);
    return;
  }
  const c = await getJson<CaseDetail>(`/studio/api/case?name=${encodeURIComponent(name)}`);
  replace(el.caseNote, c.description);
  requestEditor.dispatch({
    changes: {
      from: 0,
      to: requestEditor.state.doc.length,
      insert: JSON.stringify(c.request, null, 2) + '\n',
    },
  });
}

async function openFile(rel: string): Promise<void> {
  const f = await getJson<{ path: string; text: string }>(
    `/studio/api/file?path=${encodeURIComponent(rel)}`,
  );
  openPath = rel;
  lastCheck = undefined;
  replace(el.fileName, `rules/${rel}`);
  replace(el.saveStatus);
  ruleEditor.dispatch({ changes: { from: 0, to: ruleEditor.state.doc.length, insert: f.text } });
  for (const b of el.files.querySelectorAll('button')) b.removeAttribute('aria-current');
  el.files
    .querySelector(`button[data-path="${CSS.escape(rel)}"]`)
    ?.setAttribute('aria-current', 'true');
}

async function checkImpact(): Promise<void> {
  if (openPath === undefined) return;
  el.checkImpact.disabled = true;
  replace(el.impact, h('p', {}, 'Comparing the edited ruleset with the served one…'));
  try {
    const a = await postJson<ImpactAnswer>('/studio/api/impact', {
      path: openPath,
      text: ruleEditor.state.doc.toString(),
    });
    replace(el.impact, renderImpact(a));
  } catch (error) {
    replace(el.impact, h('pre', { class: 'refused' }, problemText(error)));
  } finally {
    el.checkImpact.disabled = false;
  }
}

async function save(bump: boolean): Promise<void> {
  if (openPath === undefined) return;
  el.save.disabled = true;
  try {
    const a = await postJson<SaveAnswer>('/studio/api/save', {
      path: openPath,
      text: ruleEditor.state.doc.toString(),
      bump,
    });
    if (a.text !== ruleEditor.state.doc.toString())
      ruleEditor.dispatch({
        changes: { from: 0, to: ruleEditor.state.doc.length, insert: a.text },
      });
    replace(el.hash, a.ruleset.hash.slice(0, 12));
    el.hash.title = a.ruleset.hash;
    replace(
      el.saveStatus,
      `Saved rules/${a.saved}${a.bumped.length === 0 ? '' : ` (bumped ${a.bumped.map((b) => `${b.ruleId} to v${String(b.to)}`).join(', ')})`}; the server reloaded: ruleset hash `,
      h('code', { id: 'saved-hash' }, a.ruleset.hash.slice(0, 12)),
      '.',
    );
  } catch (error) {
    if (error instanceof ProblemAnswer && error.problem.code === 'VERSION-BUMP-NEEDED') {
      const bumpButton = h('button', { type: 'button', id: 'bump-save' }, 'Bump version and save');
      bumpButton.addEventListener('click', () => void save(true));
      replace(
        el.saveStatus,
        h(
          'p',
          {},
          `Not saved: a changed rule needs a version bump (${error.problem.detail ?? ''}).`,
        ),
        bumpButton,
      );
      bumpButton.focus();
    } else replace(el.saveStatus, h('pre', { class: 'refused' }, problemText(error)));
  } finally {
    el.save.disabled = lastCheck?.ok === false;
  }
}

function fileTree(files: readonly string[]): HTMLElement {
  const folders = new Map<string, string[]>();
  for (const f of files) {
    const i = f.lastIndexOf('/');
    const folder = i < 0 ? '' : f.slice(0, i);
    folders.set(folder, [...(folders.get(folder) ?? []), f]);
  }
  return h(
    'ul',
    { class: 'tree-files' },
    [...folders.entries()].map(([folder, list]) =>
      h(
        'li',
        {},
        h(
          'details',
          { open: folder !== 'catalog' && folder !== '' },
          h('summary', {}, folder === '' ? 'rules/' : `${folder}/`),
          h(
            'ul',
            {},
            list.map((f) => {
              const b = h(
                'button',
                { type: 'button', class: 'file', 'data-path': f },
                f.slice(f.lastIndexOf('/') + 1),
              );
              b.addEventListener('click', () => void openFile(f));
              return h('li', {}, b);
            }),
          ),
        ),
      ),
    ),
  );
}

async function start(): Promise<void> {
  const root = document.getElementById('studio');
  if (!root) return;
  const state = await getJson<State>('/studio/api/state');
  replace(el.hash, state.ruleset.hash.slice(0, 12));
  el.hash.title = state.ruleset.hash;
  replace(
    el.caseSelect,
    h(
      'option',
      { value: '' },
      state.cases.length === 0 ? 'no cases available — write a request' : '— write a request —',
    ),
    state.cases.map((c) => h('option', { value: c.name }, c.name)),
  );
  replace(el.files, fileTree(state.files));
  el.caseSelect.addEventListener('change', () => void pickCase(el.caseSelect.value));
  el.run.addEventListener('click', () => void run());
  el.checkImpact.addEventListener('click', () => void checkImpact());
  el.save.addEventListener('click', () => void save(false));
  replace(
    root,
    h(
      'header',
      {},
      h('h1', {}, 'Rule studio'),
      h(
        'p',
        {},
        `Served ruleset ${state.ruleset.id} ${state.ruleset.version}, hash `,
        el.hash,
        ' · ',
        h('a', { href: '/rules' }, 'Rule book'),
      ),
    ),
    h(
      'main',
      {},
      h(
        'div',
        { class: 'column' },
        region(
          'cases',
          'Cases',
          h('div', { class: 'row' }, h('label', { for: 'case' }, 'Case'), el.caseSelect, el.run),
          el.caseNote,
          h('div', { class: 'editor request-editor' }, requestEditor.dom),
        ),
        region('trace', 'Trace', el.trace),
      ),
      region('answer', 'Answer', el.answer),
      region(
        'rules',
        'Rules',
        h(
          'div',
          { class: 'rules-layout' },
          el.files,
          h(
            'div',
            {},
            h('p', {}, 'Rule file: ', el.fileName),
            h('div', { class: 'editor rule-editor' }, ruleEditor.dom),
            el.checkStatus,
            h('div', { class: 'row' }, el.checkImpact, el.save),
            el.saveStatus,
          ),
        ),
      ),
      region('impact', 'Impact', el.impact),
    ),
  );
}

void start();
