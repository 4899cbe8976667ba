// One client connection through the balancer in mode tcp: a connected server (retry.ts),
// then bytes forwarded both ways as they come, without `pipe`'s machinery: a side whose
// writes back up pauses the other until it drains, and a half-close is passed on. `timeout
// client` and `timeout server` are idle timeouts on each side; once the server is connected,
// `timeout tunnel` (if set) replaces both, as in HAProxy, whose tcp sessions are tunnels from
// then on. Each side's bytes are read into a buffer of its own (in-place-reads.ts), not one
// allocated per read, and written on to the other side from there at once.

import { connect, type Socket } from 'node:net';
import type { Backend } from './backend.js';
import { copiesTo, InPlaceReads, readInto } from './in-place-reads.js';
import { connectWithRetries } from './retry.js';
import type { ServerState } from './server-state.js';
import { tcpLogLine } from './tcp-log.js';

interface ServerConnection {
  socket: Socket;
  reads: InPlaceReads;
  /** What the server sent before the session forwarded its bytes (copies). */
  early: Buffer[];
}

/** One connection attempt: the socket, or why it failed. */
function connectOnce(server: ServerState, client: Socket, timeoutMs: number | undefined): Promise<ServerConnection | 'refused' | 'timeout'> {
  const plan = server.plan;
  return new Promise((resolve) => {
    const early: Buffer[] = [];
    const reads = new InPlaceReads(copiesTo((copy) => early.push(copy)));
    const socket = connect({ host: plan.host, port: plan.port ?? (client.localPort ?? 0) + plan.portOffset, allowHalfOpen: true, noDelay: true, onread: reads.onread });
    const failed = (why: 'refused' | 'timeout') => {
      socket.destroy();
      resolve(why);
    };
    socket.once('error', () => failed('refused'));
    if (timeoutMs !== undefined) socket.setTimeout(timeoutMs, () => failed('timeout'));
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.setTimeout(0);
      resolve({ socket, reads, early });
    });
  });
}

export interface SessionSettings {
  clientTimeoutMs: number | undefined;
  serverKeepAlive: boolean;
  frontend: string;
  /** The frontend's running connections, for the log line. */
  connectionsOpen: () => number;
  /** Where `option tcplog` lines go; none: not logged. */
  log: ((line: string) => void) | undefined;
  /** `option dontlognull`: a session that moved no byte either way is not logged. */
  dontLogNull: boolean;
}

/** Where a session is when it ends, as HAProxy's termination state names it. */
type Phase = 'Q' | 'C' | 'D';

