// One HTTP request through a mode http frontend: a server picked for this request alone (so a
// kept-alive client is balanced request by request), connected with retries and redispatch
// (retry.ts) or taken from the server's pool of kept-alive connections, the request head
// forwarded (rewritten only where the proxy changes it) with the first body bytes in the same
// write, the rest of the body forwarded as it comes, and the response the same way back.
// The body is read from the client only once the server is connected (a failed connect is
// retried with nothing lost). Bytes are never copied unless a head is rewritten, and a side
// whose writes back up pauses the other. What goes wrong is answered as HAProxy does: 503
// with no server, 504 on `timeout server` before the response head, 502 on a bad or missing
// response. A server that switches protocols (101 to an Upgrade, 2xx to CONNECT) turns the
// exchange into a tunnel (http-tunnel.ts), logged when the tunnel closes.

import type { Backend } from './backend.js';
import { bodyReader, type BodyReader } from './http-body.js';
import type { HttpClientConnection } from './http-client-connection.js';
import { rawErrorResponse, type ErrorStatus } from './http-errors.js';
import { Framing, HeadError, type RequestHead } from './http-head.js';
import { composeHead, connectionClose, connectionKeepAlive, connectionUpgrade, contentLengthLine } from './http-headers.js';
import type { RequestRecord } from './http-log.js';
import { ResponseHeadReader } from './http-response-head.js';
import { openServerConnection, type ServerConnection, type ServerConnectionUser, type ServerPool } from './http-server-pool.js';
import { HttpTunnel, type TunnelOwner } from './http-tunnel.js';
import type { HttpPlan } from './plan.js';
import { connectWithRetries } from './retry.js';
import type { ServerState } from './server-state.js';

/** What an exchange needs from the frontend serving it. */
export interface ExchangeContext {
  readonly name: string;
  readonly http: HttpPlan;
  readonly backend: Backend;
  readonly pool: ServerPool;
  /** Replaced at a reload and nothing took over: the client connection closes after this response. */
  readonly stopping: boolean;
  /** Given the finished request's record when `option httplog` is on. */
  readonly logRequest: ((record: RequestRecord) => void) | undefined;
  readonly connectionsOpen: number;
}

export class HttpExchange implements ServerConnectionUser, TunnelOwner {
  private readonly context: ExchangeContext;
  private readonly client: HttpClientConnection;
  private readonly head: RequestHead;
  /** The request head is headBuf[headStart, head.end). */
  private readonly headBuf: Buffer;
  private readonly headStart: number;
  private readonly requestBody: BodyReader;
  private readonly startMs: number;
  private readonly requestMs: number;
  private connectStartMs = -1;
  private connectedMs = -1;
  private responseMs = -1;
  private server: ServerState | undefined;
  private upstream: ServerConnection | undefined;
  private retries = 0;
  private status = -1;
  private termination = '--';
  /** Bytes from the server on the connection in use (none: a silent close may be replayed). */
  private bytesFromServer = 0;
  private bytesToClient = 0;
  headSent = false;
  private replayed = false;
  private readonly responseHead: ResponseHeadReader;
  private responseBody: BodyReader | undefined;
  private responseFraming = Framing.None;
  /** Reading from the server is paused until the client's socket drains. */
  private upstreamPaused = false;
  /** The server may get another request on this connection after this response. */
  private serverKeeps = false;
  /** The client connection closes after this response. */
  private closeClient = false;
  over = false;

  constructor(context: ExchangeContext, client: HttpClientConnection, head: RequestHead, headBuf: Buffer, headStart: number, startMs: number) {
    this.context = context;
    this.client = client;
    this.head = head;
    this.headBuf = headBuf;
    this.headStart = headStart;
    this.requestBody = bodyReader(head.framing, head.contentLength);
    this.responseHead = new ResponseHeadReader(head.isHead, head.upgrade);
    this.startMs = startMs;
    this.requestMs = Date.now();
  }

  /** A server is connected and the request may go out. */
  get connected(): boolean {
    return this.upstream !== undefined && !this.over;
  }

  /** The request went out whole: its head, and its body to the end. */
  get requestSent(): boolean {
    return this.headSent && this.requestBody.done;
  }

  /**
   * Waiting for a server (a slot, a connection) or for the response head, with nothing more
   * expected from the client: `timeout client` does not apply. A client that stops in the
   * middle of its request body is timed out as any other.
   */
  get awaitingServer(): boolean {
    return this.responseMs < 0 && !this.over && (!this.headSent || this.requestBody.done);
  }

