// A client connection of a mode http frontend, between and around its requests: the time a
// client has to send a request (`timeout http-request` for the first, `timeout
// http-keep-alive` while a kept-alive connection is idle), and how many of its requests wait
// for a server, during which `timeout client` does not apply (HAProxy expects nothing from
// the client then).

import type { Socket } from 'node:net';
import { rawErrorResponse } from './http-errors.js';
import type { HttpPlan } from './plan.js';

export class HttpClientConnection {
  readonly socket: Socket;
  private readonly plan: HttpPlan;
  /** Told when a client had no complete request in time and got HAProxy's 408 (for the log). */
  private readonly timedOut: (connection: HttpClientConnection, elapsedMs: number, bytes: number) => void;
  /** When the connection became ready for its next request: accepted, or the last response done. */
  readySinceMs = Date.now();
  /** Requests received, and those not answered yet (more than one when the client pipelines). */
  requests = 0;
  active = 0;
  awaitingServer = 0;
  private timer: NodeJS.Timeout | undefined;
  private bytesReadWhenReady = 0;

  constructor(socket: Socket, plan: HttpPlan, timedOut: HttpClientConnection['timedOut']) {
    this.socket = socket;
    this.plan = plan;
    this.timedOut = timedOut;
    this.arm(plan.requestTimeoutMs);
  }

  /** The headers of a request are in: its time limit no longer runs. Returns when the connection became ready for it. */
  requestArrived(): number {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.requests += 1;
    this.active += 1;
    return this.readySinceMs;
  }

  /** A response is done: once none is pending, the connection idles toward its next request. */
  requestDone(): void {
    this.active -= 1;
    this.readySinceMs = Date.now();
    if (this.active === 0 && !this.socket.destroyed) this.arm(this.plan.keepAliveTimeoutMs);
  }

  closed(): void {
    clearTimeout(this.timer);
  }

  /** Between requests, with nothing of a next one received: closing it now loses no request. */
  get idle(): boolean {
    return this.active === 0 && this.socket.bytesRead === this.bytesReadWhenReady;
  }

  private arm(timeoutMs: number | undefined): void {
    this.bytesReadWhenReady = this.socket.bytesRead;
    if (timeoutMs === undefined) return;
    this.timer = setTimeout(() => this.expired(timeoutMs), timeoutMs);
  }

  /**
   * As HAProxy: a first request not complete in time, or a started one on a kept-alive
   * connection, gets 408 and the connection closes; a kept-alive connection that stayed
   * silent just closes. (Without a hook on every chunk read, a request started during the
   * keep-alive wait is bounded by the keep-alive timeout rather than by its own.)
   */
  private expired(timeoutMs: number): void {
    this.timer = undefined;
    const socket = this.socket;
    if (this.requests > 0 && socket.bytesRead === this.bytesReadWhenReady) {
      socket.destroy();
      return;
    }
    const page = rawErrorResponse(408);
    socket.end(page, () => socket.destroy());
    this.timedOut(this, timeoutMs, page.length);
  }
}
