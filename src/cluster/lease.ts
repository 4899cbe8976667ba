// A node's lease in etcd: its membership and its right to run resources. Safety does not
// wait for etcd to say the lease is gone (the client library says so late, at twice the
// TTL): every keepalive answered proves the lease lives until (time it was sent + TTL),
// since etcd restarts the TTL only on receipt. Before that instant, less a margin long
// enough to stop what runs here, the keeper calls `onLost` on its own timer, so the node
// stops its resources before anyone else may start them.

import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { withDeadline } from './deadline.js';

export interface LeaseTiming {
  /** The lease's time to live; etcd counts in whole seconds, so a multiple of 1000. */
  leaseTtlMs: number;
  /** How often a keepalive is sent. */
  keepaliveIntervalMs: number;
  /** Time kept back before the earliest possible expiry, to stop what runs here. */
  stopMarginMs: number;
  /** Deadline of one call to etcd. */
  callTimeoutMs: number;
}

/** Unanswered keepalives after which the stream is taken for dead. */
const stalledAfterKeepalives = 2;

/**
 * 1 s leases: a node that dies is known dead after about a second. A new etcd leader (the
 * election timeout follows the lease, see timing.ts) is reached within one keepalive
 * interval of its election, so losing etcd's leader seldom costs a node its lease.
 */
export const defaultLeaseTiming: LeaseTiming = { leaseTtlMs: 1_000, keepaliveIntervalMs: 50, stopMarginMs: 400, callTimeoutMs: 500 };

export function checkLeaseTiming(timing: LeaseTiming): void {
  if (timing.leaseTtlMs < 1_000 || timing.leaseTtlMs % 1_000 !== 0) throw new Error(`leaseTtlMs=${timing.leaseTtlMs}: etcd leases are whole seconds, at least 1`);
  if (timing.keepaliveIntervalMs * 2 + timing.stopMarginMs >= timing.leaseTtlMs) {
    throw new Error(`keepaliveIntervalMs=${timing.keepaliveIntervalMs} and stopMarginMs=${timing.stopMarginMs} leave no room for a missed keepalive in leaseTtlMs=${timing.leaseTtlMs}`);
  }
}

interface KeepaliveStream {
  write(request: { ID: string }): void;
  on(event: 'data', handler: (response: { ID: string; TTL: string }) => void): void;
  on(event: 'error' | 'end', handler: (error?: Error) => void): void;
  end(): void;
}

