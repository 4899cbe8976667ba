// What an HTTP exchange becomes once its server switched protocols (a 101 answering an Upgrade,
// a 2xx answering CONNECT), as in HAProxy's mode http: the client and server connections carry
// each other's bytes as they come, nothing parsed. A side whose writes back up pauses the other
// until it drains; a FIN is passed on as a half-close (the other direction goes on); a side that
// closes before both directions ended (a reset) takes the other with it. `timeout tunnel`, when
// set, is both sides' idle limit instead of `timeout client` and `timeout server`. Once both
// connections closed, the exchange hears how it ended and how many bytes went each way, for its
// log line and the server's counters; the server connection is never reused.

import type { Socket } from 'node:net';
import type { ServerConnection, ServerTunnelUser } from './http-server-pool.js';

export interface TunnelOwner {
  /** `termination` is HAProxy's (-- both sides closed cleanly, CD/SD one side aborted, cD/sD a timeout). */
  tunnelClosed(termination: string, bytesToServer: number, bytesToClient: number): void;
}

export class HttpTunnel implements ServerTunnelUser {
  private readonly owner: TunnelOwner;
  private readonly client: Socket;
  private readonly upstream: Socket;
  private bytesToServer = 0;
  private bytesToClient = 0;
  /** The client's FIN came (and was passed on to the server). */
  private clientFinished = false;
  private serverFinished = false;
  private clientClosed = false;
  private serverClosed = false;
  private termination = '--';

  /** `upstream` is the tunnel's from now on; `timeoutMs` (`timeout tunnel`) replaces its `timeout server`. */
  constructor(owner: TunnelOwner, client: Socket, upstream: ServerConnection, timeoutMs: number | undefined) {
    this.owner = owner;
    this.client = client;
    this.upstream = upstream.socket;
    upstream.tunnelTo(this, timeoutMs);
  }

  clientData(chunk: Buffer): void {
    this.bytesToServer += chunk.length;
    if (!this.upstream.write(chunk)) this.client.pause();
  }

  serverData(chunk: Buffer): void {
    this.bytesToClient += chunk.length;
    if (!this.client.write(chunk)) this.upstream.pause();
  }

  holdsReadBytes(): boolean {
    return this.client.writableLength > 0;
  }

  clientDrained(): void {
    this.upstream.resume();
  }

  serverDrained(): void {
    this.client.resume();
  }

  clientEnded(): void {
    this.clientFinished = true;
    this.upstream.end();
  }

  serverEnded(): void {
    this.serverFinished = true;
    this.client.end();
  }

  clientTimedOut(): void {
    this.timedOut('cD');
  }

  serverTimedOut(): void {
    this.timedOut('sD');
  }

  /** The client connection closed. */
  clientGone(): void {
    this.clientClosed = true;
    this.sideClosed('CD', this.upstream);
  }

  /** The server connection closed. */
  serverGone(): void {
    this.serverClosed = true;
    this.sideClosed('SD', this.client);
  }

  private timedOut(termination: string): void {
    if (this.termination === '--') this.termination = termination;
    this.client.destroy();
    this.upstream.destroy();
  }

  /** Closed after both FINs went through, it is the end; closed before, the side aborted and the other is cut. */
  private sideClosed(abort: string, other: Socket): void {
    if (!(this.clientFinished && this.serverFinished)) {
      if (this.termination === '--') this.termination = abort;
      other.destroy();
    }
    if (this.clientClosed && this.serverClosed) this.owner.tunnelClosed(this.termination, this.bytesToServer, this.bytesToClient);
  }
}
