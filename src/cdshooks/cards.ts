import { randomUUID } from 'node:crypto';
import type { EvaluationResponse, InterventionOut, RedFlagOut } from '../engine/response-types';
import type { Catalog } from '../rules/catalog';
import type { DraftMapping } from '../fhir/map';

/** The one reverse-domain key the machine-readable evaluation travels under. */
export const EXTENSION_KEY = 'org.neurotransmitter-cds.evaluation';
export const OVERRIDE_SYSTEM = 'urn:neurotransmitter-cds:override-reason';

export interface Coding {
  readonly system: string;
  readonly code: string;
  readonly display: string;
}

export interface Action {
  readonly type: 'delete';
  readonly description: string;
  readonly resourceId: string;
}

export interface Suggestion {
  readonly label: string;
  readonly uuid: string;
  readonly isRecommended?: boolean;
  readonly actions: readonly Action[];
}

export interface Card {
  readonly uuid: string;
  readonly summary: string;
  readonly detail?: string;
  readonly indicator: 'info' | 'warning' | 'critical';
  readonly source: { readonly label: string; readonly url?: string; readonly topic?: Coding };
  readonly suggestions?: readonly Suggestion[];
  readonly selectionBehavior?: 'at-most-one' | 'any';
  readonly overrideReasons?: readonly Coding[];
}

export interface CdsResponse {
  readonly cards: readonly Card[];
  readonly extension: Readonly<Record<string, unknown>>;
}

export const OVERRIDE_REASONS: readonly Coding[] = [
  {
    system: OVERRIDE_SYSTEM,
    code: 'benefit-outweighs-risk',
    display: 'Benefit outweighs the risk for this patient; will monitor',
  },
  {
    system: OVERRIDE_SYSTEM,
    code: 'data-incorrect',
    display: 'The medication or condition data in the record is incorrect',
  },
  {
    system: OVERRIDE_SYSTEM,
    code: 'already-discussed',
    display: 'Already discussed with the patient and the prescriber',
  },
];

/** A one-line summary of at most 139 characters (the spec: under 140). */
export function summaryOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length < 140 ? line : `${line.slice(0, 138).trimEnd()}…`;
}

export interface CardContext {
  readonly catalog: Catalog;
  readonly response: EvaluationResponse;
  /** The service's own base URL; rule pages live at `${baseUrl}/rules/{ruleId}`. */
  readonly baseUrl: string;
  readonly drafts: readonly DraftMapping[];
  /** Supplements the patient takes, checked against the draft drug orders (order-select). */
  readonly takenUnderReview: ReadonlySet<string>;
  /** Those of them whose status the draft drug orders changed. */
  readonly changedByDrafts: ReadonlySet<string>;
}

function source(c: CardContext, ruleId: string | undefined, ruleVersion: number | undefined) {
  const { id, version } = c.response.ruleset;
  const rule = ruleId === undefined ? '' : ` · ${ruleId} v${String(ruleVersion ?? 1)}`;
  return {
    label: `${id} ${version}${rule}`,
    ...(ruleId === undefined ? {} : { url: `${c.baseUrl}/rules/${encodeURIComponent(ruleId)}` }),
  };
}

function redFlagCard(c: CardContext, f: RedFlagOut): Card {
  const critical = f.urgency === 'emergency' || f.urgency === 'same-day';
  const lines = [
    `**${f.code}** (${f.urgency})`,
    '',
    f.message,
    '',
    `**Action:** ${f.action}`,
    ...(f.referral === undefined ? [] : ['', `**Referral:** ${f.referral}`]),
  ];
  return {
    uuid: randomUUID(),
    summary: summaryOf(`${critical ? 'Urgent: ' : ''}${f.message}`),
    detail: lines.join('\n'),
    indicator: critical ? 'critical' : 'warning',
    source: source(c, f.ruleId, f.ruleVersion),
  };
}

function agentName(c: CardContext, id: string): string {
  return c.catalog.interventions.get(id)?.name ?? id;
}