export class LeaseKeeper {
  private leaseId: string | undefined;
  /** Until when (local monotonic ms) the lease is known to live. */
  private safeUntilMs = 0;
  private stream: KeepaliveStream | undefined;
  /** The client the stream goes through: etcd's leader when it was opened. */
  private streamTarget: Etcd3 | undefined;
  private sentAtMs: number[] = [];
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private safetyTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly timing: LeaseTiming,
    private readonly log: Logger,
    private readonly onLost: () => void,
    /** Where keepalives go: etcd's leader itself (see leader-route.ts). */
    private readonly keepaliveClient: () => Promise<Etcd3> = async () => client,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    checkLeaseTiming(timing);
  }

  get id(): string | undefined {
    return this.leaseId;
  }

  /** Whether the lease is known to live beyond the stop margin from now. */
  get safe(): boolean {
    return this.leaseId !== undefined && this.nowMs() < this.safeUntilMs - this.timing.stopMarginMs;
  }

  /** Grants a new lease and keeps it alive until `stop` or until it is lost. */
  async acquire(): Promise<string> {
    this.stop();
    // Granted through the way keepalives will go: its connection is made before the lease
    // counts down, not by the first keepalive (a TLS handshake to etcd's leader on a busy
    // machine could eat the margin of a fresh lease).
    const target = await this.keepaliveClient();
    const sentMs = this.nowMs();
    const granted = await target.leaseClient.leaseGrant({ TTL: this.timing.leaseTtlMs / 1000 }, { deadline: new Date(Date.now() + this.timing.callTimeoutMs) });
    this.leaseId = granted.ID;
    const grantedMs = Number(granted.TTL) * 1000;
    // etcd raises a lease to its minimum, 1.5 election timeouts (an etcd cluster tandem does not run may be slower).
    if (grantedMs !== this.timing.leaseTtlMs) this.log.warn({ leaseId: granted.ID, leaseTtlMs: this.timing.leaseTtlMs, grantedMs }, 'etcd granted a longer lease than asked: a dead node is found out that much later');
    this.renewedUntil(sentMs + grantedMs);
    this.keepaliveTimer = setInterval(() => this.sendKeepalive(), this.timing.keepaliveIntervalMs);
    return granted.ID;
  }

  /** Ends the lease at once (a planned departure): what it holds is deleted now. */
  async revoke(): Promise<void> {
    const id = this.leaseId;
    this.stop();
    if (id !== undefined) await this.client.leaseClient.leaseRevoke({ ID: id }, { deadline: new Date(Date.now() + this.timing.callTimeoutMs) });
  }

  stop(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.keepaliveTimer = undefined;
    this.safetyTimer = undefined;
    this.closeStream();
    this.leaseId = undefined;
  }

  private renewedUntil(untilMs: number): void {
    if (untilMs <= this.safeUntilMs && this.safetyTimer) return;
    this.safeUntilMs = untilMs;
    if (this.safetyTimer) clearTimeout(this.safetyTimer);
    this.safetyTimer = setTimeout(() => this.lost('no keepalive answered in time'), Math.max(0, untilMs - this.timing.stopMarginMs - this.nowMs()));
  }

  private lost(reason: string): void {
    if (this.leaseId === undefined) return;
    this.log.warn({ leaseId: this.leaseId, reason }, 'lease may expire: stopping what runs here');
    this.stop();
    this.onLost();
  }

  private sendKeepalive(): void {
    const id = this.leaseId;
    if (id === undefined) return;
    // While the answers have stopped (etcd's leader died, or is slow), the way to the leader
    // is asked again on every tick, so a newly elected one is reached within a tick; the
    // stream is left as it is while the leader stays the same, unless it stays silent for long.
    const oldestMs = this.sentAtMs[0];
    const silentMs = oldestMs === undefined ? 0 : this.nowMs() - oldestMs;
    const stallMs = this.stallMs;
    if (this.stream && silentMs > stallMs) void this.openStream(silentMs > 2 * stallMs);
    if (!this.stream) void this.openStream(true);
    if (!this.stream) return;
    this.sentAtMs.push(this.nowMs());
    try {
      this.stream.write({ ID: id });
    } catch {
      this.closeStream();
    }
  }

  private opening = false;

  /** Silence after which keepalives count as unanswered. */
  private get stallMs(): number {
    return stalledAfterKeepalives * this.timing.keepaliveIntervalMs;
  }

  /** Opens a stream to the leader, unless `evenToSame` is false and the leader is the one the stream goes to already. */
  private async openStream(evenToSame: boolean): Promise<void> {
    if (this.opening) return;
    this.opening = true;
    try {
      const target = await this.keepaliveClient();
      if (!evenToSame && this.stream && target === this.streamTarget) return;
      // A stream to a leader that just died may wait for a connection for seconds, and no
      // other way would be tried meanwhile: past a stall's length, the next tick tries again.
      const opened = target.leaseClient.leaseKeepAlive() as unknown as Promise<KeepaliveStream>;
      const stream = await withDeadline(opened, this.stallMs, 'a keepalive stream', (late) => late.end());
      if (this.leaseId === undefined) {
        stream.end();
        return;
      }
      this.closeStream();
      this.stream = stream;
      this.streamTarget = target;
      stream.on('data', (response) => {
        // Only the current stream's answers match the send times kept.
        if (this.stream !== stream) return;
        const sentMs = this.sentAtMs.shift();
        if (sentMs === undefined || response.ID !== this.leaseId) return;
        // etcd answers TTL 0 for a lease it no longer has.
        if (Number(response.TTL) <= 0) this.lost('etcd says the lease expired');
        else this.renewedUntil(sentMs + Number(response.TTL) * 1000);
      });
      const broken = () => {
        if (this.stream === stream) this.closeStream();
      };
      stream.on('error', broken);
      stream.on('end', broken);
    } catch {
      // etcd unreachable: the next keepalive tries again; the safety timer runs regardless.
    } finally {
      this.opening = false;
    }
  }

  private closeStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    this.streamTarget = undefined;
    this.sentAtMs = [];
    try {
      stream?.end();
    } catch {
      // Already broken.
    }
  }
}
