/**
 * The floor: a bare `node:http` server that reads the body, parses it and writes a precomputed
 * answer — what any Node service must spend to answer this request with an answer this size.
 * `npm run bench` starts it beside the service and reports the service's server CPU per request
 * as a multiple of this one's. FLOOR_ANSWERS is a JSON file mapping request URLs (path and
 * query) to the answer text the service gave for them.
 */
import fs from 'node:fs';
import http from 'node:http';

const answers = new Map<string, Buffer>(
  Object.entries(
    JSON.parse(fs.readFileSync(process.env.FLOOR_ANSWERS ?? '', 'utf8')) as Record<string, string>,
  ).map(([url, text]) => [url, Buffer.from(text)]),
);

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.statusCode = 200;
    res.end('{"status":"ready"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const answer = answers.get(req.url ?? '');
    if (answer === undefined) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', answer.length);
    res.end(answer);
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT ?? 8082), process.env.HOST ?? '127.0.0.1');