function agentCard(c: CardContext, i: InterventionOut): Card {
  const blocked = i.status === 'blocked';
  const strongest =
    i.reasons.find((r) => r.kind === (blocked ? 'block' : 'caution')) ?? i.reasons[0];
  const name = agentName(c, i.id);
  const draft = c.drafts.find((d) => d.intervention === i.id);
  const drugDrafts = c.changedByDrafts.has(i.id)
    ? c.drafts.filter((d) => d.intervention === undefined)
    : [];
  const reasons = i.reasons.map(
    (r) =>
      `- **${r.code}**${r.severity === undefined ? '' : ` (${r.severity})`}: ${r.message}${r.ruleId === undefined ? '' : ` — rule \`${r.ruleId}\` v${String(r.ruleVersion ?? 1)}`}`,
  );
  const subject = draft
    ? `Draft order ${draft.label}`
    : drugDrafts.length > 0
      ? `${name} (taken) with draft ${drugDrafts.map((d) => d.label).join(', ')}`
      : i.current === true
        ? `${name} (taken now)`
        : name;
  // A caution on an agent the patient already takes is a review of it, never an offer.
  const verdict = blocked ? 'blocked' : i.current === true ? 'review' : 'caution';
  const suggestions: Suggestion[] = [];
  if (blocked && draft)
    suggestions.push({
      label: `Remove the draft order for ${draft.label}`,
      uuid: randomUUID(),
      isRecommended: true,
      actions: [
        {
          type: 'delete',
          description: `Delete ${draft.resourceId}: ${name} is blocked for this patient.`,
          resourceId: draft.resourceId,
        },
      ],
    });
  if (blocked)
    for (const d of drugDrafts)
      suggestions.push({
        label: `Remove the draft order for ${d.label}`,
        uuid: randomUUID(),
        actions: [
          {
            type: 'delete',
            description: `Delete ${d.resourceId}: with it, ${name} (which the patient takes) is blocked.`,
            resourceId: d.resourceId,
          },
        ],
      });
  return {
    uuid: randomUUID(),
    summary: summaryOf(`${subject}: ${verdict}${strongest ? ` (${strongest.code})` : ''}`),
    detail: [
      i.current === true
        ? `**${name}** (taken now) — status **${i.status}**: review what the patient takes`
        : `**${name}** — status **${i.status}**`,
      '',
      ...reasons,
    ].join('\n'),
    indicator: blocked ? 'critical' : 'warning',
    source: source(c, strongest?.ruleId, strongest?.ruleVersion),
    ...(suggestions.length > 0
      ? { suggestions, selectionBehavior: suggestions.length > 1 ? 'any' : 'at-most-one' }
      : {}),
    ...(blocked ? { overrideReasons: OVERRIDE_REASONS } : {}),
  };
}

function summaryCard(c: CardContext): Card {
  const r = c.response;
  // An offer is an option the patient does not take yet; what they take is listed for review.
  const options = r.interventions.filter(
    (i) => i.current !== true && (i.status === 'candidate' || i.status === 'caution'),
  );
  const held = r.interventions.filter((i) => i.current !== true && i.status === 'deferred');
  const taken = r.interventions.filter((i) => i.current === true);
  const lines: string[] = [];
  if (r.findings.length > 0)
    lines.push(
      '**Findings**',
      '',
      ...r.findings.map((f) => `- ${f.message} (grade ${f.evidenceGrade})`),
      '',
    );
  if (options.length > 0)
    lines.push(
      '**Options**',
      '',
      ...options.map(
        (i) =>
          `- ${agentName(c, i.id)}: ${i.status}${i.reasons.length > 0 ? ` (${i.reasons.map((x) => x.code).join(', ')})` : ''}`,
      ),
      '',
    );
  if (taken.length > 0)
    lines.push(
      '**Taken now (review)**',
      '',
      ...taken.map(
        (i) =>
          `- ${agentName(c, i.id)}: ${i.status === 'caution' ? 'review' : i.status}${i.reasons.length > 0 ? ` (${i.reasons.map((x) => x.code).join(', ')})` : ''}`,
      ),
      '',
    );
  if (held.length > 0)
    lines.push(
      '**Deferred**',
      '',
      ...held.map((i) => `- ${agentName(c, i.id)} (${i.reasons.map((x) => x.code).join(', ')})`),
      '',
    );
  if (r.dataIssues.length > 0)
    lines.push(
      '**Data issues**',
      '',
      ...r.dataIssues.map((d) => `- ${d.code} at \`${d.pointer}\`: ${d.message}`),
      '',
    );
  for (const d of r.disclaimers) lines.push(`_${d.text}_`, '');
  const counts = [
    `${String(r.findings.length)} finding${r.findings.length === 1 ? '' : 's'}`,
    `${String(options.length)} option${options.length === 1 ? '' : 's'}`,
    `${String(r.dataIssues.length)} data issue${r.dataIssues.length === 1 ? '' : 's'}`,
  ];
  const detail = lines.join('\n').trim();
  return {
    uuid: randomUUID(),
    summary: summaryOf(`Neurotransmitter balance review: ${counts.join(', ')}`),
    ...(detail === '' ? {} : { detail }),
    indicator: 'info',
    source: source(c, undefined, undefined),
  };
}

