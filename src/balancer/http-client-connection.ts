// A client connection of a mode http frontend: its bytes are read as they come and cut into
// requests (heads parsed by http-head.ts, bodies delimited by http-body.ts), served one at a
// time in order (pipelined requests wait, unread beyond a bound, for the response before them).
// Around the requests: the time a client has to send a request (`timeout http-request`, and
// `timeout http-keep-alive` while a kept-alive connection is idle; HAProxy's 408), `timeout
// client` (except while a request waits for its server: HAProxy expects nothing from the
// client then), HAProxy's 400 for what cannot be parsed, and reading paused while the server
// side cannot take more. Once a request's server switched protocols, the connection is that
// exchange's tunnel's (http-tunnel.ts): its bytes go through as they come until it closes.

import type { Socket } from 'node:net';
import { HttpExchange } from './http-exchange.js';
import { rawErrorResponse } from './http-errors.js';
import { findHeadEnd, HeadError, maxHeadBytes, parseRequestHead, type RequestHead } from './http-head.js';
import { clientIpOf, forwardForLine } from './http-headers.js';
import type { HttpProxy } from './http-proxy.js';
import type { HttpTunnel } from './http-tunnel.js';

/** Bytes read ahead of the request being served (its body before the server is connected, pipelined requests) before reading pauses. */
const maxReadAhead = 64 * 1024;

const pausedByUpstream = 1;
const pausedByReadAhead = 2;

export class HttpClientConnection {
  readonly socket: Socket;
  readonly clientIp: string;
  readonly clientPort: number;
  readonly localPort: number;
  /** The frontend that accepted it; its requests are served by the latest frontend of that name (see HttpProxy). */
  private readonly proxy: HttpProxy;
  /** When the connection became ready for its next request: accepted, or the last response done. */
  readySinceMs = Date.now();
  /**
   * When the request being read began: its first byte, or the end of the response before it
   * for one that came pipelined. HAProxy's request timers start there (the idle time before it,
   * HAProxy's Ti, is in none of them).
   */
  private requestStartMs = this.readySinceMs;
  /** Requests received. */
  requests = 0;
  /** The client has sent its FIN: the request in flight is answered, then the connection closes. */
  ended = false;
  private exchange: HttpExchange | undefined;
  /** Set once the exchange switched protocols: every byte from now on is the tunnel's. */
  private tunnel: HttpTunnel | undefined;
  /** Bytes read and not yet used: queue[0] from `offset`, then the rest. */
  private queue: Buffer[] = [];
  private offset = 0;
  private queued = 0;
  private paused = 0;
  private closing = false;
  private timer: NodeJS.Timeout | undefined;
  /** Which limit the timer enforces: the wait for a request's first byte on a kept-alive connection, or for a whole head. */
  private waitingForFirstByte = false;
  private forwardFor: { header: string; line: Buffer } | undefined;

