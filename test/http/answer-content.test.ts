/**
 * Answers a clinician can read on their own (issue #11 classes 6, 7, 10), through the real HTTP
 * stack on the shipped rules: each intervention carries what the catalog knows, findings carry
 * their score or value, current supplements are reported as current, and a request with no data
 * holds every supplement.
 */
import addFormats from 'ajv-formats';
import request from 'supertest';
import type { EvaluationResponse, InterventionOut } from '../../src/engine/response-types';
import { createAjv, readSchema } from '../../src/lib/schemas';
import { makeApp, shippedRuleset } from '../support/app';
import { phq9 } from '../support/factories';

const { app } = makeApp();
const { catalog } = shippedRuleset();
const ajv = createAjv();
addFormats(ajv);
const validateResponse = ajv.compile(readSchema('evaluation-response.schema.json'));

async function evaluate(body: Record<string, unknown>): Promise<EvaluationResponse> {
  const res = await request(app).post('/v1/evaluations').send(body);
  expect(res.status).toBe(200);
  expect(validateResponse(res.body)).toBe(true);
  return res.body as EvaluationResponse;
}

const byId = (res: EvaluationResponse, id: string): InterventionOut | undefined =>
  res.interventions.find((i) => i.id === id);

const KNOWN = {
  medications: { attested: true, items: [] },
  questionnaires: [phq9([0, 0, 0, 0, 0, 0, 0, 0, 0])],
};

describe('what each intervention carries from the catalog', () => {
  it('when 5-HTP and iron are asked about, then each carries its catalog name, mechanism, studied dose, upper limit and references beside its grade', async () => {
    const res = await evaluate({
      patient: { age: 40, sex: 'male' },
      ...KNOWN,
      requested: ['5-htp', 'iron'],
    });
    for (const id of ['5-htp', 'iron']) {
      const entry = catalog.interventions.get(id);
      const got = byId(res, id);
      expect(entry).toBeDefined();
      expect(got?.evidenceGrade).toBe(entry?.evidenceGrade);
      expect(got?.catalog.name).toBe(entry?.name);
      expect(got?.catalog.mechanism).toBe(entry?.mechanism);
      expect(got?.catalog.studiedDose).toEqual(entry?.studiedDose);
      expect(got?.catalog.upperLimit).toEqual(entry?.upperLimit);
      expect(got?.catalog.references).toEqual(entry?.references);
      expect(got?.catalog.references.length).toBeGreaterThan(0);
    }
    expect(byId(res, '5-htp')?.catalog.studiedDose).toMatchObject({
      min: 50,
      max: 300,
      unit: 'mg',
    });
    expect(byId(res, 'iron')?.catalog.upperLimit).toMatchObject({ value: 45, unit: 'mg' });
  });
});

describe('what each finding carries beside its band', () => {
  it('when a PHQ-9 and a GAD-7 total are sent, then each severity finding carries its score beside its band', async () => {
    const res = await evaluate({
      patient: { age: 40, sex: 'male' },
      medications: { attested: true, items: [] },
      questionnaires: [phq9([2, 2, 2, 1, 1, 1, 1, 1, 0]), { instrument: 'gad-7', total: 16 }],
    });
    expect(res.findings.find((f) => f.id === 'phq-9-severity')).toMatchObject({
      band: 'moderate',
      score: 11,
    });
    expect(res.findings.find((f) => f.id === 'gad-7-severity')).toMatchObject({
      band: 'severe',
      score: 16,
    });
  });

  it('when urinary GABA is sent in nmol/mmol and is low, then its finding carries the value converted to ug/g{creat} and its multiple of the upper limit', async () => {
    const res = await evaluate({
      patient: { age: 40, sex: 'male' },
      medications: { attested: true, items: [] },
      biomarkers: [
        {
          analyte: 'gaba',
          value: 100,
          unit: 'nmol/mmol{creat}',
          referenceRange: { low: 200, high: 400, unit: 'ug/g{creat}' },
        },
      ],
    });
    const gaba = res.findings.find((f) => f.id === 'gaba-low');
    expect(gaba?.unit).toBe('ug/g{creat}');
    // 100 nmol/mmol × 103.12 / 113.12 (clinical-reference §1.6) ≈ 91.2 ug/g
    expect(gaba?.value).toBeCloseTo(91.16, 1);
    expect(gaba?.ulnMultiple).toBeCloseTo(91.16 / 400, 3);
  });

  it('when ferritin is low, then the iron-deficiency pattern (a named pattern on one analyte) carries the ferritin value', async () => {
    const res = await evaluate({
      patient: { age: 40, sex: 'male' },
      ...KNOWN,
      biomarkers: [
        { analyte: 'ferritin', value: 9, unit: 'ug/L', referenceRange: { low: 30, high: 300 } },
      ],
    });
    expect(res.findings.find((f) => f.id === 'iron-deficiency-pattern')).toMatchObject({
      value: 9,
      unit: 'ug/L',
    });
  });
});

describe('current supplements', () => {
  it('when a man who takes rhodiola reports bipolar disorder, then rhodiola is current with CAU-BIPOLAR and an agent only asked about is not marked current', async () => {
    const res = await evaluate({
      patient: { age: 40, sex: 'male' },
      ...KNOWN,
      conditions: [{ id: 'bipolar-disorder' }],
      supplements: [{ id: 'rhodiola' }],
      requested: ['saffron'],
    });
    expect(byId(res, 'rhodiola')).toMatchObject({ status: 'caution', current: true });
    expect(byId(res, 'rhodiola')?.reasons.map((r) => r.code)).toContain('CAU-BIPOLAR');
    expect(byId(res, 'saffron')).toBeDefined();
    expect(byId(res, 'saffron')).not.toHaveProperty('current');
  });
});

describe('no data at all', () => {
  it('when only an age is sent, then every supplement asked about is deferred by policy.hold.no-baseline-data with one reason per missing datum', async () => {
    const res = await evaluate({ patient: { age: 40 }, requested: ['magnesium', 'iron'] });
    for (const id of ['magnesium', 'iron']) {
      const got = byId(res, id);
      expect(got?.status).toBe('deferred');
      const held = got?.reasons.filter((r) => r.policyId === 'policy.hold.no-baseline-data');
      expect(held?.map((r) => [r.code, r.detail])).toEqual([
        ['DEF-DATA-MISSING', 'kidney-function'],
        ['DEF-DATA-MISSING', 'medication-list'],
        ['DEF-DATA-MISSING', 'phq9-item9'],
      ]);
    }
  });

  it('when the medication list is attested, then the no-data hold is lifted and an unindicated magnesium gets the no-indication caution', async () => {
    const res = await evaluate({
      patient: { age: 40, sex: 'male' },
      medications: { attested: true, items: [] },
      requested: ['magnesium'],
    });
    expect(byId(res, 'magnesium')?.status).toBe('caution');
    expect(byId(res, 'magnesium')?.reasons.map((r) => r.code)).toEqual(['CAU-NO-INDICATION']);
  });
});
