// One client connection through the balancer: get a server of the backend (waiting in its
// queue when servers are at maxconn), connect within `timeout connect`, retry a failed
// connect `retries` times (the last one on another server with `option redispatch`), then
// pipe both ways. Pipes respect backpressure and carry half-closes; `timeout client` and
// `timeout server` are idle timeouts on each side.

import { connect, type Socket } from 'node:net';
import type { Backend } from './backend.js';
import type { ServerState } from './server-state.js';

/** HAProxy waits min(timeout connect, 1 s) before retrying the same server, so a restarting server is not hammered. */
const maxTurnaroundMs = 1000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connectOnce(server: ServerState, clientLocalPort: number, timeoutMs: number | undefined): Promise<Socket | undefined> {
  const plan = server.plan;
  return new Promise((resolve) => {
    const socket = connect({ host: plan.host, port: plan.port ?? clientLocalPort + plan.portOffset, allowHalfOpen: true, noDelay: true });
    const failed = () => {
      socket.destroy();
      resolve(undefined);
    };
    socket.once('error', failed);
    if (timeoutMs !== undefined) socket.setTimeout(timeoutMs, failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      socket.setTimeout(0);
      resolve(socket);
    });
  });
}

export interface SessionSettings {
  clientTimeoutMs: number | undefined;
  serverKeepAlive: boolean;
}

export class Session {
  private upstream: Socket | undefined;
  private server: ServerState | undefined;
  private ended = false;
  private readonly client: Socket;
  private readonly backend: Backend;
  private readonly settings: SessionSettings;
  private readonly done: () => void;

  /** `done` is called once, when both sides are closed and the server slot is given back. */
  constructor(client: Socket, backend: Backend, settings: SessionSettings, done: () => void) {
    this.client = client;
    this.backend = backend;
    this.settings = settings;
    this.done = done;
  }

  async start(): Promise<void> {
    const client = this.client;
    client.once('close', (hadError) => this.sideClosed(hadError));
    if (this.settings.clientTimeoutMs !== undefined) client.setTimeout(this.settings.clientTimeoutMs, () => this.destroy());
    const upstream = await this.connectWithRetries();
    if (this.ended) {
      upstream?.destroy();
      return;
    }
    if (!upstream) return this.destroy();
    this.pipe(upstream);
  }

  /** Closes both sides at once (timeouts, errors, shutdown). */
  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
    this.finish();
  }

  /** The server for the connection, or undefined; a slot the session no longer wants is given back. */
  private async acquire(clientAddress: string, exclude?: ServerState): Promise<ServerState | undefined> {
    const server = await this.backend.acquire(clientAddress, exclude);
    if (server && this.ended) {
      this.backend.release(server);
      return undefined;
    }
    this.server = server;
    return server;
  }

  private async connectWithRetries(): Promise<Socket | undefined> {
    const plan = this.backend.plan;
    const clientAddress = this.client.remoteAddress ?? '';
    const localPort = this.client.localPort ?? 0;
    let server = await this.acquire(clientAddress);
    for (let attempt = 0; server; attempt += 1) {
      const upstream = await connectOnce(server, localPort, plan.connectTimeoutMs);
      if (upstream) return upstream;
      server.connectErrors += 1;
      if (attempt >= plan.retries || this.ended) return undefined;
      server.retries += 1;
      if (plan.redispatch && attempt === plan.retries - 1) {
        server.redispatches += 1;
        this.server = undefined;
        this.backend.release(server);
        server = await this.acquire(clientAddress, server);
      } else {
        await delay(Math.min(plan.connectTimeoutMs ?? maxTurnaroundMs, maxTurnaroundMs));
        if (this.ended) return undefined;
      }
    }
    return undefined;
  }

  private pipe(upstream: Socket): void {
    const client = this.client;
    this.upstream = upstream;
    this.server!.live.add(upstream);
    if (this.settings.serverKeepAlive) upstream.setKeepAlive(true);
    if (this.backend.plan.serverTimeoutMs !== undefined) upstream.setTimeout(this.backend.plan.serverTimeoutMs, () => this.destroy());
    upstream.on('error', () => this.destroy());
    upstream.once('close', (hadError) => this.sideClosed(hadError));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /**
   * A side closed cleanly has ended both ways, so the other side has its end too and closes
   * once it has flushed; a side closed by an error takes the other with it.
   */
  private sideClosed(hadError: boolean): void {
    if (hadError) {
      this.client.destroy();
      this.upstream?.destroy();
    }
    this.finish();
  }

  /** Once both sides are closed: counts the bytes, gives the server slot back, tells the frontend. */
  private finish(): void {
    const upstream = this.upstream;
    if (this.ended || !this.client.closed || (upstream && !upstream.closed)) return;
    this.ended = true;
    const server = this.server;
    if (server) {
      if (upstream) {
        server.live.delete(upstream);
        server.closedBytesIn += upstream.bytesWritten;
        server.closedBytesOut += upstream.bytesRead;
      }
      this.backend.release(server);
    }
    this.done();
  }
}
