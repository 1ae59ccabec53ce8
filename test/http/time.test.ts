/**
 * Time, duplicates and every data issue at once (issue 11 classes 1-3), through the real HTTP
 * stack on the shipped rules: what the regression cases cannot say (422s, pointers, provenance).
 */
import request from 'supertest';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { makeApp } from '../support/app';
import { makeRequest } from '../support/factories';

const { app } = makeApp();
const ASOF = '2026-01-15T09:00:00Z';

const ne = (value: number, collectedAt?: string): Record<string, unknown> => ({
  analyte: 'norepinephrine',
  value,
  unit: 'ug/g',
  referenceRange: { low: 0, high: 45 },
  ...(collectedAt === undefined ? {} : { collectedAt }),
});

async function evaluate(body: Record<string, unknown>): Promise<EvaluationResponse> {
  const res = await request(app).post('/v1/evaluations').send(body);
  expect(res.status).toBe(200);
  return res.body as EvaluationResponse;
}

async function refused(body: Record<string, unknown>): Promise<string[]> {
  const res = await request(app).post('/v1/evaluations').send(body);
  expect(res.status).toBe(422);
  const problem = res.body as { code: string; errors: { pointer: string }[] };
  expect(problem.code).toBe('INCONSISTENT-REQUEST');
  return problem.errors.map((e) => e.pointer);
}

const issues = (a: EvaluationResponse): string[] =>
  a.dataIssues.map((d) => `${d.code} ${d.pointer}`).sort();

describe('results dated after asOf are refused', () => {
  it('when a biomarker is collected 1 s after asOf, then 422 INCONSISTENT-REQUEST points at its collectedAt', async () => {
    expect(await refused(makeRequest({ biomarkers: [ne(30, '2026-01-15T09:00:01Z')] }))).toEqual([
      '/biomarkers/0/collectedAt',
    ]);
  });

  it('when a biomarker is collected exactly at asOf, then it is answered', async () => {
    await evaluate(makeRequest({ biomarkers: [ne(30, ASOF)] }));
  });

  it('when asOf carries an offset, then the instant is compared, not the text', async () => {
    // 10:00+01:00 is 09:00Z: a result at 09:00:30Z is 30 s in the future.
    expect(
      await refused(
        makeRequest({
          asOf: '2026-01-15T10:00:00+01:00',
          biomarkers: [ne(30, '2026-01-15T09:00:30Z')],
        }),
      ),
    ).toEqual(['/biomarkers/0/collectedAt']);
  });

  it('when a questionnaire is completed after asOf, then 422 points at its completedAt', async () => {
    expect(
      await refused(
        makeRequest({
          questionnaires: [{ instrument: 'gad-7', total: 5, completedAt: '2026-01-16T00:00:00Z' }],
        }),
      ),
    ).toEqual(['/questionnaires/0/completedAt']);
  });

  it('when the request has no asOf, then results are compared with the service clock', async () => {
    const body = makeRequest({ biomarkers: [ne(30, '2999-01-01T00:00:00Z')] });
    delete body.asOf;
    expect(await refused(body)).toEqual(['/biomarkers/0/collectedAt']);
  });
});

describe('medication stop dates', () => {
  const phenelzine = (extra: Record<string, unknown>) =>
    makeRequest({
      medications: { attested: true, items: [{ name: 'phenelzine', status: 'stopped', ...extra }] },
      requested: ['5-htp'],
    });

  it('when both stoppedOn and stoppedDaysAgo are given, then 422 points at stoppedOn', async () => {
    expect(await refused(phenelzine({ stoppedOn: '2026-01-10', stoppedDaysAgo: 5 }))).toEqual([
      '/medications/items/0/stoppedOn',
    ]);
  });

  it('when stoppedOn is after the date of asOf, then 422', async () => {
    expect(await refused(phenelzine({ stoppedOn: '2026-01-16' }))).toEqual([
      '/medications/items/0/stoppedOn',
    ]);
  });

  it('when an active medication has a stoppedOn, then 422', async () => {
    const body = makeRequest({
      medications: {
        attested: true,
        items: [{ name: 'sertraline', status: 'active', stoppedOn: '2026-01-10' }],
      },
    });
    expect(await refused(body)).toEqual(['/medications/items/0/stoppedOn']);
  });

  it('when stoppedOn is not a calendar date, then 400 INVALID-REQUEST', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .send(phenelzine({ stoppedOn: '2026-01-10T00:00:00Z' }));
    expect(res.status).toBe(400);
  });

  it.each([
    ['2026-01-15', 'blocked'],
    ['2026-01-02', 'blocked'],
    ['2026-01-01', 'caution'],
  ])(
    'when phenelzine was stopped on %s (asOf 2026-01-15, washout 14 days), then 5-HTP is %s',
    async (stoppedOn, status) => {
      const a = await evaluate(phenelzine({ stoppedOn }));
      expect(a.interventions.find((i) => i.id === '5-htp')?.status).toBe(status);
    },
  );

  it("when asOf's own date differs from its UTC date, then days count from asOf's own date", async () => {
    // 2026-01-15T01:00+05:00 is 2026-01-14 in UTC; its own calendar date is the 15th: 14 days.
    const body = { ...phenelzine({ stoppedOn: '2026-01-01' }), asOf: '2026-01-15T01:00:00+05:00' };
    const a = await evaluate(body);
    expect(a.interventions.find((i) => i.id === '5-htp')?.status).toBe('caution');
  });
});

