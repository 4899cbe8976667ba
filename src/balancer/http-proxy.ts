// The mode http side of a frontend: the client connections its listeners admit are handed to
// a Node `http.Server` (never listening itself) that parses their requests, keep-alive and
// pipelining included; each request becomes an HttpExchange with a server of its own. Servers
// are reached through one `http.Agent` per server, keeping connections alive between
// requests unless `option http-server-close` or `option httpclose` says otherwise. At a
// reload, a client connection kept alive stays open: its next requests are served by the
// frontend of the same name in the new configuration, or, if there is none, it closes once
// idle, as HAProxy's old process closes kept-alive connections when it stops.

import { Agent, createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Backend } from './backend.js';
import type { Served } from './frontend.js';
import { HttpClientConnection } from './http-client-connection.js';
import { rawErrorResponse } from './http-errors.js';
import { HttpExchange, type ExchangeContext } from './http-exchange.js';
import { clientIpOf } from './http-headers.js';
import { httpLogLine, type RequestRecord } from './http-log.js';
import type { FrontendPlan, HttpPlan } from './plan.js';
import type { ServerState } from './server-state.js';

export class HttpProxy implements ExchangeContext {
  readonly name: string;
  readonly http: HttpPlan;
  readonly backend: Backend;
  readonly logRequest?: (record: RequestRecord) => void;
  private readonly server: Server;
  private readonly agents = new Map<ServerState, Agent>();
  private readonly connections = new Map<Socket, HttpClientConnection>();
  private retired = false;
  private successor: HttpProxy | undefined;

  /** `log` gets the `option httplog` lines. */
  constructor(plan: FrontendPlan, http: HttpPlan, backend: Backend, log: ((line: string) => void) | undefined) {
    this.name = plan.name;
    this.http = http;
    this.backend = backend;
    if (http.log && log) this.logRequest = (record) => log(httpLogLine(record));
    // Node's own request and keep-alive timers are off: HttpClientConnection keeps HAProxy's.
    this.server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0 }, (request, response) => {
      const connection = this.connections.get(request.socket);
      if (!connection) return void response.destroy();
      const serving = this.latest;
      if (serving.retired) response.shouldKeepAlive = false; // answered, then closed
      void new HttpExchange(serving, connection, request, response).start();
    });
    // `timeout client` is the socket's idle limit, except while a request waits for its server.
    this.server.timeout = plan.clientTimeoutMs ?? 0;
    this.server.on('timeout', (socket: Socket) => {
      if ((this.connections.get(socket)?.awaitingServer ?? 0) === 0) socket.destroy();
    });
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => this.badRequest(error, socket));
  }

  get connectionsOpen(): number {
    return this.connections.size;
  }

  /** The frontend's ServeConnection for mode http. */
  readonly serve = (client: Socket, done: () => void): Served => {
    const connection = new HttpClientConnection(client, this.http, (timedOut, elapsedMs, bytes) => this.logBadRequest(timedOut, 408, 'cR', elapsedMs, bytes));
    this.connections.set(client, connection);
    client.once('close', () => {
      this.connections.delete(client);
      connection.closed();
      done();
    });
    this.server.emit('connection', client);
    client.resume(); // the listener accepted it paused
    return client;
  };

  agentFor(server: ServerState): Agent {
    let agent = this.agents.get(server);
    if (!agent) {
      // LIFO reuse keeps the fewest connections warm; a slot per request is taken in the backend, so no socket limit here.
      agent = new Agent({ keepAlive: this.http.connectionMode === 'keep-alive' && !this.retired, scheduling: 'lifo', noDelay: true });
      this.agents.set(server, agent);
    }
    return agent;
  }

  /**
   * At a reload: this frontend is replaced by `successor` (none: it is gone). Server
   * connections are no longer kept once their request is done; idle client connections close
   * if nothing takes over their next requests.
   */
  retire(successor: HttpProxy | undefined): void {
    this.retired = true;
    this.successor = successor;
    for (const agent of this.agents.values()) {
      agent.maxFreeSockets = 0;
      for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
    }
    this.closeIdleIfStopped();
  }

  /** Closes the idle client connections whose next requests nothing would serve (the latest frontend in their line is gone). */
  closeIdleIfStopped(): void {
    if (!this.latest.retired) return;
    for (const connection of this.connections.values()) if (connection.idle) connection.socket.destroy();
  }

  /** Closes the kept-alive server connections (client connections are the frontend's to end). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
  }

  /** The frontend serving this one's connections now: itself, or the one that replaced it at the last reload. */
  private get latest(): HttpProxy {
    let proxy: HttpProxy = this;
    while (proxy.successor) proxy = proxy.successor;
    return proxy;
  }

  /** A request Node's parser refused: HAProxy's 400, unless the client is already gone. */
  private badRequest(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const page = rawErrorResponse(400);
    socket.end(page, () => socket.destroy());
    const connection = this.connections.get(socket);
    if (connection) this.logBadRequest(connection, 400, 'PR', Date.now() - connection.readySinceMs, page.length);
  }

  private logBadRequest(connection: HttpClientConnection, status: number, termination: string, elapsedMs: number, bytes: number): void {
    if (!this.logRequest) return;
    const socket = connection.socket;
    this.logRequest({
      clientAddress: clientIpOf(socket),
      clientPort: socket.remotePort ?? 0,
      startMs: connection.readySinceMs,
      frontend: this.name,
      backend: this.backend.plan.name,
      server: undefined,
      timers: [-1, -1, -1, -1, elapsedMs],
      status,
      bytes,
      termination,
      counts: { frontend: this.connections.size, backend: this.backend.current, server: 0, retries: 0, backendQueue: this.backend.queued },
      requestLine: '<BADREQ>',
    });
  }
}