  constructor(socket: Socket, proxy: HttpProxy, clientTimeoutMs: number | undefined) {
    this.socket = socket;
    this.proxy = proxy;
    this.clientIp = clientIpOf(socket);
    this.clientPort = socket.remotePort ?? 0;
    this.localPort = socket.localPort ?? 0;
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => this.clientEnded());
    socket.on('drain', () => (this.tunnel ?? this.exchange)?.clientDrained());
    // A listener of its own (setTimeout's callback would hear of one timeout only): a tunnel may change the limit.
    socket.on('timeout', () => this.clientTimedOut());
    if (clientTimeoutMs !== undefined) socket.setTimeout(clientTimeoutMs);
    this.arm(proxy.http.requestTimeoutMs, false);
  }

  /** Between requests, with nothing of a next one received: closing it now loses no request. */
  get idle(): boolean {
    return this.exchange === undefined && this.queued === 0;
  }

  /** `NAME: client-ip\r\n`, made once per connection. */
  forwardForLine(header: string): Buffer {
    if (this.forwardFor?.header !== header) this.forwardFor = { header, line: forwardForLine(header, this.clientIp) };
    return this.forwardFor.line;
  }

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** The socket closed, whoever closed it. */
  closed(): void {
    clearTimeout(this.timer);
    this.closing = true;
    if (this.tunnel) this.tunnel.clientGone();
    else this.exchange?.clientGone();
  }

  private received(chunk: Buffer): void {
    if (this.tunnel) return this.tunnel.clientData(chunk);
    if (this.closing) return;
    if (this.exchange === undefined && this.queued === 0) this.requestStartMs = Date.now();
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.pump();
  }

  /**
   * Moves the bytes read along: into the request being served (its head once connected, then
   * its body), or into the next request once none is being served.
   */
  pump(): void {
    for (;;) {
      const exchange = this.exchange;
      if (exchange) {
        if (!exchange.connected || exchange.requestSent || (this.paused & pausedByUpstream) !== 0) break;
        const chunk = this.queue[0];
        if (!exchange.headSent) {
          this.consume(exchange.sendHead(chunk, this.offset, chunk?.length ?? 0));
          continue;
        }
        if (!chunk) break;
        this.consume(exchange.sendBody(chunk, this.offset, chunk.length));
        continue;
      }
      if (this.closing || this.queued === 0 || !this.startRequest()) break;
    }
    const exchange = this.exchange;
    if (this.ended && exchange?.headSent && !exchange.requestSent && this.queued === 0) {
      exchange.clientGone(); // the client ended in the middle of its request's body
      this.socket.destroy();
      return;
    }
    this.limitReadAhead();
  }

  private consume(count: number): void {
    this.queued -= count;
    this.offset += count;
    const first = this.queue[0];
    if (first && this.offset >= first.length) {
      this.queue.shift();
      this.offset = 0;
    }
  }

  /** Parses the next request's head from the bytes read; starts its exchange and returns true once it is all there. */
  private startRequest(): boolean {
    let chunk = this.queue[0]!;
    // Empty lines before a request line are ignored (RFC 9112 2.2), as after a body some clients send one.
    while (this.queued > 0 && (chunk[this.offset] === 13 || chunk[this.offset] === 10)) {
      this.consume(1);
      if (this.queued === 0) return false;
      chunk = this.queue[0]!;
    }
    let end = findHeadEnd(chunk, this.offset);
    if (end < 0 && this.queue.length > 1) {
      // A head over several reads: joined once it is complete (a head is bounded, so this is too).
      chunk = Buffer.concat([this.offset === 0 ? chunk : chunk.subarray(this.offset), ...this.queue.slice(1)]);
      this.queue = [chunk];
      this.offset = 0;
      end = findHeadEnd(chunk, 0);
    }
    if (end < 0) {
      if (this.queued > maxHeadBytes) this.badRequest();
      else if (this.waitingForFirstByte) this.requestBegun();
      return false;
    }
    const serving = this.proxy.latest;
    let head: RequestHead;
    try {
      head = parseRequestHead(chunk, this.offset, end, serving.forwardForName);
    } catch (error) {
      if (!(error instanceof HeadError)) throw error;
      this.badRequest();
      return false;
    }
    const headStart = this.offset;
    this.consume(end - headStart);
    clearTimeout(this.timer);
    this.timer = undefined;
    this.requests += 1;
    const exchange = (this.exchange = new HttpExchange(serving, this, head, chunk, headStart, this.requestStartMs));
    exchange.start(); // connected at once or not, pump's loop goes on with it
    return true;
  }

  /** Reading stops while too much waits unread, and while the server's socket is backed up. */
  private limitReadAhead(): void {
    const over = this.queued > maxReadAhead;
    if (over === ((this.paused & pausedByReadAhead) !== 0)) return;
    this.setPaused(pausedByReadAhead, over);
  }

  pauseForUpstream(): void {
    this.setPaused(pausedByUpstream, true);
  }

  resumeForUpstream(): void {
    if ((this.paused & pausedByUpstream) === 0) return;
    this.setPaused(pausedByUpstream, false);
    this.pump();
  }

  private setPaused(reason: number, on: boolean): void {
    const before = this.paused;
    this.paused = on ? before | reason : before & ~reason;
    if (before === 0 && this.paused !== 0) this.socket.pause();
    else if (before !== 0 && this.paused === 0) this.socket.resume();
  }

  /**
   * The exchange's server switched protocols: what the client sent after its request, and all
   * it sends from now on, goes to `tunnel` as it is; `timeoutMs` (`timeout tunnel`) replaces
   * `timeout client`.
   */
  tunnelThrough(tunnel: HttpTunnel, timeoutMs: number | undefined): void {
    this.tunnel = tunnel;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (timeoutMs !== undefined) this.socket.setTimeout(timeoutMs);
    if (this.paused !== 0) {
      this.paused = 0; // from now on the tunnel pauses and resumes reading
      this.socket.resume();
    }
    const readAhead = this.queue;
    for (let index = 0; index < readAhead.length; index += 1) tunnel.clientData(index === 0 && this.offset > 0 ? readAhead[0]!.subarray(this.offset) : readAhead[index]!);
    this.queue = [];
    this.queued = 0;
    this.offset = 0;
    if (this.ended) tunnel.clientEnded();
  }

  /** The exchange is over; `keep`: the connection goes on to the next request. */
  exchangeOver(exchange: HttpExchange, keep: boolean): void {
    if (this.exchange !== exchange) return;
    this.exchange = undefined;
    this.readySinceMs = this.requestStartMs = Date.now();
    if (!keep || this.socket.destroyed || (this.ended && this.queued === 0)) return this.close();
    this.arm(this.proxy.http.keepAliveTimeoutMs, true);
    this.pump();
  }

  /** Ends the connection once what was written is flushed. */
  private close(): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.end(() => socket.destroy());
  }

  /** A request the parser refused: HAProxy's 400, and the connection closes. */
  private badRequest(): void {
    const page = rawErrorResponse(400);
    this.socket.write(page);
    this.close();
    this.proxy.logBadRequest(this, 400, 'PR', Date.now() - this.readySinceMs, page.length);
  }

  /** The client's FIN: what it sent before is served, then the connection closes; a request it left unfinished is abandoned. */
  private clientEnded(): void {
    this.ended = true;
    if (this.tunnel) this.tunnel.clientEnded();
    else if (this.exchange) this.pump();
    else this.close(); // between requests, or half a head that will never be complete
  }

  private clientTimedOut(): void {
    if (this.tunnel) return this.tunnel.clientTimedOut();
    const exchange = this.exchange;
    if (exchange?.awaitingServer) return;
    exchange?.clientGone(true);
    this.socket.destroy();
  }

  /** The first bytes of a request on a kept-alive connection: from now on it has `timeout http-request` to complete its head. */
  private requestBegun(): void {
    this.waitingForFirstByte = false;
    const timeoutMs = this.proxy.http.requestTimeoutMs;
    if (timeoutMs !== undefined) this.arm(timeoutMs, false);
  }

  private arm(timeoutMs: number | undefined, keepAlive: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waitingForFirstByte = keepAlive && this.queued === 0;
    if (timeoutMs === undefined) return;
    this.timer = setTimeout(() => this.expired(timeoutMs), timeoutMs);
  }

  /** Bytes the client has sent on this connection. */
  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  /**
   * As HAProxy: a request not complete in time gets 408 and the connection closes; a kept-alive
   * connection that stayed silent just closes.
   */
  private expired(timeoutMs: number): void {
    this.timer = undefined;
    if (this.exchange) return;
    if (this.requests > 0 && this.queued === 0) {
      this.socket.destroy();
      return;
    }
    const page = rawErrorResponse(408);
    this.socket.write(page);
    this.close();
    this.proxy.logBadRequest(this, 408, 'cR', timeoutMs, page.length);
  }
}