/** The answer's catalog info, without empty values (CDS Hooks forbids them). */
function catalogInfo(i: InterventionOut): Record<string, unknown> {
  const { name, mechanism, studiedDose, upperLimit, references } = i.catalog;
  return {
    name,
    ...(mechanism === undefined || mechanism === '' ? {} : { mechanism }),
    ...(studiedDose === undefined ? {} : { studiedDose }),
    ...(upperLimit === undefined ? {} : { upperLimit }),
    ...(references.length === 0 ? {} : { references }),
  };
}

/** The machine-readable evaluation: every card traces to these rule ids and versions. */
export function evaluationExtension(r: EvaluationResponse): Record<string, unknown> {
  const nonEmpty = <T>(key: string, items: readonly T[]): Record<string, readonly T[]> =>
    items.length > 0 ? { [key]: items } : {};
  return {
    evaluationId: r.evaluationId,
    asOf: r.asOf,
    ruleset: r.ruleset,
    ...nonEmpty(
      'redFlags',
      r.redFlags.map((f) => ({
        code: f.code,
        urgency: f.urgency,
        ruleId: f.ruleId,
        ruleVersion: f.ruleVersion,
      })),
    ),
    ...nonEmpty(
      'findings',
      r.findings.map((f) => ({
        id: f.id,
        ...(f.band === undefined ? {} : { band: f.band }),
        ...(f.score === undefined ? {} : { score: f.score }),
        ...(f.value === undefined ? {} : { value: f.value }),
        ...(f.unit === undefined ? {} : { unit: f.unit }),
        ...(f.ulnMultiple === undefined ? {} : { ulnMultiple: f.ulnMultiple }),
        evidenceGrade: f.evidenceGrade,
        ruleId: f.ruleId,
        ruleVersion: f.ruleVersion,
      })),
    ),
    ...nonEmpty(
      'interventions',
      r.interventions.map((i) => ({
        id: i.id,
        status: i.status,
        evidenceGrade: i.evidenceGrade,
        requested: i.requested,
        ...(i.current === true ? { current: true } : {}),
        catalog: catalogInfo(i),
        ...nonEmpty(
          'reasons',
          i.reasons.map((x) => ({
            code: x.code,
            kind: x.kind,
            ...(x.ruleId === undefined ? {} : { ruleId: x.ruleId }),
            ...(x.ruleVersion === undefined ? {} : { ruleVersion: x.ruleVersion }),
          })),
        ),
      })),
    ),
    ...nonEmpty(
      'dataIssues',
      r.dataIssues.map((d) => ({
        code: d.code,
        pointer: d.pointer,
        ...(d.ruleId === undefined ? {} : { ruleId: d.ruleId }),
        ...(d.ruleVersion === undefined ? {} : { ruleVersion: d.ruleVersion }),
      })),
    ),
    ...nonEmpty(
      'rulesFired',
      r.hits.map((h) => ({ ruleId: h.ruleId, version: h.version })),
    ),
  };
}

/**
 * Cards for one answer: one per red flag, one per blocked or cautioned requested agent (drafts
 * included), and one info card summarising findings, options and data issues.
 */
export function cardsFor(c: CardContext): CdsResponse {
  const cards: Card[] = c.response.redFlags.map((f) => redFlagCard(c, f));
  for (const i of c.response.interventions) {
    if (!i.requested || (i.status !== 'blocked' && i.status !== 'caution')) continue;
    // A taken supplement checked against draft drugs gets a card only if the drafts changed it.
    if (c.takenUnderReview.has(i.id) && !c.changedByDrafts.has(i.id)) continue;
    cards.push(agentCard(c, i));
  }
  cards.push(summaryCard(c));
  return { cards, extension: { [EXTENSION_KEY]: evaluationExtension(c.response) } };
}
