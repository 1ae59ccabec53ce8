/**
 * The HTTP reference point: an Express route that parses the same JSON body and echoes it. The
 * service's throughput is reported as a share of this one's, measured in the same bench run.
 */
import http from 'node:http';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});
app.post('/echo', express.json({ limit: 262144 }), (req, res) => {
  res.status(200).json(req.body);
});
const server = http.createServer(app);
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT ?? 8081), process.env.HOST ?? '127.0.0.1');
