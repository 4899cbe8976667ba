// tandem's own HTTP/1.x head parser for mode http: the request line or status line and the
// header fields, read in place from the bytes received (no copy, no string per header), with
// HAProxy's limits and strictness. What it finds is what the proxy needs to forward the
// message: its framing (Content-Length, chunked, until close, none), whether the connection is
// to be kept, and which header lines stay on this hop (they are left out of the forwarded head).
// Upgrade is hop-by-hop too, except where it does its job: in an HTTP/1.1 request whose
// Connection names it (the request asks to switch protocols) and in a 101 answering one.
//
// Refused, as HAProxy refuses them (a request gets its 400, a response the client's 502):
// a head over the size limit or with too many headers, bytes outside the grammar (control
// characters, a bare LF or CR, non-token bytes in a method or a header name, space before a
// colon), obs-fold continuation lines, both Content-Length and Transfer-Encoding in a request
// (the request smuggling vector), a Content-Length that is not one decimal number (or a list
// of the same one), a request Transfer-Encoding whose last coding is not chunked, several Host
// headers, an HTTP/1.1 request without Host.

/** HAProxy keeps a head within tune.bufsize (16384) less tune.maxrewrite (1024). */
export const maxHeadBytes = 16384 - 1024;
/** HAProxy's tune.http.maxhdr. */
export const maxHeaderCount = 101;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;

/** RFC 9110 tchar: what a method and a header name are made of. */
const tokenChar = new Uint8Array(256);
for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") tokenChar[char.charCodeAt(0)] = 1;

/** A field value's bytes: HTAB, SP, visible ASCII, obs-text; no control character. */
const valueChar = new Uint8Array(256);
for (let byte = 0; byte < 256; byte += 1) valueChar[byte] = byte === HTAB || (byte >= 0x20 && byte !== 0x7f) ? 1 : 0;

/** A request target's bytes: visible ASCII only (HAProxy refuses the rest without accept-invalid-http-request). */
const targetChar = new Uint8Array(256);
for (let byte = 0x21; byte < 0x7f; byte += 1) targetChar[byte] = 1;

export const enum Framing {
  None = 0,
  Length = 1,
  Chunked = 2,
  UntilClose = 3,
}

/** What both kinds of head have. Offsets are into the buffer given to the parser. */
export interface MessageHead {
  /** Offset just past the blank line ending the head. */
  end: number;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and any later 1.x). */
  minorVersion: number;
  framing: Framing;
  contentLength: number;
  /** The length came as a list or in several headers (all of the same value): those lines are left out, and one `Content-Length: N` is to be added, as HAProxy does. */
  lengthRewritten: boolean;
  /** Connection: close was given (or HTTP/1.0 without keep-alive). */
  wantsClose: boolean;
  /** [start, end) of each header line that stays on this hop, in order. */
  dropped: number[];
}

export interface RequestHead extends MessageHead {
  methodEnd: number;
  targetStart: number;
  targetEnd: number;
  isHead: boolean;
  isConnect: boolean;
  /** HTTP/1.1 with `Connection: upgrade` and an Upgrade header: its Upgrade lines are kept, for the server to switch protocols (101). */
  upgrade: boolean;
  /** GET, HEAD, OPTIONS, TRACE, PUT, DELETE (RFC 9110 9.2.2): the ones a proxy may send again. */
  idempotent: boolean;
  /** The `option forwardfor` header was already there. */
  hasForwardFor: boolean;
}

export interface ResponseHead extends MessageHead {
  status: number;
}

/** Why a head was refused (for tests and debugging; the peer just gets 400 or 502). */
export class HeadError extends Error {}

const lower = (text: string) => Buffer.from(text.toLowerCase(), 'latin1');
const names = {
  host: lower('host'),
  contentLength: lower('content-length'),
  transferEncoding: lower('transfer-encoding'),
  connection: lower('connection'),
  keepAlive: lower('keep-alive'),
  proxyConnection: lower('proxy-connection'),
  te: lower('te'),
  trailer: lower('trailer'),
  upgrade: lower('upgrade'),
  close: lower('close'),
};

