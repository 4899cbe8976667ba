// What a mode http frontend changes in the heads it relays, on the raw bytes: hop-by-hop
// headers stay on their own connection (RFC 9110 7.6.1; the parser marks their lines), `option
// forwardfor` adds the client's address, and the proxy says itself whether a connection is
// kept (Connection: close or keep-alive). Everything else goes out byte for byte, in order.
// The head and the first body bytes of the same read go out as one buffer: one write.

import type { Socket } from 'node:net';

/** Addresses of IPv4 clients on a dual-stack listener read ::ffff:a.b.c.d; servers and logs expect a.b.c.d. */
export function clientIpOf(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export const connectionClose = Buffer.from('Connection: close\r\n', 'latin1');
export const connectionKeepAlive = Buffer.from('Connection: keep-alive\r\n', 'latin1');
/** A request asking to switch protocols, and the 101 switching, name Upgrade as hop-by-hop: it stays in their heads. */
export const connectionUpgrade = Buffer.from('Connection: upgrade\r\n', 'latin1');

/** One clean Content-Length line, for a length that came as a list or in several headers. */
export const contentLengthLine = (length: number): Buffer => Buffer.from(`Content-Length: ${length}\r\n`, 'latin1');

/** `NAME: ip\r\n`, the line `option forwardfor` adds. */
export const forwardForLine = (header: string, clientIp: string): Buffer => Buffer.from(`${header}: ${clientIp}\r\n`, 'latin1');

/**
 * One buffer: the head buf[start, end) (end past its blank line) without the `dropped`
 * [start, end) lines, with the `added` lines before the blank line, then body[bodyStart, bodyEnd).
 * When nothing changes and the body bytes follow the head in the same read, it is a view of
 * the bytes received, not a copy.
 */
export function composeHead(buf: Buffer, start: number, end: number, dropped: readonly number[], added1: Buffer | undefined, added2: Buffer | undefined, body: Buffer | undefined, bodyStart: number, bodyEnd: number): Buffer {
  const bodyLength = body ? bodyEnd - bodyStart : 0;
  if (dropped.length === 0 && !added1 && !added2 && (bodyLength === 0 || (body === buf && bodyStart === end))) return buf.subarray(start, end + bodyLength);
  let length = end - start + bodyLength + (added1?.length ?? 0) + (added2?.length ?? 0);
  for (let index = 0; index < dropped.length; index += 2) length -= dropped[index + 1]! - dropped[index]!;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  let from = start;
  for (let index = 0; index < dropped.length; index += 2) {
    at += buf.copy(out, at, from, dropped[index]!);
    from = dropped[index + 1]!;
  }
  // Everything kept up to the blank line, the added lines, the blank line.
  at += buf.copy(out, at, from, end - 2);
  if (added1) at += added1.copy(out, at);
  if (added2) at += added2.copy(out, at);
  out[at++] = 13;
  out[at++] = 10;
  if (body && bodyLength > 0) body.copy(out, at, bodyStart, bodyEnd);
  return out;
}
