// A backend at run time: its servers, and the queue of connections waiting for one of them
// to have a free slot (server maxconn). A connection asks for a server with `acquire` and
// gives its slot back with `release`; a freed slot, or a server coming back, serves the queue
// in arrival order.

import { pickServer } from './pick.js';
import type { BackendPlan } from './plan.js';
import { ServerState } from './server-state.js';
import { WaitQueue } from './wait-queue.js';

interface Waiter {
  clientAddress: string;
  exclude: ServerState | undefined;
  resolve: (server: ServerState | undefined) => void;
}

export class Backend {
  readonly plan: BackendPlan;
  readonly servers: ServerState[];
  private readonly queue = new WaitQueue<Waiter>();
  /** Connections that were given a server (HAProxy's backend stot). */
  total = 0;

  constructor(plan: BackendPlan) {
    this.plan = plan;
    this.servers = plan.servers.map((server) => new ServerState(server));
  }

  get queued(): number {
    return this.queue.length;
  }

  get current(): number {
    return this.servers.reduce((sum, server) => sum + server.current, 0);
  }

  /** No connection holds or waits for a server. */
  get idle(): boolean {
    return this.current === 0 && this.queue.length === 0;
  }

  get up(): boolean {
    return this.servers.some((server) => server.usable);
  }

  server(name: string): ServerState | undefined {
    return this.servers.find((server) => server.plan.name === name);
  }

  /**
   * A server with a slot taken for the connection, or undefined when no server is usable or
   * none freed up within `timeout queue`.
   */
  acquire(clientAddress: string, exclude?: ServerState): Promise<ServerState | undefined> {
    const pick = pickServer(this.plan.balance, this.servers, clientAddress, exclude);
    if (pick === 'none') return Promise.resolve(undefined);
    if (pick !== 'wait') return Promise.resolve(this.take(pick));
    return new Promise((resolve) => this.queue.push({ clientAddress, exclude, resolve }, this.plan.queueTimeoutMs, (waiter) => waiter.resolve(undefined)));
  }

  /** A server with a slot taken, when one is free right now; undefined when `acquire` would have to wait or find none. */
  takeNow(clientAddress: string): ServerState | undefined {
    const pick = pickServer(this.plan.balance, this.servers, clientAddress);
    return pick === 'wait' || pick === 'none' ? undefined : this.take(pick);
  }

  release(server: ServerState): void {
    server.current -= 1;
    this.serveQueue();
  }

  /** Hands free slots to waiting connections, first come first served; call when slots free up or servers come back. */
  serveQueue(): void {
    while (this.queue.length > 0) {
      let chosen: ServerState | undefined;
      const waiter = this.queue.takeFirst((candidate) => {
        const pick = pickServer(this.plan.balance, this.servers, candidate.clientAddress, candidate.exclude);
        if (pick !== 'wait' && pick !== 'none') chosen = pick;
        return chosen !== undefined;
      });
      if (!waiter || !chosen) return;
      waiter.resolve(this.take(chosen));
    }
  }

  /** At shutdown: every waiting connection gets no server. */
  close(): void {
    this.queue.clear((waiter) => waiter.resolve(undefined));
  }

  private take(server: ServerState): ServerState {
    server.current += 1;
    server.total += 1;
    this.total += 1;
    return server;
  }
}