  /**
   * Gets the request a server; true when it has one at once (a free slot and a kept-alive
   * connection to it: no promise, no wait), else the client connection hears of it later.
   */
  start(): boolean {
    const context = this.context;
    const server = context.backend.takeNow(this.client.clientIp);
    if (server) {
      this.connectStartMs = Date.now();
      const pooled = context.pool.take(server);
      if (pooled) {
        this.server = server;
        this.connectedMs = this.connectStartMs;
        this.use(pooled);
        return true;
      }
    }
    void this.connectWithRetries(server);
    return false;
  }

  private async connectWithRetries(acquired: ServerState | undefined): Promise<void> {
    const context = this.context;
    const pool = context.pool;
    const connected = await connectWithRetries(context.backend, this.client.clientIp, (server) => this.connect(server), () => this.over, (upstream) => pool.give(upstream), acquired);
    if (this.over) return;
    if (!connected) return this.fail(503, 'SC');
    this.server = connected.server;
    this.retries = connected.retries;
    this.connectedMs = Date.now();
    this.use(connected.connection);
    this.client.pump();
  }

  /** A kept-alive connection to `server` if the pool has one, else a new one. */
  private connect(server: ServerState): Promise<ServerConnection | undefined> {
    if (this.connectStartMs < 0) this.connectStartMs = Date.now();
    const pooled = this.context.pool.take(server);
    if (pooled) return Promise.resolve(pooled);
    return this.open(server);
  }

  private open(server: ServerState): Promise<ServerConnection | undefined> {
    const plan = server.plan;
    const backendPlan = this.context.backend.plan;
    return openServerConnection(server, plan.host, plan.port ?? this.client.localPort + plan.portOffset, backendPlan.connectTimeoutMs, backendPlan.serverTimeoutMs);
  }

  private use(upstream: ServerConnection): void {
    this.upstream = upstream;
    this.bytesFromServer = 0;
    upstream.user = this;
    upstream.uses += 1;
  }

  /**
   * Sends the request head, with the body bytes of buf[start, end) (what the client sent after
   * the head, if any) in the same write. Returns how many of those bytes were body.
   */
  sendHead(buf: Buffer | undefined, start: number, end: number): number {
    const taken = buf ? this.requestBody.take(buf, start, end) : 0;
    if (taken < 0) {
      this.badRequestBody();
      return 0;
    }
    this.headSent = true;
    const context = this.context;
    const http = context.http;
    const head = this.head;
    // Keep-alive towards the server is HTTP/1.1's default; an HTTP/1.0 request asks for it. An
    // upgrade says so whatever the mode: refused, the connection is closed or kept as for any request.
    const connection = head.upgrade ? connectionUpgrade : http.connectionMode !== 'keep-alive' || context.stopping ? connectionClose : head.minorVersion === 0 ? connectionKeepAlive : undefined;
    let added = http.forwardFor && !(http.forwardFor.ifNone && head.hasForwardFor) ? this.client.forwardForLine(http.forwardFor.header) : undefined;
    if (head.lengthRewritten) added = added ? Buffer.concat([contentLengthLine(head.contentLength), added]) : contentLengthLine(head.contentLength);
    const out = composeHead(this.headBuf, this.headStart, head.end, head.dropped, added, connection, buf, start, start + taken);
    this.writeUpstream(out);
    return taken;
  }

  /** Forwards the body bytes of buf[start, end); returns how many there were (the rest is the client's next request). */
  sendBody(buf: Buffer, start: number, end: number): number {
    const taken = this.requestBody.take(buf, start, end);
    if (taken < 0) {
      this.badRequestBody();
      return 0;
    }
    if (taken > 0) this.writeUpstream(taken === buf.length ? buf : buf.subarray(start, start + taken));
    return taken;
  }

  private writeUpstream(bytes: Buffer): void {
    this.server!.countedBytesIn += bytes.length;
    if (!this.upstream!.socket.write(bytes)) this.client.pauseForUpstream();
  }

  /** A chunked request body broken mid-way: the server has part of a request, the client a 400 (or a cut, if answered already). */
  private badRequestBody(): void {
    this.dropUpstream();
    if (this.responseMs < 0) this.fail(400, 'PD');
    else this.abort('PD');
  }