export class Session {
  private upstream: Socket | undefined;
  private clientReads: InPlaceReads | undefined;
  private serverReads: InPlaceReads | undefined;
  private server: ServerState | undefined;
  /** The last server a connection was tried to, for the log when none answered. */
  private attempted: ServerState | undefined;
  private ended = false;
  private readonly startMs = Date.now();
  private phase: Phase = 'Q';
  /** Who ended the session first (C/S: client/server closed or failed, c/s: their timeout); none: it ended normally. */
  private endedBy: string | undefined;
  private firstAttemptMs = -1;
  private attemptMs = -1;
  private connectedMs = -1;
  private retries = 0;
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
    client.once('close', (hadError) => {
      // A client gone before its server answered the connection has aborted it.
      if (hadError || this.phase !== 'D') this.blame('C');
      this.sideClosed(hadError);
    });
    client.on('timeout', () => this.destroy('c'));
    if (this.settings.clientTimeoutMs !== undefined) client.setTimeout(this.settings.clientTimeoutMs);
    const connectTimeoutMs = this.backend.plan.connectTimeoutMs;
    let lastFailure: 'refused' | 'timeout' | undefined;
    // The client's address is asked of the kernel (once: Node keeps it) only when the source
    // hash or the log needs it, and while the socket is open.
    const clientAddress = this.backend.plan.balance === 'source' || this.settings.log ? (client.remoteAddress ?? '') : '';
    const connected = await connectWithRetries(
      this.backend,
      clientAddress,
      async (server) => {
        this.attemptMs = Date.now();
        this.attempted = server;
        if (this.firstAttemptMs < 0) this.firstAttemptMs = this.attemptMs;
        this.phase = 'C';
        const result = await connectOnce(server, client, connectTimeoutMs);
        if (typeof result !== 'string') return result;
        lastFailure = result;
        return undefined;
      },
      () => this.ended,
      (upstream) => upstream.socket.destroy(),
    );
    if (!connected) {
      // No attempt at all: no server was usable, or none freed a slot within the queue timeout.
      if (lastFailure === undefined) {
        if (Date.now() - this.startMs >= (this.backend.plan.queueTimeoutMs ?? Infinity)) return this.destroy('s');
        this.phase = 'C'; // HAProxy logs "no server" as a connection refused
        return this.destroy('S');
      }
      return this.destroy(lastFailure === 'timeout' ? 's' : 'S');
    }
    this.connectedMs = Date.now();
    this.retries = connected.retries;
    this.phase = 'D';
    this.server = connected.server;
    this.forward(connected.connection);
  }

  /** Closes both sides at once (timeouts, errors, shutdown), naming who caused it for the log. */
  destroy(by?: string): void {
    if (by !== undefined) this.blame(by);
    this.client.destroy();
    this.upstream?.destroy();
    this.finish();
  }

  private forward({ socket: upstream, reads, early }: ServerConnection): void {
    const client = this.client;
    this.upstream = upstream;
    this.server!.live.add(upstream);
    if (this.settings.serverKeepAlive) upstream.setKeepAlive(true);
    const tunnelTimeoutMs = this.backend.plan.tunnelTimeoutMs;
    if (tunnelTimeoutMs !== undefined) client.setTimeout(tunnelTimeoutMs);
    upstream.once('close', (hadError) => {
      if (hadError) this.blame('S');
    });
    const serverTimeoutMs = tunnelTimeoutMs ?? this.backend.plan.serverTimeoutMs;
    if (serverTimeoutMs !== undefined) upstream.setTimeout(serverTimeoutMs, () => this.destroy('s'));
    upstream.on('error', () => this.destroy('S'));
    upstream.once('close', (hadError) => this.sideClosed(hadError));
    // Both ways, bytes are written on from the buffer they were read into.
    let flowing = true;
    for (const chunk of early) flowing = client.write(chunk);
    reads.sink = { data: (chunk) => client.write(chunk), holdsReadBytes: () => client.writableLength > 0 };
    if (!flowing) upstream.pause();
    this.clientReads = readInto(client, { data: (chunk) => upstream.write(chunk), holdsReadBytes: () => upstream.writableLength > 0 });
    this.serverReads = reads;
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

  /** Once both sides are closed: logs the session, counts the bytes, gives the server slot back, tells the frontend. */
  private finish(): void {
    const upstream = this.upstream;
    if (this.ended || !this.client.closed || (upstream && !upstream.closed)) return;
    this.ended = true;
    // Both sides closed: no write from either buffer is waiting any more.
    this.clientReads?.release();
    this.serverReads?.release();
    this.logSession();
    const server = this.server;
    if (server) {
      if (upstream) {
        server.live.delete(upstream);
        server.countedBytesIn += upstream.bytesWritten;
        server.countedBytesOut += upstream.bytesRead;
      }
      this.backend.release(server);
    }
    this.done();
  }

  /** The first cause of the end is the one logged. */
  private blame(by: string): void {
    if (this.endedBy === undefined) this.endedBy = by;
  }

  private logSession(): void {
    const { log, dontLogNull } = this.settings;
    const client = this.client;
    if (!log || (dontLogNull && client.bytesRead === 0 && client.bytesWritten === 0)) return;
    const since = (ms: number, from: number) => (ms < 0 || from < 0 ? -1 : ms - from);
    log(
      tcpLogLine({
        clientAddress: client.remoteAddress ?? '-',
        clientPort: client.remotePort ?? 0,
        startMs: this.startMs,
        frontend: this.settings.frontend,
        backend: this.backend.plan.name,
        server: (this.server ?? this.attempted)?.plan.name,
        timers: [this.firstAttemptMs < 0 ? -1 : this.firstAttemptMs - this.startMs, since(this.connectedMs, this.attemptMs), Date.now() - this.startMs],
        bytesToClient: client.bytesWritten,
        termination: this.endedBy === undefined ? '--' : `${this.endedBy}${this.phase}`,
        counts: { frontend: this.settings.connectionsOpen(), backend: this.backend.current, server: this.server?.current ?? 0, retries: this.retries, backendQueue: this.backend.queued },
      }),
    );
  }
}
