// One HTTP request through a mode http frontend: a server picked for this request alone
// (so a kept-alive client is balanced request by request), connected with retries and
// redispatch (retry.ts), the request forwarded with its body piped only once the server is
// connected (so a failed connect loses nothing to retry with), the response piped back.
// Bodies are streamed, never buffered, and pipes respect backpressure. What goes wrong is
// answered as HAProxy does: 503 with no server, 504 on `timeout server` before the response
// headers, 502 on a bad or missing response.

import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Backend } from './backend.js';
import type { HttpClientConnection } from './http-client-connection.js';
import { sendError, type ErrorStatus } from './http-errors.js';
import { clientIpOf, forwardedHeaders, responseHeaders } from './http-headers.js';
import type { RequestRecord } from './http-log.js';
import type { HttpPlan } from './plan.js';
import { connectWithRetries } from './retry.js';
import type { ServerState } from './server-state.js';

const ignoreError = () => {};

/** What an exchange needs from its frontend. */
export interface ExchangeContext {
  readonly name: string;
  readonly http: HttpPlan;
  readonly backend: Backend;
  agentFor(server: ServerState): Agent;
  /** Given the finished request's record when `option httplog` is on. */
  logRequest?: (record: RequestRecord) => void;
  readonly connectionsOpen: number;
}

export class HttpExchange {
  private readonly context: ExchangeContext;
  private readonly client: HttpClientConnection;
  private readonly request: IncomingMessage;
  private readonly response: ServerResponse;
  private readonly forwarded: { headers: string[]; hasBody: boolean };
  private readonly clientIp: string;
  private readonly startMs: number;
  private readonly requestMs = Date.now();
  private readonly clientBytesAtStart: number;
  private connectStartMs = -1;
  private connectedMs = -1;
  private responseMs = -1;
  private server: ServerState | undefined;
  private upstream: ClientRequest | undefined;
  private upstreamSocket: Socket | undefined;
  private upstreamBytes = [0, 0];
  private retries = 0;
  private status = -1;
  private termination = '--';
  private awaitingServer = true;
  private over = false;

  constructor(context: ExchangeContext, client: HttpClientConnection, request: IncomingMessage, response: ServerResponse) {
    this.context = context;
    this.client = client;
    this.request = request;
    this.response = response;
    this.startMs = client.requestArrived();
    this.clientBytesAtStart = client.socket.bytesWritten;
    client.awaitingServer += 1;
    this.clientIp = clientIpOf(request.socket);
    this.forwarded = forwardedHeaders(request.rawHeaders, context.http, this.clientIp);
    response.once('close', () => this.finish());
  }

  async start(): Promise<void> {
    const backend = this.context.backend;
    const connected = await connectWithRetries(backend, this.clientIp, (server) => this.connect(server), () => this.over, (upstream) => upstream.destroy());
    if (this.over) return;
    if (!connected) return this.fail(503, 'SC');
    this.server = connected.server;
    this.retries = connected.retries;
    const upstream = (this.upstream = connected.connection);
    this.upstreamSocket = upstream.socket ?? undefined;
    this.connectedMs = Date.now();
    const timeoutMs = backend.plan.serverTimeoutMs;
    if (timeoutMs !== undefined) upstream.setTimeout(timeoutMs, () => this.serverTimedOut(upstream));
    if (this.forwarded.hasBody) this.request.pipe(upstream);
  }