  serverDrained(): void {
    this.client.resumeForUpstream();
  }

  clientDrained(): void {
    if (!this.upstreamPaused) return;
    this.upstreamPaused = false;
    if (this.connected) this.upstream!.socket.resume();
  }

  serverData(chunk: Buffer): void {
    if (this.over) return;
    this.bytesFromServer += chunk.length;
    this.server!.countedBytesOut += chunk.length;
    if (this.responseBody) return this.forwardResponseBody(chunk);
    let final;
    try {
      final = this.responseHead.read(chunk, this);
    } catch (error) {
      if (error instanceof HeadError) return this.badResponse();
      throw error;
    }
    if (!final) return;
    const { buf, start, head } = final;
    const end = head.end;
    this.responseMs = Date.now();
    this.status = head.status;
    if (head.status === 101 || (this.head.isConnect && head.status < 300)) return this.openTunnel(buf, start, end, head.dropped);
    this.responseFraming = head.framing;
    const body = (this.responseBody = bodyReader(head.framing, head.contentLength));
    this.serverKeeps = !head.wantsClose;
    const request = this.head;
    this.closeClient = request.wantsClose || head.framing === Framing.UntilClose || this.context.http.connectionMode === 'close' || this.context.stopping || this.client.ended;
    const connection = this.closeClient ? connectionClose : request.minorVersion === 0 ? connectionKeepAlive : undefined;
    const taken = body.take(buf, end, buf.length);
    if (taken < 0) return this.badResponse();
    if (end + taken < buf.length) this.serverKeeps = false; // more than its response: the connection is out of step
    const length = head.lengthRewritten ? contentLengthLine(head.contentLength) : undefined;
    this.writeClient(composeHead(buf, start, end, head.dropped, length, connection, buf, end, end + taken));
    if (body.done) this.responseDone();
  }

  /**
   * The server switched protocols: its head goes to the client (a 101 says `Connection:
   * upgrade`), with what followed it in the same read, and from then on both connections are a
   * tunnel. The server slot stays taken until the tunnel closes.
   */
  private openTunnel(buf: Buffer, start: number, end: number, dropped: number[]): void {
    this.writeClient(composeHead(buf, start, end, dropped, undefined, this.status === 101 ? connectionUpgrade : undefined, buf, end, buf.length));
    const upstream = this.upstream!;
    this.upstream = undefined;
    const timeoutMs = this.context.backend.plan.tunnelTimeoutMs;
    this.client.tunnelThrough(new HttpTunnel(this, this.client.socket, upstream, timeoutMs), timeoutMs);
  }

  tunnelClosed(termination: string, bytesToServer: number, bytesToClient: number): void {
    this.termination = termination;
    this.server!.countedBytesIn += bytesToServer;
    this.server!.countedBytesOut += bytesToClient;
    this.bytesToClient += bytesToClient;
    this.end(false);
  }

  interimResponse(bytes: Buffer): void {
    this.writeClient(bytes);
  }

  holdsReadBytes(): boolean {
    return this.client.socket.writableLength > 0;
  }

  private forwardResponseBody(chunk: Buffer): void {
    const taken = this.responseBody!.take(chunk, 0, chunk.length);
    if (taken < 0) return this.abort('SD'); // the server broke its chunked framing: the client cannot get a valid message
    if (taken < chunk.length) this.serverKeeps = false;
    if (taken > 0) this.writeClient(taken === chunk.length ? chunk : chunk.subarray(0, taken));
    if (this.responseBody!.done) this.responseDone();
  }

  private writeClient(bytes: Buffer): void {
    this.bytesToClient += bytes.length;
    if (!this.client.write(bytes) && this.connected) {
      this.upstreamPaused = true;
      this.upstream!.socket.pause();
    }
  }

  serverGone(): void {
    if (this.over) return;
    const upstream = this.upstream!;
    const silent = this.bytesFromServer === 0 && !this.responseHead.started && this.bytesToClient === 0;
    this.upstream = undefined;
    if (this.responseBody) {
      // A body delimited by the server's close is complete now; any other is cut short.
      if (this.responseFraming === Framing.UntilClose) return this.responseDone();
      return this.abort('SD');
    }
    if (silent && this.mayReplay(upstream)) return void this.replay();
    this.fail(502, 'SH');
  }

