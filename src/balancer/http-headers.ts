// What a mode http frontend changes in the headers it relays: hop-by-hop headers stay on
// their own connection (RFC 9110 7.6.1), `option forwardfor` adds the client's address,
// `option httpclose` asks the client to close. Headers stay raw, in order, as received.

import type { Socket } from 'node:net';
import type { HttpPlan } from './plan.js';

/** Addresses of IPv4 clients on a dual-stack listener read ::ffff:a.b.c.d; servers and logs expect a.b.c.d. */
export function clientIpOf(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Headers about one connection only, which a proxy must not forward (RFC 9110 7.6.1). */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/** The request's headers as the server gets them (raw, in order), and whether a body follows. */
export function forwardedHeaders(raw: string[], http: HttpPlan, clientIp: string): { headers: string[]; hasBody: boolean } {
  const headers: string[] = [];
  const forwardFor = http.forwardFor;
  const forwardName = forwardFor?.header.toLowerCase();
  let hasBody = false;
  let hadForwardFor = false;
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index]!;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower)) continue;
    if (lower === 'content-length') hasBody ||= raw[index + 1] !== '0';
    else if (lower === 'transfer-encoding') hasBody = true;
    else if (lower === forwardName) hadForwardFor = true;
    headers.push(name, raw[index + 1]!);
  }
  if (forwardFor && !(forwardFor.ifNone && hadForwardFor)) headers.push(forwardFor.header, clientIp);
  return { headers, hasBody };
}

export function responseHeaders(raw: string[], close: boolean): string[] {
  const headers: string[] = [];
  for (let index = 0; index < raw.length; index += 2) {
    if (!hopByHop.has(raw[index]!.toLowerCase())) headers.push(raw[index]!, raw[index + 1]!);
  }
  if (close) headers.push('connection', 'close');
  return headers;
}
