// A listen or frontend section at run time: a TCP listener on each bind address, its maxconn
// (connections over it wait, unread, in a FIFO bounded by `timeout queue`), and the
// connections it has running. What a running connection does is the mode's business: a tcp
// session (session.ts) or HTTP requests (http-proxy.ts), given by `serve`.

import { createServer, type Server, type Socket } from 'node:net';
import { InputError } from '../model/errors.js';
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
  private readonly listeners: Server[] = [];
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

  /** Listens on every address; rejects (having closed what it opened) if one cannot be bound. */
  async listen(): Promise<void> {
    for (const address of this.plan.addresses) {
      // Paused on connect: nothing is read from a client until it is served.
      const listener = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
      this.listeners.push(listener);
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host: address.host, port: address.port }, () => {
          listener.off('error', reject);
          resolve();
        });
      }).catch(async (error: Error) => {
        await this.close();
        throw new InputError(`${this.plan.name}: cannot listen on ${address.host ?? '*'}:${address.port}: ${error.message}`);
      });
    }
  }

  /** Stops listening and ends every connection, running or queued. */
  async close(): Promise<void> {
    const closing = this.listeners.map((listener) => new Promise((resolve) => (listener.listening ? listener.close(resolve) : resolve(undefined))));
    this.queue.clear((socket) => socket.destroy());
    for (const served of this.served) served.destroy();
    await Promise.all(closing);
  }

  private accept(client: Socket): void {
    client.on('error', ignoreError); // errors close the socket; the session sees the close
    if (this.plan.clientKeepAlive) client.setKeepAlive(true);
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
