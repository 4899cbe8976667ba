// The answers the balancer itself gives in mode http, with HAProxy 2.6's own bodies (what
// clients and monitoring already match on). Like HAProxy, each closes the client connection.

export type ErrorStatus = 400 | 408 | 502 | 503 | 504;

const pages: Record<ErrorStatus, { reason: string; text: string }> = {
  400: { reason: 'Bad request', text: 'Your browser sent an invalid request.' },
  408: { reason: 'Request Time-out', text: "Your browser didn't send a complete request in time." },
  502: { reason: 'Bad Gateway', text: 'The server returned an invalid or incomplete response.' },
  503: { reason: 'Service Unavailable', text: 'No server is available to handle this request.' },
  504: { reason: 'Gateway Time-out', text: "The server didn't respond in time." },
};

const bodyOf = (status: ErrorStatus) => `<html><body><h1>${status} ${pages[status].reason}</h1>\n${pages[status].text}\n</body></html>\n`;

const headersOf = (body: string) => ['content-length', String(Buffer.byteLength(body)), 'cache-control', 'no-cache', 'content-type', 'text/html', 'connection', 'close'];

function pageOf(status: ErrorStatus): Buffer {
  const body = bodyOf(status);
  const headers = headersOf(body);
  let head = `HTTP/1.1 ${status} ${pages[status].reason}\r\n`;
  for (let index = 0; index < headers.length; index += 2) head += `${headers[index]}: ${headers[index + 1]}\r\n`;
  return Buffer.from(`${head}\r\n${body}`, 'latin1');
}

const rawPages = new Map<ErrorStatus, Buffer>();

/** The whole error response as bytes, as HAProxy sends it (made once per status). */
export function rawErrorResponse(status: ErrorStatus): Buffer {
  let page = rawPages.get(status);
  if (!page) rawPages.set(status, (page = pageOf(status)));
  return page;
}
