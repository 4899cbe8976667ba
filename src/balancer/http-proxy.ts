// The mode http side of a frontend: the client connections its listeners admit are read by
// tandem itself (http-client-connection.ts: requests parsed, served in order, keep-alive and
// pipelining), each request an HttpExchange with a server of its own. Server connections are
// kept alive between requests in a per-server pool unless `option http-server-close` or
// `option httpclose` says otherwise. At a reload, a client connection kept alive stays open:
// its next requests are served by the frontend of the same name in the new configuration, or,
// if there is none, it closes once idle, as HAProxy's old process closes kept-alive
// connections when it stops.

import type { Socket } from 'node:net';
import type { Backend } from './backend.js';
import type { Served } from './frontend.js';
import { HttpClientConnection } from './http-client-connection.js';
import type { ExchangeContext } from './http-exchange.js';
import { httpLogLine, type RequestRecord } from './http-log.js';
import { ServerPool } from './http-server-pool.js';
import type { FrontendPlan, HttpPlan } from './plan.js';

export class HttpProxy implements ExchangeContext {
  readonly name: string;
  readonly http: HttpPlan;
  readonly backend: Backend;
  readonly pool: ServerPool;
  readonly logRequest: ((record: RequestRecord) => void) | undefined;
  /** The `option forwardfor` header's name in lowercase, for the parser to tell whether a request has one. */
  readonly forwardForName: Buffer | undefined;
  private readonly clientTimeoutMs: number | undefined;
  private readonly dontLogNull: boolean;
  private readonly connections = new Set<HttpClientConnection>();
  private retired = false;
  private successor: HttpProxy | undefined;

  /** `log` gets the `option httplog` lines. */
  constructor(plan: FrontendPlan, http: HttpPlan, backend: Backend, log: ((line: string) => void) | undefined) {
    this.name = plan.name;
    this.http = http;
    this.backend = backend;
    this.clientTimeoutMs = plan.clientTimeoutMs;
    this.dontLogNull = plan.dontLogNull;
    this.pool = new ServerPool(http.connectionMode === 'keep-alive');
    this.logRequest = http.log && log ? (record) => log(httpLogLine(record)) : undefined;
    this.forwardForName = http.forwardFor ? Buffer.from(http.forwardFor.header.toLowerCase(), 'latin1') : undefined;
  }

  get connectionsOpen(): number {
    return this.connections.size;
  }

  /** Retired with nothing to take over its connections: each closes after its current response. */
  get stopping(): boolean {
    return this.retired && this.successor === undefined;
  }

  /** The frontend's ServeConnection for mode http. */
  readonly serve = (client: Socket, done: () => void): Served => {
    const connection = new HttpClientConnection(client, this, this.clientTimeoutMs);
    this.connections.add(connection);
    client.once('close', () => {
      this.connections.delete(connection);
      connection.closed();
      done();
    });
    client.resume(); // the listener accepted it paused
    return client;
  };

  /**
   * At a reload: this frontend is replaced by `successor` (none: it is gone). Server
   * connections are no longer kept once their request is done; idle client connections close
   * if nothing takes over their next requests.
   */
  retire(successor: HttpProxy | undefined): void {
    this.retired = true;
    this.successor = successor;
    this.pool.keeping = false;
    this.pool.closeIdle();
    this.closeIdleIfStopped();
  }

  /** Closes the idle client connections whose next requests nothing would serve (the latest frontend in their line is gone). */
  closeIdleIfStopped(): void {
    if (!this.latest.retired) return;
    for (const connection of this.connections) if (connection.idle) connection.socket.destroy();
  }

  /** Closes the kept-alive server connections (client connections are the frontend's to end). */
  close(): void {
    this.pool.keeping = false;
    this.pool.closeIdle();
  }

  /** The frontend serving this one's connections now: itself, or the one that replaced it at the last reload. */
  get latest(): HttpProxy {
    let proxy: HttpProxy = this;
    while (proxy.successor) proxy = proxy.successor;
    return proxy;
  }

  /**
   * A request that got 400 (unparsable) or 408 (not complete in time) from the proxy itself;
   * with `option dontlognull`, not a connection that never sent a byte (a probe, a preconnect).
   */
  logBadRequest(connection: HttpClientConnection, status: number, termination: string, elapsedMs: number, bytes: number): void {
    if (!this.logRequest || (this.dontLogNull && connection.bytesReceived === 0)) return;
    this.logRequest({
      clientAddress: connection.clientIp,
      clientPort: connection.clientPort,
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
