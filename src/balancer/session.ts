// One client connection through the balancer in mode tcp: a connected server (retry.ts),
// then bytes forwarded both ways as they come, without `pipe`'s machinery: a side whose
// writes back up pauses the other until it drains, and a half-close is passed on. `timeout
// client` and `timeout server` are idle timeouts on each side; once the server is connected,
// `timeout tunnel` (if set) replaces both, as in HAProxy, whose tcp sessions are tunnels from
// then on. (Unlike mode http's server connections, reads are not into a buffer of the
// session's own: tcp sessions may idle for hours by the thousand, and Node's reads hold no
// memory while idle.)

import { connect, type Socket } from 'node:net';
import type { Backend } from './backend.js';
import { connectWithRetries } from './retry.js';
import type { ServerState } from './server-state.js';

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
    client.on('timeout', () => this.destroy());
    if (this.settings.clientTimeoutMs !== undefined) client.setTimeout(this.settings.clientTimeoutMs);
    const localPort = client.localPort ?? 0;
    const connectTimeoutMs = this.backend.plan.connectTimeoutMs;
    const connected = await connectWithRetries(
      this.backend,
      client.remoteAddress ?? '',
      (server) => connectOnce(server, localPort, connectTimeoutMs),
      () => this.ended,
      (upstream) => upstream.destroy(),
    );
    if (!connected) return this.destroy();
    this.server = connected.server;
    this.forward(connected.connection);
  }

  /** Closes both sides at once (timeouts, errors, shutdown). */
  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
    this.finish();
  }

  private forward(upstream: Socket): void {
    const client = this.client;
    this.upstream = upstream;
    this.server!.live.add(upstream);
    if (this.settings.serverKeepAlive) upstream.setKeepAlive(true);
    const tunnelTimeoutMs = this.backend.plan.tunnelTimeoutMs;
    if (tunnelTimeoutMs !== undefined) client.setTimeout(tunnelTimeoutMs);
    const serverTimeoutMs = tunnelTimeoutMs ?? this.backend.plan.serverTimeoutMs;
    if (serverTimeoutMs !== undefined) upstream.setTimeout(serverTimeoutMs, () => this.destroy());
    upstream.on('error', () => this.destroy());
    upstream.once('close', (hadError) => this.sideClosed(hadError));
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('data', (chunk: Buffer) => {
      if (!upstream.write(chunk)) client.pause();
    });
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
    // A half-close goes through: each side ends the other's writing once its own data is written.
    client.once('end', () => upstream.end());
    upstream.once('end', () => client.end());
    client.resume();
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
