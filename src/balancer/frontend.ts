// A listen or frontend section at run time: what happens to the connections its binds accept
// (the listening sockets are the balancer's, see listener.ts): its maxconn (connections over
// it wait, unread, in a FIFO bounded by `timeout queue`), and the connections it has running.
// What a running connection does is the mode's business: a tcp session (session.ts) or HTTP
// requests (http-proxy.ts), given by `serve`.

import type { Socket } from 'node:net';
import type { FrontendPlan } from './plan.js';
import { WaitQueue } from './wait-queue.js';

const ignoreError = () => {};

/** A running connection, as the frontend needs it: something to end at shutdown. */
export interface Served {
  destroy(): void;
}

/** Starts serving a client connection (paused: nothing read yet); `done` must be called once, when it is over. */
export type ServeConnection = (client: Socket, done: () => void) => Served;

export class Frontend {
  readonly plan: FrontendPlan;
  private readonly serve: ServeConnection;
  private readonly queue = new WaitQueue<Socket>();
  private readonly served = new Set<Served>();
  private readonly clients = new Set<Socket>();
  total = 0;
  closedBytesIn = 0;
  closedBytesOut = 0;

  constructor(plan: FrontendPlan, serve: ServeConnection) {
    this.plan = plan;
    this.serve = serve;
  }

  get current(): number {
    return this.served.size;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** No connection running or waiting: a replaced frontend in this state has nothing left to do. */
  get idle(): boolean {
    return this.served.size === 0 && this.queue.length === 0;
  }

  get bytesIn(): number {
    let bytes = this.closedBytesIn;
    for (const client of this.clients) bytes += client.bytesRead;
    return bytes;
  }

  get bytesOut(): number {
    let bytes = this.closedBytesOut;
    for (const client of this.clients) bytes += client.bytesWritten;
    return bytes;
  }

  /** A new client connection from one of this frontend's binds. */
  readonly accept = (client: Socket): void => {
    client.on('error', ignoreError); // errors close the socket; the session sees the close
    if (this.plan.clientKeepAlive) client.setKeepAlive(true);
    this.admit(client);
  };

  /**
   * At a reload: the connections still waiting for a slot (none of their bytes read yet) go to
   * the frontend that replaces this one, to be served by the new configuration.
   */
  handQueueTo(successor: Frontend): void {
    this.queue.clear((client) => (client.destroyed ? undefined : successor.admit(client)));
  }

  /** Ends every connection, running or queued (at shutdown). */
  close(): void {
    this.queue.clear((socket) => socket.destroy());
    for (const served of this.served) served.destroy();
  }

  private admit(client: Socket): void {
    if (this.plan.maxconn > 0 && this.served.size >= this.plan.maxconn) {
      this.queue.push(client, this.plan.queueTimeoutMs, (expired) => expired.destroy());
      return;
    }
    this.startSession(client);
  }

  private startSession(client: Socket): void {
    this.total += 1;
    this.clients.add(client);
    let served: Served | undefined;
    let over = false;
    served = this.serve(client, () => {
      if (over) return;
      over = true;
      this.served.delete(served!);
      this.clients.delete(client);
      this.closedBytesIn += client.bytesRead;
      this.closedBytesOut += client.bytesWritten;
      const next = this.queue.takeFirst((waiting) => !waiting.destroyed);
      if (next) this.startSession(next);
    });
    if (!over) this.served.add(served);
  }
}
