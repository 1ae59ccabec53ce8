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

  it('when PHQ-9 item 9 comes alone, then 422 points at the item Observation', async () => {
    const item9 = {
      resource: {
        resourceType: 'Observation',
        id: 'i9',
        status: 'final',
        code: { coding: [{ system: SYSTEM.loinc, code: '44260-8' }] },
        valueInteger: 3,
      },
    };
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', FHIR)
      .send(JSON.stringify({ ...bundle, entry: [...bundle.entry, item9] }));
    expect(res.status).toBe(422);
    expect((res.body as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe(
      'Observation/i9/valueInteger',
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