/** ASCII case-insensitive: `buf[start, end)` equals `name` (given lowercase, letters, digits and '-' only). */
function nameIs(buf: Buffer, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let index = 0; index < name.length; index += 1) if ((buf[start + index]! | 0x20) !== name[index]) return false;
  return true;
}

/**
 * Where the head starting at `start` ends (just past its blank line), -1 if not all of it is
 * there yet. A bare LF ending the head is found too, so that the parser refuses it at once.
 */
export function findHeadEnd(buf: Buffer, start: number): number {
  const crlf = buf.indexOf(blankLine, start);
  if (crlf >= 0) return crlf + 4;
  const lf = buf.indexOf(bareBlankLine, start);
  return lf >= 0 ? lf + 2 : -1;
}

const blankLine = Buffer.from('\r\n\r\n', 'latin1');
const bareBlankLine = Buffer.from('\n\n', 'latin1');

/** Header lines scratch: name start, name end, value start, value end, line start, line end; reused (parsing is synchronous). */
const lines = new Int32Array(maxHeaderCount * 6);

interface Fields {
  count: number;
  contentLength: number;
  /** Content-Length header lines, and whether one was a list. */
  lengthLines: number;
  lengthList: boolean;
  chunked: boolean;
  /** Transfer-Encoding present (chunked last or not). */
  transferEncoding: boolean;
  close: boolean;
  keepAlive: boolean;
  hosts: number;
  hasForwardFor: boolean;
  dropped: number[];
  /** Connection names `upgrade`. */
  connectionUpgrade: boolean;
  /** [start, end) of each Upgrade header line: dropped unless the message is an upgrade (see keepUpgrade). */
  upgradeLines: number[];
}

/** What most heads leave out, and the Upgrade lines most heads lack: nothing (shared, never written to). */
const noneDropped: number[] = [];
const noUpgradeLines: number[] = [];

/** Reused from parse to parse (parsing is synchronous): no allocation for a head that drops nothing. */
const fields: Fields = { count: 0, contentLength: -1, lengthLines: 0, lengthList: false, chunked: false, transferEncoding: false, close: false, keepAlive: false, hosts: 0, hasForwardFor: false, dropped: noneDropped, connectionUpgrade: false, upgradeLines: noUpgradeLines };

function dropLine(start: number, end: number): void {
  if (fields.dropped === noneDropped) fields.dropped = [];
  fields.dropped.push(start, end);
}

