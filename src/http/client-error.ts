import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/logger';
import { ProblemError, toProblem } from './problems';
import type { ProblemCode } from './problems';

/** Node's parser and timeout errors → the registry's code for them. */
function codeOf(error: { code?: unknown }): { code: ProblemCode; detail: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'HEADERS-TOO-LARGE', detail: 'Send at most 16 KiB of headers.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST-TIMEOUT', detail: 'The request did not arrive in time.' };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return { code: 'BAD-REQUEST', detail: 'The Content-Length header is not valid.' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { code: 'BAD-REQUEST', detail: 'The Transfer-Encoding header is not valid.' };
    default:
      return { code: 'BAD-REQUEST', detail: 'The request is not valid HTTP/1.1.' };
  }
}

/** The bytes of a problem answer written straight to the socket (no request object exists). */
export function clientErrorAnswer(error: { code?: unknown }, requestId: string): string {
  const { code, detail } = codeOf(error);
  const problem = toProblem(new ProblemError(code, detail), '/', requestId);
  const { instance: _none, ...body } = problem;
  const json = JSON.stringify(body);
  return (
    `HTTP/1.1 ${String(problem.status)} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
    'Content-Type: application/problem+json; charset=utf-8\r\n' +
    `Content-Length: ${String(Buffer.byteLength(json))}\r\n` +
    'Cache-Control: no-store\r\n' +
    'X-Content-Type-Options: nosniff\r\n' +
    `X-Request-Id: ${requestId}\r\n` +
    'Connection: close\r\n\r\n' +
    json
  );
}

/**
 * The server's `clientError` hook: what Node's HTTP parser or its timeouts refuse before any
 * request reaches the app (a malformed request line, a lying Content-Length, a slow client,
 * oversized headers) is answered as problem+json in the registry's shape, then the connection
 * closes. Nothing is answered on a socket that is gone or already mid-answer.
 */
export function onClientError(logger: Logger | undefined) {
  return (error: Error & { code?: unknown }, socket: Duplex): void => {
    const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent === true) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const { code } = codeOf(error);
    logger?.info('client error', { requestId, problemCode: code });
    socket.end(clientErrorAnswer(error, requestId));
  };
}
