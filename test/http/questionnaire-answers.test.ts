import request from 'supertest';
import type { EvaluationResponse } from '../../src/engine/response-types';
import { makeApp } from '../support/app';
import { makeRequest } from '../support/factories';

const { app } = makeApp();

const evaluate = (questionnaire: Record<string, unknown>, requested: string[] = ['l-theanine']) =>
  request(app)
    .post('/v1/evaluations')
    .send(makeRequest({ questionnaires: [{ instrument: 'phq-9', ...questionnaire }], requested }));

const statusOf = (body: EvaluationResponse, id: string) =>
  body.interventions.find((i) => i.id === id)?.status;

describe('POST /v1/evaluations with questionnaire answers[] (single items known on their own)', () => {
  it('when PHQ-9 item 9 is answered 1 on its own, then RF-SI is raised and supplements are deferred', async () => {
    const res = await evaluate({ answers: [{ item: 9, value: 1 }] });
    expect(res.status).toBe(200);
    const body = res.body as EvaluationResponse;
    expect(body.redFlags.map((f) => f.code)).toEqual(['RF-SI']);
    expect(statusOf(body, 'l-theanine')).toBe('deferred');
    expect(body.dataIssues.map((d) => d.code)).not.toContain('DATA-ITEM9-MISSING');
  });

  it('when PHQ-9 item 9 is answered 0 with a total, then the item-9 hold lifts and the band comes from the total', async () => {
    const held = (await evaluate({ total: 12 })).body as EvaluationResponse;
    expect(held.dataIssues.map((d) => d.code)).toContain('DATA-ITEM9-MISSING');
    expect(statusOf(held, 'l-theanine')).toBe('deferred');

    const res = await evaluate({ total: 12, answers: [{ item: 9, value: 0 }] });
    expect(res.status).toBe(200);
    const body = res.body as EvaluationResponse;
    expect(body.redFlags).toEqual([]);
    expect(body.dataIssues.map((d) => d.code)).not.toContain('DATA-ITEM9-MISSING');
    expect(body.findings.find((f) => f.id === 'phq-9-severity')).toMatchObject({
      band: 'moderate',
    });
    expect(statusOf(body, 'l-theanine')).not.toBe('deferred');
  });

  it('when answers leave item 9 out, then DATA-ITEM9-MISSING still holds the supplements', async () => {
    const res = await evaluate({ total: 12, answers: [{ item: 1, value: 3 }] });
    expect(res.status).toBe(200);
    const body = res.body as EvaluationResponse;
    expect(body.dataIssues.find((d) => d.code === 'DATA-ITEM9-MISSING')?.pointer).toBe(
      '/questionnaires/0',
    );
    expect(statusOf(body, 'l-theanine')).toBe('deferred');
  });

  it.each([
    [
      'a total the answers contradict',
      { total: 2, answers: [{ item: 9, value: 3 }] },
      '/questionnaires/0/total',
    ],
    [
      'an item number beyond the instrument',
      { answers: [{ item: 10, value: 0 }] },
      '/questionnaires/0/answers/0/item',
    ],
    [
      'items and answers together',
      { items: [0, 0, 0, 0, 0, 0, 0, 0, 0], answers: [{ item: 9, value: 0 }] },
      '/questionnaires/0/answers',
    ],
  ])('when the questionnaire has %s, then 422 points at it', async (_name, q, pointer) => {
    const res = await evaluate(q);
    expect(res.status).toBe(422);
    expect((res.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toContain(
      pointer,
    );
  });

  it('when an answer has an unknown field, then 400', async () => {
    const res = await evaluate({ answers: [{ item: 9, value: 0, note: 'x' }] });
    expect(res.status).toBe(400);
  });
});
