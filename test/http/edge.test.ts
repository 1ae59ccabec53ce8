import request from 'supertest';
import { makeApp } from '../support/app';

const { app } = makeApp();

function problem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(res.text)).toMatchObject({ status, code });
}

describe('malformed percent-escapes in the path', () => {
  it.each([
    ['GET', '/v1/rules/%ZZ'],
    ['GET', '/v1/rules/%'],
    ['GET', '/v1/rules/%C3%28'],
    ['GET', '/v1/%E0%A4%A'],
    ['GET', '/nowhere/%zz'],
    ['POST', '/v1/evaluations%ZZ'],
    ['DELETE', '/v1/ruleset/%ZZ'],
  ])('when %s %s is asked, then 400 BAD-PATH problem+json', async (method, path) => {
    const res = await request(app)[method.toLowerCase() as 'get'](path);
    problem(res, 400, 'BAD-PATH');
  });

  it('when a rule id is well-formed percent-encoding, then it is decoded and looked up', async () => {
    const res = await request(app).get('/v1/rules/%52F-NOT-A-RULE');
    problem(res, 404, 'RULE-NOT-FOUND');
  });
});

describe('405 with Allow, for every route', () => {
  it.each([
    ['delete', '/v1/ruleset', 'GET, HEAD'],
    ['put', '/v1/rules/RF-SI', 'GET, HEAD'],
    ['post', '/v1/catalog', 'GET, HEAD'],
    ['get', '/v1/evaluations', 'POST'],
    ['delete', '/v1/evaluations', 'POST'],
    ['post', '/livez', 'GET, HEAD'],
    ['patch', '/readyz', 'GET, HEAD'],
    ['post', '/openapi.json', 'GET, HEAD'],
    ['delete', '/metrics', 'GET, HEAD'],
  ])('when %s %s is asked, then 405 with Allow: %s', async (method, path, allow) => {
    const res = await request(app)[method as 'get'](path);
    problem(res, 405, 'METHOD-NOT-ALLOWED');
    expect(res.headers.allow).toBe(allow);
  });

  it('when OPTIONS is asked on a route, then Express answers its methods in Allow', async () => {
    const res = await request(app).options('/v1/ruleset');
    expect(res.status).toBe(200);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('when a path matches no route, then 404 without Allow', async () => {
    const res = await request(app).delete('/v1/nothing-here');
    problem(res, 404, 'NOT-FOUND');
    expect(res.headers.allow).toBeUndefined();
  });
});