/** Parses the header lines of [at, end) (end is past the blank line) into `lines` and `fields`; throws HeadError. */
function parseFields(buf: Buffer, at: number, end: number, forwardFor: Uint8Array | undefined): Fields {
  fields.count = 0;
  fields.contentLength = -1;
  fields.lengthLines = 0;
  fields.lengthList = false;
  fields.chunked = false;
  fields.transferEncoding = false;
  fields.close = false;
  fields.keepAlive = false;
  fields.hosts = 0;
  fields.hasForwardFor = false;
  fields.dropped = noneDropped;
  fields.connectionUpgrade = false;
  fields.upgradeLines = noUpgradeLines;
  let extraHopByHop: string[] | undefined;
  for (;;) {
    const lineStart = at;
    const first = buf[at];
    if (first === CR) {
      if (buf[at + 1] !== LF || at + 2 !== end) throw new HeadError('bad end of head');
      break;
    }
    if (first === SP || first === HTAB) throw new HeadError('obs-fold');
    if (fields.count === maxHeaderCount) throw new HeadError('too many headers');
    const nameStart = at;
    while (tokenChar[buf[at]!]) at += 1;
    const nameEnd = at;
    if (nameEnd === nameStart || buf[at] !== 0x3a) throw new HeadError('bad header name');
    at += 1;
    while (buf[at] === SP || buf[at] === HTAB) at += 1;
    const valueStart = at;
    while (at < end && valueChar[buf[at]!]) at += 1;
    if (buf[at] !== CR || buf[at + 1] !== LF) throw new HeadError('bad character in a header value');
    let valueEnd = at;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd -= 1;
    at += 2;
    const slot = fields.count * 6;
    lines[slot] = nameStart;
    lines[slot + 1] = nameEnd;
    lines[slot + 2] = valueStart;
    lines[slot + 3] = valueEnd;
    lines[slot + 4] = lineStart;
    lines[slot + 5] = at;
    fields.count += 1;
    const nameLength = nameEnd - nameStart;
    let drop = false;
    // Only names of these lengths matter; most headers are passed over after one compare.
    if (nameLength === 4 && nameIs(buf, nameStart, nameEnd, names.host)) fields.hosts += 1;
    else if (nameLength === 14 && nameIs(buf, nameStart, nameEnd, names.contentLength)) {
      fields.contentLength = contentLengthOf(buf, valueStart, valueEnd, fields.contentLength);
      fields.lengthLines += 1;
    }
    else if (nameLength === 17 && nameIs(buf, nameStart, nameEnd, names.transferEncoding)) {
      if (fields.transferEncoding && fields.chunked) throw new HeadError('chunked is not the last transfer coding');
      fields.transferEncoding = true;
      fields.chunked = lastCodingIsChunked(buf, valueStart, valueEnd);
    } else if (nameLength === 10 && nameIs(buf, nameStart, nameEnd, names.connection)) {
      drop = true;
      extraHopByHop = connectionOptions(buf, valueStart, valueEnd, fields, extraHopByHop);
    } else if (
      (nameLength === 10 && nameIs(buf, nameStart, nameEnd, names.keepAlive)) ||
      (nameLength === 16 && nameIs(buf, nameStart, nameEnd, names.proxyConnection)) ||
      (nameLength === 2 && nameIs(buf, nameStart, nameEnd, names.te)) ||
      (nameLength === 7 && nameIs(buf, nameStart, nameEnd, names.trailer))
    ) {
      drop = true;
    } else if (nameLength === 7 && nameIs(buf, nameStart, nameEnd, names.upgrade)) {
      if (fields.upgradeLines === noUpgradeLines) fields.upgradeLines = [];
      fields.upgradeLines.push(lineStart, at);
    }
    if (forwardFor && nameLength === forwardFor.length && nameIs(buf, nameStart, nameEnd, forwardFor)) fields.hasForwardFor = true;
    if (drop) dropLine(lineStart, at);
  }
  if (extraHopByHop) dropNamed(buf, fields, extraHopByHop);
  return fields;
}

/** One decimal number, or a comma-separated list of the same one (RFC 9110 8.6); equal to `previous` if there was one. */
function contentLengthOf(buf: Buffer, start: number, end: number, previous: number): number {
  let value = -1;
  let at = start;
  for (;;) {
    let digits = 0;
    let number = 0;
    while (at < end && buf[at]! >= 0x30 && buf[at]! <= 0x39) {
      number = number * 10 + buf[at]! - 0x30;
      digits += 1;
      at += 1;
    }
    if (digits === 0 || digits > 15) throw new HeadError('bad Content-Length');
    if (value >= 0 && number !== value) throw new HeadError('differing Content-Length values');
    value = number;
    while (at < end && (buf[at] === SP || buf[at] === HTAB)) at += 1;
    if (at === end) break;
    if (buf[at] !== 0x2c) throw new HeadError('bad Content-Length');
    fields.lengthList = true;
    at += 1;
    while (at < end && (buf[at] === SP || buf[at] === HTAB)) at += 1;
  }
  if (previous >= 0 && previous !== value) throw new HeadError('differing Content-Length headers');
  return value;
}

/** The comma-separated codings of a Transfer-Encoding value: is the last one chunked (and no earlier one)? */
function lastCodingIsChunked(buf: Buffer, start: number, end: number): boolean {
  const codings = buf.toString('latin1', start, end).toLowerCase().split(',');
  let chunked = false;
  for (let index = 0; index < codings.length; index += 1) {
    const coding = codings[index]!.trim();
    if (coding === '') throw new HeadError('empty transfer coding');
    if (chunked) throw new HeadError('chunked is not the last transfer coding');
    chunked = coding === 'chunked';
  }
  return chunked;
}