  /** Sends the request to `server`; resolves with it once connected (a kept-alive socket is at once), or undefined if the connect failed. */
  private connect(server: ServerState): Promise<ClientRequest | undefined> {
    if (this.connectStartMs < 0) this.connectStartMs = Date.now();
    const plan = server.plan;
    const request = this.request;
    const upstream = httpRequest({
      host: plan.host,
      port: plan.port ?? (request.socket.localPort ?? 0) + plan.portOffset,
      method: request.method,
      path: request.url,
      headers: this.forwarded.headers,
      agent: this.context.agentFor(server),
    });
    // Without a body, the request is complete now; its head goes out once a socket is there.
    if (!this.forwarded.hasBody) upstream.end();
    return new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (connected: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!connected) upstream.destroy();
        resolve(connected ? upstream : undefined);
      };
      upstream.on('error', (error: NodeJS.ErrnoException) => (settled ? this.upstreamFailed(upstream, error) : settle(false)));
      upstream.on('response', (response) => this.responded(upstream, response));
      upstream.once('socket', (socket) => {
        this.upstreamBytes = [socket.bytesWritten, socket.bytesRead]; // before this request's head goes out
        if (!socket.connecting) return settle(true);
        socket.once('connect', () => settle(true));
        const timeoutMs = this.context.backend.plan.connectTimeoutMs;
        if (timeoutMs !== undefined) timer = setTimeout(() => settle(false), timeoutMs);
      });
    });
  }

  private responded(upstream: ClientRequest, response: IncomingMessage): void {
    if (upstream !== this.upstream || this.over) {
      response.destroy();
      return;
    }
    this.serverAnswered();
    this.responseMs = Date.now();
    this.status = response.statusCode ?? 502;
    this.response.writeHead(this.status, response.statusMessage, responseHeaders(response.rawHeaders, this.context.http.connectionMode === 'close'));
    response.once('end', () => this.countUpstreamBytes());
    response.on('error', ignoreError); // a premature close also emits 'aborted' as an error; 'close' below handles it
    response.once('close', () => {
      if (response.complete) return;
      this.termination = 'SD'; // the server went away in the middle of the body
      this.response.destroy();
    });
    response.pipe(this.response);
  }

  private serverTimedOut(upstream: ClientRequest): void {
    if (upstream !== this.upstream || this.over) return;
    this.dropUpstream();
    if (this.responseMs < 0) return this.fail(504, 'sH');
    this.termination = 'sD';
    this.response.destroy();
  }

  private upstreamFailed(upstream: ClientRequest, error: NodeJS.ErrnoException): void {
    if (upstream !== this.upstream || this.over) return;
    this.dropUpstream();
    // An unparsable response (llhttp's HPE_ codes) is the proxy refusing it; a closed connection is the server's doing.
    if (this.responseMs < 0) return this.fail(502, error.code?.startsWith('HPE_') ? 'PH' : 'SH');
    this.termination = 'SD';
    this.response.destroy();
  }

  private fail(status: ErrorStatus, termination: string): void {
    this.serverAnswered();
    this.status = status;
    this.termination = termination;
    sendError(this.response, status);
  }

  private dropUpstream(): void {
    const upstream = this.upstream;
    this.countUpstreamBytes();
    this.upstream = undefined;
    upstream?.destroy();
  }

  private serverAnswered(): void {
    if (!this.awaitingServer) return;
    this.awaitingServer = false;
    this.client.awaitingServer -= 1;
  }

  /** Counted when the server's part is over, before its kept-alive socket can carry another request. */
  private countUpstreamBytes(): void {
    const socket = this.upstreamSocket;
    if (!socket || !this.server) return;
    this.upstreamSocket = undefined;
    this.server.closedBytesIn += socket.bytesWritten - this.upstreamBytes[0]!;
    this.server.closedBytesOut += socket.bytesRead - this.upstreamBytes[1]!;
  }

  /** When the response is done or the client went away: frees the server and tells the connection and the log. */
  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.serverAnswered();
    if (!this.response.writableFinished) {
      if (this.termination === '--') this.termination = this.responseMs < 0 ? 'CH' : 'CD';
      this.dropUpstream(); // half a response on its socket: it cannot serve another request
    }
    this.countUpstreamBytes();
    const server = this.server;
    if (server) this.context.backend.release(server);
    this.client.requestDone();
    if (this.context.logRequest) this.context.logRequest(this.record());
  }

  private record(): RequestRecord {
    const since = (ms: number, from: number) => (ms < 0 || from < 0 ? -1 : ms - from);
    const request = this.request;
    const server = this.server;
    return {
      clientAddress: this.clientIp,
      clientPort: request.socket.remotePort ?? 0,
      startMs: this.startMs,
      frontend: this.context.name,
      backend: this.context.backend.plan.name,
      server: server?.plan.name,
      timers: [this.requestMs - this.startMs, since(this.connectStartMs, this.requestMs), since(this.connectedMs, this.connectStartMs), since(this.responseMs, this.connectedMs), Date.now() - this.startMs],
      status: this.status,
      bytes: this.client.socket.bytesWritten - this.clientBytesAtStart,
      termination: this.termination,
      counts: { frontend: this.context.connectionsOpen, backend: this.context.backend.current, server: server?.current ?? 0, retries: this.retries, backendQueue: this.context.backend.queued },
      requestLine: `${request.method} ${request.url} HTTP/${request.httpVersion}`,
    };
  }
}
