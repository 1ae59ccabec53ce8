import http from 'node:http';
import net from 'node:net';
import type { RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger';
import { onClientError } from './client-error';

export interface ServerLimits {
  readonly requestTimeoutMs: number;
}

/** A connection's requests being answered, and since when it has had none. */
interface Connection {
  readonly answering: Set<ServerResponse>;
  idleSince: number;
}

interface DrainState {
  draining: boolean;
  readonly connections: Map<net.Socket, Connection>;
}

const STATES = new WeakMap<http.Server, DrainState>();

/**
 * How long a connection must have been quiet during a drain before it is closed. A busy
 * keep-alive client sends its next request within a moment of the last answer; a socket that
 * looks idle may have that request on the wire, so it is closed only once it has stayed idle.
 */
export const DRAIN_QUIET_MS = 1000;

/**
 * The HTTP server with its timeouts: a whole request (headers and body) must arrive within
 * `requestTimeoutMs`, headers within min(requestTimeoutMs, 60 s); idle keep-alive sockets close
 * after 5 s. Timeouts are checked every second (Node's default is every 30 s). What Node refuses
 * itself (bad request line or headers, 408, 431) is answered as problem+json (client-error.ts).
 * `drainHttpServer` stops it without dropping a request.
 */
export function createHttpServer(
  app: RequestListener,
  limits: ServerLimits,
  logger?: Logger,
): http.Server {
  const state: DrainState = { draining: false, connections: new Map() };
  const listener: RequestListener = (req, res) => {
    const connection = state.connections.get(req.socket);
    if (connection !== undefined) {
      connection.answering.add(res);
      res.once('close', () => {
        connection.answering.delete(res);
        connection.idleSince = performance.now();
      });
    }
    // Node ends the connection after an answer that says so; the client knows not to reuse it.
    if (state.draining) res.setHeader('Connection', 'close');
    app(req, res);
  };
  const server = http.createServer(
    { connectionsCheckingInterval: Math.min(1000, limits.requestTimeoutMs) },
    listener,
  );
  STATES.set(server, state);
  server.on('connection', (socket: net.Socket) => {
    state.connections.set(socket, { answering: new Set(), idleSince: performance.now() });
    socket.once('close', () => state.connections.delete(socket));
  });
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.requestTimeoutMs, 60000);
  server.keepAliveTimeout = 5000;
  server.maxHeadersCount = 100;
  server.on('clientError', onClientError(logger));
  return server;
}

/**
 * Stops accepting connections and lets the open ones finish: every request that arrives is
 * answered, with `Connection: close` (answers already under way but not yet started get it too),
 * and a connection is closed only after it has stayed idle for `quietMs`. `done` runs when the
 * last connection is gone. (http.Server#close would close every idle-looking connection at once,
 * resetting the next request of every busy keep-alive client; so this stops only the listener.)
 */
export function drainHttpServer(
  server: http.Server,
  done: () => void,
  quietMs: number = DRAIN_QUIET_MS,
): void {
  const state = STATES.get(server);
  if (state === undefined) throw new Error('drainHttpServer needs a server from createHttpServer');
  if (state.draining) return;
  state.draining = true;
  for (const { answering } of state.connections.values())
    for (const res of answering) if (!res.headersSent) res.setHeader('Connection', 'close');
  net.Server.prototype.close.call(server, () => {
    clearInterval(sweep);
    done();
  });
  const sweep = setInterval(
    () => {
      const now = performance.now();
      for (const [socket, c] of state.connections)
        if (c.answering.size === 0 && now - c.idleSince >= quietMs) socket.end();
    },
    Math.max(10, Math.min(100, quietMs / 4)),
  );
  sweep.unref();
}

/** Whether `drainHttpServer` has started on this server. */
export function isDraining(server: http.Server): boolean {
  return STATES.get(server)?.draining === true;
}
