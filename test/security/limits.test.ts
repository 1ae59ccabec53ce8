import net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createHttpServer } from '../../src/http/server';
import { readSchema } from '../../src/lib/schemas';
import { makeApp } from '../support/app';
import { makeRequest } from '../support/factories';

const { app } = makeApp();

describe('input limits and security headers', () => {
  it('when any route answers, then helmet security headers are set and x-powered-by is not', async () => {
    for (const res of [
      await request(app).get('/livez'),
      await request(app).post('/v1/evaluations').send(makeRequest()),
      await request(app).post('/v1/evaluations').send({}),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'a=b'],
    ['multipart/form-data; boundary=x', '--x--'],
    ['application/xml', '<a/>'],
  ])('when the body is %s, then it is 415 UNSUPPORTED-MEDIA-TYPE', async (type, text) => {
    const res = await request(app).post('/v1/evaluations').set('content-type', type).send(text);
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UNSUPPORTED-MEDIA-TYPE');
  });

  it('when the JSON body is larger than 256 KB, then it is 413 BODY-TOO-LARGE', async () => {
    const big = JSON.stringify({ ...makeRequest(), pad: 'x'.repeat(262144) });
    const res = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'application/json')
      .send(big);
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('BODY-TOO-LARGE');
  });

  it('when the body nests 33 deep, then it is 400 NESTING-TOO-DEEP; at 32 it reaches schema validation', async () => {
    const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const deep = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'application/json')
      .send(`{"x":${nest(32)}}`);
    expect(deep.body.code).toBe('NESTING-TOO-DEEP');
    const ok = await request(app)
      .post('/v1/evaluations')
      .set('content-type', 'application/json')
      .send(`{"x":${nest(31)}}`);
    expect(ok.body.code).toBe('INVALID-REQUEST');
  });

  it('every array and free string in the request schema is bounded (maxItems, maxLength or an enum)', () => {
    const unbounded: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) {
        node.forEach((n, i) => {
          walk(n, `${at}/${i}`);
        });
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      const types = Array.isArray(n.type) ? n.type : [n.type];
      if (types.includes('array') && typeof n.maxItems !== 'number') unbounded.push(at);
      if (
        types.includes('string') &&
        typeof n.maxLength !== 'number' &&
        !('enum' in n) &&
        !('const' in n)
      )
        unbounded.push(at);
      for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
    };
    walk(readSchema('evaluation-request.schema.json'), '#');
    expect(unbounded).toEqual([]);
  });

  it('when an array or string is over its bound, then it is 400 INVALID-REQUEST naming the field', async () => {
    const tooMany = makeRequest({
      medications: {
        attested: true,
        items: Array.from({ length: 1000 }, () => ({ name: 'sertraline', status: 'active' })),
      },
    });
    const res1 = await request(app).post('/v1/evaluations').send(tooMany);
    expect(res1.status).toBe(400);
    expect(res1.body.errors[0].pointer).toBe('/medications/items');
    const longName = makeRequest({
      medications: { attested: true, items: [{ name: 'x'.repeat(121), status: 'active' }] },
    });
    const res2 = await request(app).post('/v1/evaluations').send(longName);
    expect(res2.status).toBe(400);
    expect(res2.body.errors[0].pointer).toBe('/medications/items/0/name');
  });
});

describe('server timeouts (src/http/server.ts, used by main.ts)', () => {
  it('when a client sends headers and then stalls, then the server gives up after REQUEST_TIMEOUT_MS', async () => {
    const server = createHttpServer(app, { requestTimeoutMs: 1000 });
    expect(server.requestTimeout).toBe(1000);
    expect(server.headersTimeout).toBe(1000);
    expect(server.keepAliveTimeout).toBe(5000);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"as',
        );
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('close', () => {
        resolve(data);
      });
    });
    const elapsed = Date.now() - started;
    await new Promise((resolve) => server.close(resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
  });
});