  /**
   * A kept-alive connection the server closed, without a word, as this request went out (its
   * keep-alive timeout struck): an idempotent request without a body goes again, once, on a new
   * connection, as a client would (RFC 9112 9.3.1.1); a body already streamed cannot be.
   */
  private mayReplay(upstream: ServerConnection): boolean {
    return !this.replayed && upstream.uses > 1 && this.head.idempotent && this.head.framing === Framing.None && this.server !== undefined;
  }

  private async replay(): Promise<void> {
    this.replayed = true;
    this.headSent = false;
    const fresh = await this.open(this.server!);
    if (this.over) {
      fresh?.socket.destroy();
      return;
    }
    if (!fresh) return this.fail(502, 'SH');
    this.use(fresh);
    this.client.pump();
  }

  serverTimedOut(): void {
    if (this.over) return;
    this.dropUpstream();
    if (this.responseMs < 0) return this.fail(504, 'sH');
    this.abort('sD');
  }

  /** The client connection closed (or its idle time ran out: `timedOut`) before the response was done. */
  clientGone(timedOut = false): void {
    if (this.over) return;
    // A client timeout strikes while data is expected from or sent to the client: HAProxy's cD.
    const phase = timedOut ? 'D' : this.upstream === undefined && this.responseMs < 0 ? 'C' : this.responseMs < 0 ? 'H' : 'D';
    this.termination = (timedOut ? 'c' : 'C') + phase;
    this.dropUpstream();
    this.end(false);
  }

  /** HAProxy's error page, when nothing of a response went out yet (else the client connection is cut); the client connection closes. */
  private fail(status: ErrorStatus, termination: string): void {
    if (this.responseMs >= 0 || this.bytesToClient > 0) return this.abort(termination);
    this.status = status;
    this.termination = termination;
    this.writeClient(rawErrorResponse(status));
    this.dropUpstream();
    this.end(false);
  }

  private badResponse(): void {
    this.dropUpstream();
    this.fail(502, 'PH');
  }

  /** Half a response went out: the client connection can only be cut. */
  private abort(termination: string): void {
    this.termination = termination;
    this.dropUpstream();
    this.client.socket.destroy();
    this.end(false);
  }

  private responseDone(): void {
    const upstream = this.upstream;
    if (upstream) {
      this.upstream = undefined;
      upstream.user = undefined;
      if (this.upstreamPaused) upstream.socket.resume(); // a pooled connection must hear of its close
      // Reused only if it is in step: request and response both complete, and nobody asked to close.
      if (this.serverKeeps && this.requestSent && this.context.http.connectionMode === 'keep-alive' && !this.context.stopping) this.context.pool.give(upstream);
      else upstream.socket.destroy();
    }
    this.end(!this.closeClient && this.requestSent);
  }

  private dropUpstream(): void {
    const upstream = this.upstream;
    if (!upstream) return;
    this.upstream = undefined;
    upstream.user = undefined;
    upstream.socket.destroy();
  }

  /** The exchange is over: frees the server slot, logs, and tells the client connection whether it goes on. */
  private end(keepClient: boolean): void {
    if (this.over) return;
    this.over = true;
    const server = this.server;
    if (server) this.context.backend.release(server);
    if (this.context.logRequest) this.context.logRequest(this.record());
    this.client.exchangeOver(this, keepClient);
  }

  private record(): RequestRecord {
    const since = (ms: number, from: number) => (ms < 0 || from < 0 ? -1 : ms - from);
    const head = this.head;
    const buf = this.headBuf;
    const server = this.server;
    return {
      clientAddress: this.client.clientIp,
      clientPort: this.client.clientPort,
      startMs: this.startMs,
      frontend: this.context.name,
      backend: this.context.backend.plan.name,
      server: server?.plan.name,
      timers: [this.requestMs - this.startMs, since(this.connectStartMs, this.requestMs), since(this.connectedMs, this.connectStartMs), since(this.responseMs, this.connectedMs), Date.now() - this.startMs],
      status: this.status,
      bytes: this.bytesToClient,
      termination: this.termination,
      counts: { frontend: this.context.connectionsOpen, backend: this.context.backend.current, server: server?.current ?? 0, retries: this.retries, backendQueue: this.context.backend.queued },
      requestLine: `${buf.toString('latin1', this.headStart, head.methodEnd)} ${buf.toString('latin1', head.targetStart, head.targetEnd)} HTTP/1.${head.minorVersion}`,
    };
  }
}
