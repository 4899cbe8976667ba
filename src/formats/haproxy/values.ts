// Values on haproxy.cfg lines: times in HAProxy's time format, whole numbers, ports and
// addresses (IPv4, IPv6 bare or in brackets, host names, and sockets kept as written).

import { isIPv4, isIPv6 } from 'node:net';
import { InputError, type SourcePosition } from '../../model/errors.js';
import type { Word } from './lexer.js';
import type { ListenAddress, ServerAddress } from './model.js';

export function fail(word: Word, message: string, offset = 0): never {
  const position: SourcePosition = { ...word.position, column: word.position.column + offset };
  throw new InputError(message, position);
}

// Multiplier and divisor to milliseconds; HAProxy rounds microseconds up.
const timeUnits: Record<string, [number, number]> = { us: [1, 1000], ms: [1, 1], s: [1000, 1], m: [60_000, 1], h: [3_600_000, 1], d: [86_400_000, 1] };
const maxTimeMs = 2 ** 31 - 1;

/** A time in HAProxy's format: a whole number with an optional unit us, ms, s, m, h or d; a bare number is milliseconds. */
export function parseTime(word: Word, what: string): number {
  const match = /^(\d+)(.*)$/.exec(word.text);
  if (!match || !/^[a-zA-Z]*$/.test(match[2]!)) fail(word, `${what} expects a time: a whole number with an optional unit (e.g. 2000, 10s, 1m), found '${word.text}'`);
  const unit = timeUnits[match[2] || 'ms'];
  if (!unit) fail(word, `unknown time unit '${match[2]}' in '${word.text}': expected us, ms, s, m, h or d (a bare number is milliseconds)`);
  const ms = Math.ceil((Number(match[1]) * unit[0]) / unit[1]);
  if (!(ms <= maxTimeMs)) fail(word, `${what}: '${word.text}' is too long (at most ${maxTimeMs} ms, about 24.8 days)`);
  return ms;
}

export function parseInteger(word: Word, what: string, min = 0, max = 2 ** 31 - 1): number {
  if (!/^\d+$/.test(word.text)) fail(word, `${what} expects a whole number, found '${word.text}'`);
  const value = Number(word.text);
  if (value < min || value > max) fail(word, `${what} must be from ${min} to ${max}, found ${word.text}`);
  return value;
}

export function parsePort(word: Word, what: string): number {
  return parseInteger(word, what, 1, 65535);
}

const hostName = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

/** An IPv4 or IPv6 address or a host name. */
export function checkHost(host: string, word: Word, offset = 0): void {
  if (/^[\d.]+$/.test(host)) {
    if (!isIPv4(host)) fail(word, `'${host}' is not a valid IPv4 address`, offset);
  } else if (host.includes(':')) {
    if (!isIPv6(host)) fail(word, `'${host}' is not a valid IPv6 address`, offset);
  } else if (!hostName.test(host)) {
    fail(word, `'${host}' is not an address: expected an IPv4 or IPv6 address or a host name`, offset);
  }
}

/** Unix socket paths and HAProxy's prefixed forms (unix@, abns@, fd@, ipv4@...): kept as written. */
function isSocket(text: string): boolean {
  return text.startsWith('/') || /^[a-z0-9]+@/.test(text);
}

/** Host and port text: `[v6]:port`, or split at the last colon as HAProxy does (so `::1:80` is ::1 port 80). */
function splitHostPort(text: string, word: Word, offset: number): { host: string; port?: string; portOffset: number } {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) fail(word, `unclosed '[' in '${text}': expected [IPV6-ADDRESS]:PORT`, offset);
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) fail(word, `expected ':' and a port after ']' in '${text}'`, offset + end + 1);
    return rest === '' ? { host: text.slice(1, end), portOffset: 0 } : { host: text.slice(1, end), port: rest.slice(1), portOffset: end + 2 };
  }
  const colon = text.lastIndexOf(':');
  return colon < 0 ? { host: text, portOffset: 0 } : { host: text.slice(0, colon), port: text.slice(colon + 1), portOffset: colon + 1 };
}

function checkPortNumber(text: string, word: Word, offset: number, whole: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) fail(word, `invalid port '${text}' in '${whole}': expected a number from 1 to 65535`, offset);
  return port;
}

/** One address of a bind line: [HOST]:PORT[-LAST], HOST empty or * for all addresses. */
export function parseListenAddress(text: string, word: Word, offset: number): ListenAddress {
  if (isSocket(text)) return { socket: text };
  const parts = splitHostPort(text, word, offset);
  const host = parts.host === '*' ? '' : parts.host;
  if (host !== '') checkHost(host, word, offset);
  if (parts.port === undefined) fail(word, `missing port in '${text}': expected ADDRESS:PORT (e.g. 10.0.0.1:80 or *:80)`, offset);
  const [first, last] = parts.port.split('-') as [string, string | undefined];
  const port = checkPortNumber(first, word, offset + parts.portOffset, text);
  if (last === undefined) return { host, port };
  const lastPort = checkPortNumber(last, word, offset + parts.portOffset + first.length + 1, text);
  if (lastPort < port) fail(word, `invalid port range '${parts.port}' in '${text}': the last port is below the first`, offset + parts.portOffset);
  return { host, port, lastPort };
}

/** A server's address: HOST, HOST:PORT, or HOST:+N / HOST:-N (the client's port shifted by N). */
export function parseServerAddress(word: Word): ServerAddress {
  const text = word.text;
  if (isSocket(text)) return { socket: text };
  const parts = splitHostPort(text, word, 0);
  if (parts.host === '') fail(word, `missing address in '${text}': expected ADDRESS[:PORT] (e.g. 10.0.0.1:3306)`);
  checkHost(parts.host, word);
  if (parts.port === undefined) return { host: parts.host };
  const shifted = /^[+-]\d+$/.test(parts.port);
  if (shifted && Math.abs(Number(parts.port)) <= 65535) return { host: parts.host, portOffset: Number(parts.port) || 0 }; // no -0
  return { host: parts.host, port: checkPortNumber(parts.port, word, parts.portOffset, text) };
}
