// Requests Node's HTTP parser refuses before any route sees them: headers larger than Node's
// maxHeaderSize (16 KiB by default), a malformed request line, a request that took too long to
// arrive. Node answers those with a bare status and logs nothing; here each gets a complete
// HTTP/1.1 response with a short problem document (RFC 9457) and a log line, so a client (or a
// proxy with oversized cookies) learns what was wrong and the operator can see it happen.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../runtime/logger.js';

interface Refusal {
  readonly status: number;
  readonly reason: string;
  readonly code: string;
  readonly detail: string;
}

/** Node's parser error codes (llhttp, http.Server) → what is answered. */
function refusalOf(code: string | undefined): Refusal {
  if (code === 'HPE_HEADER_OVERFLOW') {
    // RFC 6585 §5.
    return {
      status: 431,
      reason: 'Request Header Fields Too Large',
      code: 'headers_too_large',
      detail:
        'The request headers are larger than this server accepts (16 KiB in all); send fewer or smaller cookies and headers.',
    };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      status: 408,
      reason: 'Request Timeout',
      code: 'request_timeout',
      detail: 'The request took too long to arrive.',
    };
  }
  return {
    status: 400,
    reason: 'Bad Request',
    code: 'malformed_request',
    detail: 'The request is not valid HTTP.',
  };
}

/** Installs the 'clientError' answer on the server: a body and a log line for each refusal. */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A peer that went away, or a socket already answered, gets nothing more.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const refusal = refusalOf(error.code);
    const body = JSON.stringify({
      type: 'about:blank',
      title: refusal.reason,
      status: refusal.status,
      code: refusal.code,
      detail: refusal.detail,
    });
    const level = refusal.status === 400 ? 'info' : 'warn';
    logger[level](
      {
        status: refusal.status,
        code: refusal.code,
        parserError: error.code,
        ip: (socket as { remoteAddress?: string }).remoteAddress,
      },
      'request refused before routing',
    );
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
