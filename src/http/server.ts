import http from 'node:http';
import type { RequestListener } from 'node:http';
import type { Logger } from '../lib/logger';
import { onClientError } from './client-error';

export interface ServerLimits {
  readonly requestTimeoutMs: number;
}

/**
 * The HTTP server with its timeouts: a whole request (headers and body) must arrive within
 * `requestTimeoutMs`, headers within min(requestTimeoutMs, 60 s); idle keep-alive sockets close
 * after 5 s. Timeouts are checked every second (Node's default is every 30 s). What Node refuses
 * itself (bad request line or headers, 408, 431) is answered as problem+json (client-error.ts).
 */
export function createHttpServer(
  app: RequestListener,
  limits: ServerLimits,
  logger?: Logger,
): http.Server {
  const server = http.createServer(
    { connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs) },
    app,
  );
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.requestTimeoutMs, 60000);
  server.keepAliveTimeout = 5000;
  server.maxHeadersCount = 100;
  server.on('clientError', onClientError(logger));
  return server;
}
