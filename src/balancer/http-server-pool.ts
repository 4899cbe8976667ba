// Server connections of a mode http frontend: one TCP connection carries one request at a
// time, and between requests waits in its server's pool to be reused (LIFO: the most recently
// used is the warmest, and the rest may time out). The socket's listeners are set once, when
// it is opened, and pass its events to whichever exchange holds it now, so that a request on a
// reused connection costs no listener or timer of its own. `timeout server` is the socket's
// idle limit: an exchange hears of it (504 or sD), an idle pooled connection just closes. A
// connection that switched protocols (101, or a CONNECT's 2xx) becomes a tunnel's (see
// http-tunnel.ts) until it closes: its FIN is passed on as a half-close, and it never goes back
// to a pool.

import { connect, type Socket } from 'node:net';
import { InPlaceReads, type ReadSink } from './in-place-reads.js';
import type { ServerState } from './server-state.js';

/** What an exchange holding a server connection is told. */
export interface ServerConnectionUser {
  /** `chunk` is a view of the connection's read buffer, valid until the next read unless `holdsReadBytes` says a write still needs it. */
  serverData(chunk: Buffer): void;
  /** After serverData: some of the chunk's bytes are still referenced (a write not flushed yet). */
  holdsReadBytes(): boolean;
  /** The server closed its side (its FIN, a reset, an error): nothing more will come. */
  serverGone(): void;
  serverTimedOut(): void;
  serverDrained(): void;
}

/** What a tunnel holding a server connection is told besides: the server's FIN, its side still open for writing. */
export interface ServerTunnelUser extends ServerConnectionUser {
  serverEnded(): void;
}

/**
 * A server connection reads in place (in-place-reads.ts): into a buffer of its own, reused
 * from read to read (no allocation per read, about a tenth of the CPU of a small request),
 * and left to a pending write that still refers to it. Pooled connections hold theirs while
 * idle, and there are as many as requests ran at once.
 */
export class ServerConnection implements ReadSink {
  readonly socket: Socket;
  readonly server: ServerState;
  user: ServerConnectionUser | undefined;
  /** Requests it has carried: a reused connection may have been closed by the server meanwhile. */
  uses = 0;
  private pool: ServerPool | undefined;
  private tunnel: ServerTunnelUser | undefined;
  private gone = false;
  /** Who got the bytes just read: asked whether it still holds them, even if it let go of the connection meanwhile. */
  private reader: ServerConnectionUser | undefined;

  constructor(server: ServerState, host: string, port: number, timeoutMs: number | undefined) {
    this.server = server;
    // Half-open allowed: in a tunnel, the server's FIN only ends one direction.
    const socket = (this.socket = connect({ host, port, noDelay: true, allowHalfOpen: true, onread: new InPlaceReads(this).onread }));
    socket.on('error', () => {}); // followed by 'close'
    socket.on('end', () => (this.tunnel ? this.tunnel.serverEnded() : this.goneNow()));
    socket.on('close', () => this.goneNow());
    socket.on('drain', () => this.user?.serverDrained());
    // A listener of its own (setTimeout's callback would hear of one timeout only): a tunnel may change the limit.
    socket.on('timeout', () => {
      if (this.user) this.user.serverTimedOut();
      else socket.destroy();
    });
    if (timeoutMs !== undefined) socket.setTimeout(timeoutMs);
  }

  /** Returns true: pausing is the exchange's business (socket.pause). */
  data(chunk: Buffer): boolean {
    const user = (this.reader = this.user);
    if (!user) {
      this.socket.destroy(); // a server talking out of turn cannot be trusted with the next request
      return true;
    }
    user.serverData(chunk);
    return true;
  }

  holdsReadBytes(): boolean {
    const held = this.reader?.holdsReadBytes() ?? false;
    this.reader = undefined;
    return held;
  }

  get usable(): boolean {
    return !this.gone && !this.socket.destroyed;
  }

  /** Waits in `pool` for its next request. */
  idleIn(pool: ServerPool): void {
    this.user = undefined;
    this.pool = pool;
  }

  takenFromPool(): void {
    this.pool = undefined;
  }

  /** From now on `tunnel`'s, until it closes; `idleTimeoutMs` replaces `timeout server` if given. */
  tunnelTo(tunnel: ServerTunnelUser, idleTimeoutMs: number | undefined): void {
    this.user = tunnel;
    this.tunnel = tunnel;
    if (idleTimeoutMs !== undefined) this.socket.setTimeout(idleTimeoutMs);
  }

  private goneNow(): void {
    if (this.gone) return;
    this.gone = true;
    this.socket.destroy();
    if (this.pool) this.pool.forget(this);
    else this.user?.serverGone();
  }
}

/** Resolves with the connection once connected, undefined if it failed or `timeoutMs` passed first. */
export function openServerConnection(server: ServerState, host: string, port: number, connectTimeoutMs: number | undefined, serverTimeoutMs: number | undefined): Promise<ServerConnection | undefined> {
  const connection = new ServerConnection(server, host, port, serverTimeoutMs);
  const socket = connection.socket;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (connected: boolean) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('close', onClose);
      if (!connected) socket.destroy();
      resolve(connected ? connection : undefined);
    };
    const onConnect = () => settle(true);
    const onClose = () => settle(false);
    socket.once('connect', onConnect);
    socket.once('close', onClose);
    if (connectTimeoutMs !== undefined) timer = setTimeout(() => settle(false), connectTimeoutMs);
  });
}

export class ServerPool {
  private readonly idle = new Map<ServerState, ServerConnection[]>();
  /** Whether connections are kept for another request (keep-alive mode, not retired). */
  keeping: boolean;

  constructor(keeping: boolean) {
    this.keeping = keeping;
  }

  /** The most recently pooled live connection to `server`, if any. */
  take(server: ServerState): ServerConnection | undefined {
    const stack = this.idle.get(server);
    while (stack && stack.length > 0) {
      const connection = stack.pop()!;
      if (!connection.usable) continue;
      connection.takenFromPool();
      return connection;
    }
    return undefined;
  }

  /** A connection done with its request, its response read to the end: kept, or closed if the pool keeps none. */
  give(connection: ServerConnection): void {
    if (!this.keeping || !connection.usable) {
      connection.socket.destroy();
      return;
    }
    connection.idleIn(this);
    let stack = this.idle.get(connection.server);
    if (!stack) this.idle.set(connection.server, (stack = []));
    stack.push(connection);
  }

  forget(connection: ServerConnection): void {
    const stack = this.idle.get(connection.server);
    const index = stack ? stack.indexOf(connection) : -1;
    if (index >= 0) stack!.splice(index, 1);
  }

  /** Closes every pooled connection (at a reload or shutdown). */
  closeIdle(): void {
    for (const stack of this.idle.values()) for (const connection of stack.splice(0)) connection.socket.destroy();
  }
}