/** Connection's options: close, keep-alive, and the names of further hop-by-hop headers (RFC 9110 7.6.1). */
function connectionOptions(buf: Buffer, start: number, end: number, fields: Fields, extra: string[] | undefined): string[] | undefined {
  // The usual values, without making strings.
  if (nameIs(buf, start, end, names.keepAlive)) {
    fields.keepAlive = true;
    return extra;
  }
  if (nameIs(buf, start, end, names.close)) {
    fields.close = true;
    return extra;
  }
  if (nameIs(buf, start, end, names.upgrade)) {
    fields.connectionUpgrade = true;
    return extra;
  }
  for (const option of buf.toString('latin1', start, end).toLowerCase().split(',')) {
    const name = option.trim();
    if (name === 'close') fields.close = true;
    else if (name === 'keep-alive') fields.keepAlive = true;
    else if (name === 'upgrade') fields.connectionUpgrade = true;
    else if (name !== '' && name !== 'te') (extra ??= []).push(name);
  }
  return extra;
}

/** Also leaves out the headers the Connection header named. */
function dropNamed(buf: Buffer, fields: Fields, extra: string[]): void {
  const wanted = extra.map(lower);
  for (let index = 0; index < fields.count; index += 1) {
    const slot = index * 6;
    if (!wanted.some((name) => nameIs(buf, lines[slot]!, lines[slot + 1]!, name))) continue;
    const lineStart = lines[slot + 4]!;
    if (isDropped(fields.dropped, lineStart)) continue;
    dropLine(lineStart, lines[slot + 5]!);
  }
  sortDropped(fields);
}

function isDropped(dropped: number[], lineStart: number): boolean {
  for (let index = 0; index < dropped.length; index += 2) if (dropped[index] === lineStart) return true;
  return false;
}

/**
 * Upgrade lines stay in the forwarded head only where they mean something: `keep` is true for a
 * request asking to switch protocols and for the 101 answering it.
 */
function keepUpgrade(keep: boolean): void {
  const upgradeLines = fields.upgradeLines;
  if (keep || upgradeLines.length === 0) return;
  for (let index = 0; index < upgradeLines.length; index += 2) dropLine(upgradeLines[index]!, upgradeLines[index + 1]!);
  sortDropped(fields);
}

