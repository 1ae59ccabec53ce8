/**
 * CDS Hooks cards for supplements the patient takes now: a caution on a current agent is worded
 * as a review, never listed as an option, and the extension marks it current. Cards are built by
 * cardsFor() from a real answer of the shipped rules (the same answer POST /cds-services gives).
 */
import { EXTENSION_KEY, cardsFor } from '../../src/cdshooks/cards';
import type { CardContext } from '../../src/cdshooks/cards';
import { answer, serveRuleset } from '../../src/engine/answer';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { shippedRuleset } from '../support/app';
import { responseViolations } from './support';

const ruleset = shippedRuleset();
const served = serveRuleset(ruleset);
const now = (): Date => new Date('2026-01-15T09:00:00Z');

function answered(body: Record<string, unknown>): EvaluationResponse {
  const a = answer(served, body, { traceFull: false, now });
  if (!a.ok) throw new Error(a.rejection.detail);
  return a.response;
}

function context(response: EvaluationResponse, taken: readonly string[] = []): CardContext {
  return {
    catalog: ruleset.catalog,
    response,
    baseUrl: 'https://cds.example',
    drafts: [],
    takenUnderReview: new Set(taken),
    changedByDrafts: new Set(taken),
  };
}

const RHODIOLA_BIPOLAR = {
  patient: { age: 40, sex: 'male' },
  medications: { attested: true, items: [] },
  conditions: [{ id: 'bipolar-disorder' }],
  supplements: [{ id: 'rhodiola' }],
};

describe('cards for current supplements', () => {
  it('when a patient with bipolar disorder takes rhodiola, then the summary card lists it under "Taken now (review)" as a review and not under Options', () => {
    const res = answered(RHODIOLA_BIPOLAR);
    const out = cardsFor(context(res));
    expect(responseViolations(out)).toEqual([]);
    const summary = out.cards.find((c) => c.indicator === 'info');
    const detail = summary?.detail ?? '';
    expect(detail).toContain('**Taken now (review)**');
    expect(detail).toMatch(/Rhodiola[^\n]*: review \(CAU-BIPOLAR\)/);
    const options = detail.split('**Options**')[1]?.split('**')[0] ?? '';
    expect(options).not.toMatch(/Rhodiola/);
    expect(summary?.summary).toMatch(/0 options/);
  });

  it('when a taken rhodiola is checked and cautioned, then its card says "review", not "caution", and names it as taken', () => {
    // The order-select path: a taken supplement is checked as if asked about.
    const res = answered({ ...RHODIOLA_BIPOLAR, requested: ['rhodiola'] });
    const out = cardsFor(context(res, ['rhodiola']));
    expect(responseViolations(out)).toEqual([]);
    const card = out.cards.find((c) => c.indicator === 'warning');
    expect(card?.summary).toMatch(/\(taken now\): review \(CAU-BIPOLAR\)/);
    expect(card?.summary).not.toMatch(/caution/);
    expect(card?.detail).toMatch(/taken now\) — status \*\*caution\*\*: review/);
  });

  it('when an agent is only asked about, then its card still says "caution"', () => {
    const res = answered({ ...RHODIOLA_BIPOLAR, supplements: [], requested: ['rhodiola'] });
    const card = cardsFor(context(res)).cards.find((c) => c.indicator === 'warning');
    expect(card?.summary).toMatch(/: caution \(CAU-BIPOLAR\)/);
  });

  it('when the extension carries the evaluation, then a current agent is marked current and each intervention carries its grade and catalog info', () => {
    const res = answered(RHODIOLA_BIPOLAR);
    const ext = cardsFor(context(res)).extension[EXTENSION_KEY] as {
      interventions: {
        id: string;
        current?: boolean;
        evidenceGrade?: string;
        catalog?: { name?: string; studiedDose?: unknown; references?: string[] };
      }[];
    };
    const rhodiola = ext.interventions.find((i) => i.id === 'rhodiola');
    const entry = ruleset.catalog.interventions.get('rhodiola');
    expect(rhodiola?.current).toBe(true);
    expect(rhodiola?.evidenceGrade).toBe(entry?.evidenceGrade);
    expect(rhodiola?.catalog?.name).toBe(entry?.name);
    expect(rhodiola?.catalog?.studiedDose).toEqual(entry?.studiedDose);
    expect(rhodiola?.catalog?.references).toEqual(entry?.references);
  });
});
