import request from 'supertest';
import { SYSTEM } from '../../src/fhir/codes';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { makeApp } from '../support/app';

const { app } = makeApp();
const FHIR = 'application/fhir+json';

const bundle = {
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    { resource: { resourceType: 'Patient', id: 'p1', birthDate: '1980-06-01', gender: 'male' } },
    {
      resource: {
        resourceType: 'MedicationStatement',
        id: 'unk',
        status: 'active',
        medicationCodeableConcept: { coding: [{ system: SYSTEM.rxnorm, code: '617993' }] },
      },
    },
    {
      resource: {
        resourceType: 'Observation',
        id: 'dopa',
        status: 'final',
        code: { coding: [{ system: SYSTEM.loinc, code: '24524-1' }] },
        valueQuantity: { value: 150 },
      },
    },
  ],
};

describe('POST /v1/evaluations with a FHIR R4 Bundle (application/fhir+json)', () => {
  it('when a Bundle is sent as fhir+json, then it is answered and data issues point at FHIR elements', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', FHIR)
      .send(JSON.stringify(bundle));
    expect(res.status).toBe(200);
    const body = res.body as EvaluationResponse;
    const byCode = new Map(body.dataIssues.map((d) => [d.code, d.pointer]));
    expect(byCode.get('DATA-MED-UNKNOWN')).toBe(
      'MedicationStatement/unk/medicationCodeableConcept',
    );
    expect(byCode.get('DATA-MEDS-UNATTESTED')).toBe(
      `List?code=${SYSTEM.loinc}|10160-0&status=current`,
    );
    expect(byCode.get('DATA-UNIT-MISSING')).toBe('Observation/dopa/valueQuantity/unit');
    for (const d of body.dataIssues) expect(d.pointer.startsWith('/')).toBe(false);
  });

  it('when a Condition is coded in SNOMED CT the catalog cannot map, then DATA-CONDITION-UNKNOWN points at its code', async () => {
    const withCondition = {
      ...bundle,
      entry: [
        ...bundle.entry,
        {
          resource: {
            resourceType: 'Condition',
            id: 'dm2',
            code: { coding: [{ system: SYSTEM.snomed, code: '44054006' }] },
          },
        },
      ],
    };
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', FHIR)
      .send(JSON.stringify(withCondition));
    expect(res.status).toBe(200);
    const body = res.body as EvaluationResponse;
    const issue = body.dataIssues.find((d) => d.code === 'DATA-CONDITION-UNKNOWN');
    expect(issue?.pointer).toBe('Condition/dm2/code');
    expect(issue?.ruleId).toBe('data.condition-unknown');
  });

  it('when the Bundle has no Patient birth date, then 400 points at Patient/birthDate', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', FHIR)
      .send(
        JSON.stringify({ ...bundle, entry: [{ resource: { resourceType: 'Patient', id: 'p1' } }] }),
      );
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.body as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe(
      'Patient/p1/birthDate',
    );
  });

  it('when a native body is sent as fhir+json, then 400 INVALID-REQUEST', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', FHIR)
      .send(JSON.stringify({ patient: { age: 30 } }));
    expect(res.status).toBe(400);
    expect((res.body as { code: string }).code).toBe('INVALID-REQUEST');
  });

  const observation = (id: string, code: string, valueInteger: number) => ({
    resource: {
      resourceType: 'Observation',
      id,
      status: 'final',
      code: { coding: [{ system: SYSTEM.loinc, code }] },
      valueInteger,
    },
  });
  const evaluate = async (...extra: ReturnType<typeof observation>[]) =>
    request(app)
      .post('/v1/evaluations')
      .set('content-type', FHIR)
      .send(JSON.stringify({ ...bundle, entry: [...bundle.entry, ...extra] }));

  it.each([
    [1, ['RF-SI']],
    [3, ['RF-SI', 'RF-SI-HIGH']],
  ])(
    'when PHQ-9 item 9 (44260-8) comes alone with %i, then item 9 is known: %j, and no DATA-ITEM9-MISSING',
    async (value, flags) => {
      const res = await evaluate(observation('i9', '44260-8', value));
      expect(res.status).toBe(200);
      const body = res.body as EvaluationResponse;
      expect(body.redFlags.map((f) => f.code).sort()).toEqual(flags);
      expect(body.dataIssues.map((d) => d.code)).not.toContain('DATA-ITEM9-MISSING');
      // No total is made up from one item: no PHQ-9 severity finding.
      expect(body.findings.map((f) => f.id)).not.toContain('phq-9-severity');
    },
  );

  it('when PHQ-9 item 9 comes alone with 0, then no red flag and no item-9 hold', async () => {
    const res = await evaluate(observation('i9', '44260-8', 0));
    expect(res.status).toBe(200);
    const body = res.body as EvaluationResponse;
    expect(body.redFlags).toEqual([]);
    expect(body.dataIssues.map((d) => d.code)).not.toContain('DATA-ITEM9-MISSING');
  });

  it('when a PHQ-9 total comes with item 1 but not item 9, then DATA-ITEM9-MISSING points at the total', async () => {
    const res = await evaluate(observation('t', '44261-6', 12), observation('i1', '44250-9', 2));
    expect(res.status).toBe(200);
    const body = res.body as EvaluationResponse;
    expect(body.dataIssues.find((d) => d.code === 'DATA-ITEM9-MISSING')?.pointer).toMatch(
      /^Observation\/(t|i1)/,
    );
    expect(body.findings.find((f) => f.id === 'phq-9-severity')).toBeDefined();
  });

  it('when a symptom Observation has a severity above 3, then 400 points at its value', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', FHIR)
      .send(
        JSON.stringify({
          ...bundle,
          entry: [
            ...bundle.entry,
            {
              resource: {
                resourceType: 'Observation',
                id: 'sy',
                status: 'final',
                code: { coding: [{ system: SYSTEM.symptom, code: 'agitation' }] },
                valueInteger: 4,
              },
            },
          ],
        }),
      );
    expect(res.status).toBe(400);
    expect((res.body as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe(
      'Observation/sy/valueInteger',
    );
  });

  it('when PHQ-9 item 9 contradicts the total (3 with a total of 2), then 422 points at the total Observation', async () => {
    const res = await evaluate(observation('i9', '44260-8', 3), observation('t', '44261-6', 2));
    expect(res.status).toBe(422);
    expect((res.body as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe(
      'Observation/t/valueInteger',
    );
  });

  it('when the same Bundle is sent as application/json, then it is refused as not a native request', async () => {
    const res = await request(app).post('/v1/evaluations').send(bundle);
    expect(res.status).toBe(400);
  });

  it('when another media type is sent, then 415 names both accepted types', async () => {
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'text/plain')
      .send('x');
    expect(res.status).toBe(415);
  });
});