describe('every data issue of a result, each with its pointer and rule', () => {
  it('when a urine value has no unit and no range, then unit, creatinine and range issues are all reported', async () => {
    const a = await evaluate(makeRequest({ biomarkers: [{ analyte: 'serotonin', value: 40 }] }));
    expect(issues(a)).toEqual([
      'DATA-CREAT-MISSING /biomarkers/0/unit',
      'DATA-RI-MISSING /biomarkers/0/referenceRange',
      'DATA-UNIT-MISSING /biomarkers/0/unit',
    ]);
    for (const d of a.dataIssues) expect(d.ruleId).toMatch(/^data\./);
  });

  it('when a printed range has no unit of its own and the result has none, then the missing unit is reported once', async () => {
    const a = await evaluate(
      makeRequest({ biomarkers: [{ analyte: 'ferritin', value: 9, referenceRange: { low: 15 } }] }),
    );
    expect(issues(a)).toEqual(['DATA-UNIT-MISSING /biomarkers/0/unit']);
  });

  it('when a serum value has no unit and no range, then no creatinine issue is reported', async () => {
    const a = await evaluate(makeRequest({ biomarkers: [{ analyte: 'ferritin', value: 9 }] }));
    expect(issues(a)).toEqual([
      'DATA-RI-MISSING /biomarkers/0/referenceRange',
      'DATA-UNIT-MISSING /biomarkers/0/unit',
    ]);
  });
});

describe('duplicates and staleness point at the results concerned', () => {
  it('when the older of two dated results is listed second, then only it is reported as a duplicate', async () => {
    const a = await evaluate(
      makeRequest({ biomarkers: [ne(90, '2026-01-14T08:00:00Z'), ne(30, '2026-01-13T08:00:00Z')] }),
    );
    expect(issues(a)).toEqual(['DATA-DUPLICATE-ANALYTE /biomarkers/1']);
    expect(a.findings.map((f) => f.id)).toContain('norepinephrine-high');
    expect(a.dataIssues[0]).toMatchObject({ ruleId: 'data.duplicate.analyte', ruleVersion: 1 });
  });

  it('when two undated results are sent, then each is reported and the analyte is not interpreted', async () => {
    const a = await evaluate(makeRequest({ biomarkers: [ne(148.5), ne(30)] }));
    expect(issues(a)).toEqual([
      'DATA-DUPLICATE-ANALYTE /biomarkers/0',
      'DATA-DUPLICATE-ANALYTE /biomarkers/1',
    ]);
    expect(a.redFlags.map((f) => f.code)).toEqual(['RF-PHEO']);
    expect(a.findings.map((f) => f.id)).not.toContain('norepinephrine-high');
  });

  it('when a biomarker and a questionnaire are stale, then DATA-STALE points at each date, with its rule', async () => {
    const a = await evaluate(
      makeRequest({
        biomarkers: [ne(30, '2025-01-15T09:00:00Z')],
        questionnaires: [{ instrument: 'gad-7', total: 13, completedAt: '2025-12-01T09:00:00Z' }],
      }),
    );
    expect(issues(a)).toEqual([
      'DATA-STALE /biomarkers/0/collectedAt',
      'DATA-STALE /questionnaires/0/completedAt',
    ]);
    for (const d of a.dataIssues)
      expect(d).toMatchObject({ ruleId: 'data.time.stale', ruleVersion: 1 });
    expect(a.dataIssues[0]?.detail).toMatch(
      /365 days before asOf; window 90 days \(policy\.staleness v1\)/,
    );
  });

  it('when a stale PHQ-9 has item 9 answered, then RF-SI is not raised from it but item 9 is asked again and supplements are held', async () => {
    const a = await evaluate(
      makeRequest({
        questionnaires: [
          {
            instrument: 'phq-9',
            items: [1, 1, 1, 1, 1, 1, 1, 1, 2],
            completedAt: '2025-11-01T09:00:00Z',
          },
        ],
        requested: ['saffron'],
      }),
    );
    expect(issues(a)).toEqual([
      'DATA-ITEM9-MISSING /questionnaires/0',
      'DATA-STALE /questionnaires/0/completedAt',
    ]);
    const saffron = a.interventions.find((i) => i.id === 'saffron');
    expect(saffron?.status).toBe('deferred');
    expect(saffron?.reasons).toContainEqual(
      expect.objectContaining({
        code: 'DATA-ITEM9-MISSING',
        policyId: 'policy.hold.item9-missing',
      }),
    );
  });
});