/** The head is rewritten by walking `dropped` in order. */
function sortDropped(fields: Fields): void {
  const pairs: [number, number][] = [];
  for (let index = 0; index < fields.dropped.length; index += 2) pairs.push([fields.dropped[index]!, fields.dropped[index + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  fields.dropped = pairs.flat();
}

const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** HTTP/1.x at `at`, then returns the minor version. */
function versionAt(buf: Buffer, at: number): number {
  // "HTTP/1." then one digit: H T T P / 1 .
  if (buf[at] !== 0x48 || buf[at + 1] !== 0x54 || buf[at + 2] !== 0x54 || buf[at + 3] !== 0x50 || buf[at + 4] !== 0x2f || buf[at + 5] !== 0x31 || buf[at + 6] !== 0x2e) throw new HeadError('not HTTP/1.x');
  const minor = buf[at + 7]! - 0x30;
  if (!(minor >= 0 && minor <= 9)) throw new HeadError('not HTTP/1.x');
  return minor === 0 ? 0 : 1;
}

/**
 * The request head in buf[start, end) (`end` from findHeadEnd). `forwardFor` is the lowercase
 * name of the `option forwardfor` header, to tell whether the client already sent one.
 */
export function parseRequestHead(buf: Buffer, start: number, end: number, forwardFor?: Uint8Array): RequestHead {
  if (end - start > maxHeadBytes) throw new HeadError('head too large');
  let at = start;
  while (tokenChar[buf[at]!]) at += 1;
  const methodEnd = at;
  if (methodEnd === start || buf[at] !== SP) throw new HeadError('bad method');
  const targetStart = (at += 1);
  while (targetChar[buf[at]!]) at += 1;
  const targetEnd = at;
  if (targetEnd === targetStart || buf[at] !== SP) throw new HeadError('bad request target');
  const minorVersion = versionAt(buf, at + 1);
  at += 9;
  if (buf[at] !== CR || buf[at + 1] !== LF) throw new HeadError('bad request line');
  const fields = parseFields(buf, at + 2, end, forwardFor);
  const methodLength = methodEnd - start;
  const isHead = methodLength === 4 && buf.toString('latin1', start, methodEnd) === 'HEAD';
  const isConnect = methodLength === 7 && buf.toString('latin1', start, methodEnd) === 'CONNECT';
  const idempotent = isHead || (methodLength <= 7 && idempotentMethods.has(buf.toString('latin1', start, methodEnd)));
  if (fields.hosts > 1 || (minorVersion === 1 && fields.hosts === 0)) throw new HeadError('Host missing or repeated');
  let framing = Framing.None;
  if (fields.transferEncoding) {
    if (fields.contentLength >= 0) throw new HeadError('both Content-Length and Transfer-Encoding');
    if (minorVersion === 0) throw new HeadError('Transfer-Encoding in HTTP/1.0');
    if (!fields.chunked) throw new HeadError('request transfer coding not chunked');
    framing = Framing.Chunked;
  } else if (fields.contentLength > 0) {
    framing = Framing.Length;
  }
  // A server ignores Upgrade in an HTTP/1.0 request (RFC 9110 7.8): only HTTP/1.1 asks for one.
  const upgrade = fields.connectionUpgrade && fields.upgradeLines.length > 0 && minorVersion === 1;
  keepUpgrade(upgrade);
  const lengthRewritten = rewriteLength(buf);
  return {
    end,
    minorVersion,
    framing,
    contentLength: fields.contentLength,
    lengthRewritten,
    wantsClose: fields.close || (minorVersion === 0 && !fields.keepAlive),
    dropped: fields.dropped,
    methodEnd,
    targetStart,
    targetEnd,
    isHead,
    isConnect,
    upgrade,
    idempotent,
    hasForwardFor: fields.hasForwardFor,
  };
}

/**
 * The response head in buf[start, end). `requestIsHead`: the answer to a HEAD has no body
 * whatever its headers say. A Content-Length beside a Transfer-Encoding is left out (chunked
 * wins, RFC 9112 6.3).
 */
export function parseResponseHead(buf: Buffer, start: number, end: number, requestIsHead: boolean): ResponseHead {
  if (end - start > maxHeadBytes) throw new HeadError('head too large');
  const minorVersion = versionAt(buf, start);
  let at = start + 8;
  if (buf[at] !== SP) throw new HeadError('bad status line');
  const d0 = buf[at + 1]! - 0x30;
  const d1 = buf[at + 2]! - 0x30;
  const d2 = buf[at + 3]! - 0x30;
  // Any three digits from 100 (RFC 9110 15: an unknown one reads as its class), as HAProxy takes them.
  if (!(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) throw new HeadError('bad status code');
  const status = d0 * 100 + d1 * 10 + d2;
  at += 4;
  if (buf[at] === SP) {
    at += 1;
    while (at < end && valueChar[buf[at]!]) at += 1;
  }
  if (buf[at] !== CR || buf[at + 1] !== LF) throw new HeadError('bad status line');
  const fields = parseFields(buf, at + 2, end, undefined);
  let framing: Framing;
  if (requestIsHead || status < 200 || status === 204 || status === 304) framing = Framing.None;
  else if (fields.transferEncoding) framing = fields.chunked ? Framing.Chunked : Framing.UntilClose;
  else if (fields.contentLength >= 0) framing = fields.contentLength > 0 ? Framing.Length : Framing.None;
  else framing = Framing.UntilClose;
  keepUpgrade(status === 101);
  if (fields.transferEncoding && fields.contentLength >= 0) dropContentLength(buf, fields);
  const lengthRewritten = !fields.transferEncoding && rewriteLength(buf);
  return {
    end,
    minorVersion,
    framing,
    contentLength: fields.contentLength,
    lengthRewritten,
    wantsClose: fields.close || (minorVersion === 0 && !fields.keepAlive) || framing === Framing.UntilClose,
    dropped: fields.dropped,
    status,
  };
}

/** A length in a list or in several headers: its lines are left out, for one clean header instead (some servers refuse lists). */
function rewriteLength(buf: Buffer): boolean {
  if (fields.lengthLines <= 1 && !fields.lengthList) return false;
  dropContentLength(buf, fields);
  return true;
}

function dropContentLength(buf: Buffer, fields: Fields): void {
  for (let index = 0; index < fields.count; index += 1) {
    const slot = index * 6;
    if (nameIs(buf, lines[slot]!, lines[slot + 1]!, names.contentLength)) dropLine(lines[slot + 4]!, lines[slot + 5]!);
  }
  sortDropped(fields);
}
