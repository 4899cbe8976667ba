// One server of a backend at run time: three independent verdicts decide whether it gets new
// connections (its health checks, what the cluster says, the operator's admin state), plus
// the counters the stats show. Health follows HAProxy's rise/fall counter: a value between 0
// and rise+fall-1, the server UP at or above `rise`; a failure while UP counts down and the
// server falls to 0 (DOWN) on the failure that crosses `rise`, a success while DOWN counts up
// and the server is UP again, fully healthy, on reaching `rise`. It starts UP and fully
// healthy, so that it takes exactly `fall` consecutive failures to go DOWN.
//
// The cluster's verdict is one of up, drain or down, as an HAProxy agent check's: down takes
// the server out as a failed check would, drain as the admin state drain does (no new
// connections, running ones go on: for planned stops); shown as "DOWN (cluster)" and
// "DRAIN (cluster)", in the way HAProxy shows "DOWN (agent)" and "DRAIN (agent)".

import type { Socket } from 'node:net';
import type { CheckPlan, ServerPlan } from './plan.js';

export type AdminState = 'ready' | 'drain' | 'maint';
export type ClusterState = 'up' | 'drain' | 'down';

/** HAProxy's check_status values for the outcomes tandem's checks have. */
export type CheckStatus = 'INI' | 'L4OK' | 'L4CON' | 'L4TOUT' | 'L7OK' | 'L7STS' | 'L7RSP' | 'L7TOUT';

function sameCheckTarget(before: CheckPlan | undefined, after: CheckPlan): boolean {
  return before !== undefined && before.host === after.host && before.port === after.port && JSON.stringify(before.http) === JSON.stringify(after.http);
}

export class ServerState {
  readonly plan: ServerPlan;
  healthUp = true;
  private health: number;
  cluster: ClusterState = 'up';
  admin: AdminState;
  checkStatus: CheckStatus = 'INI';
  /** Failed checks, and UP-to-DOWN transitions, since start (HAProxy's chkfail, chkdown). */
  checkFailures = 0;
  checkDowns = 0;
  /** When the server's status last changed (ms since the epoch). */
  lastChangeMs = Date.now();
  current = 0;
  total = 0;
  connectErrors = 0;
  retries = 0;
  redispatches = 0;
  /** The upstream sockets of live tcp sessions, so that live byte counts show in the stats. */
  readonly live = new Set<Socket>();
  /** Bytes to and from the server counted so far: closed tcp sessions', and mode http's as they pass. */
  countedBytesIn = 0;
  countedBytesOut = 0;
  /** Smooth weighted round robin's running weight (see pick.ts). */
  rrCurrent = 0;

  constructor(plan: ServerPlan) {
    this.plan = plan;
    this.admin = plan.disabled ? 'maint' : 'ready';
    this.health = plan.check ? plan.check.rise + plan.check.fall - 1 : 1;
  }

  /** Whether a new (non-persistent) connection may go here. */
  get usable(): boolean {
    return this.admin === 'ready' && this.healthUp && this.cluster === 'up' && this.plan.weight > 0;
  }

  get full(): boolean {
    return this.plan.maxconn > 0 && this.current >= this.plan.maxconn;
  }

  /** Half way between UP and DOWN: HAProxy checks at `fastinter` then. */
  get transitional(): boolean {
    const check = this.plan.check;
    if (!check) return false;
    return this.healthUp ? this.health < check.rise + check.fall - 1 : this.health > 0;
  }

  /** Records a check's outcome; returns whether the server went UP or DOWN because of it. */
  recordCheck(ok: boolean, status: CheckStatus): boolean {
    const check = this.plan.check!;
    const wasUp = this.healthUp;
    this.checkStatus = status;
    if (ok) {
      this.health = Math.min(this.health + 1, check.rise + check.fall - 1);
      if (this.health >= check.rise) {
        this.healthUp = true;
        this.health = check.rise + check.fall - 1; // as HAProxy: once up, it takes `fall` failures to go down
      }
    } else {
      this.checkFailures += 1;
      if (this.healthUp && this.health <= check.rise) {
        this.health = 0;
        this.healthUp = false;
        this.checkDowns += 1;
      } else {
        this.health = Math.max(this.health - 1, 0);
      }
    }
    if (wasUp === this.healthUp) return false;
    this.lastChangeMs = Date.now();
    return true;
  }

  /**
   * The cluster's verdict. Leaving down, a checked server is DOWN one check away from UP: a
   * service the cluster has just started serves once a check has passed, not before.
   */
  setCluster(state: ClusterState): void {
    if (this.cluster === state) return;
    this.lastChangeMs = Date.now();
    const check = this.plan.check;
    if (this.cluster === 'down' && check) {
      this.healthUp = false;
      this.health = check.rise - 1;
    }
    this.cluster = state;
  }

  setAdmin(state: AdminState): void {
    if (this.admin !== state) this.lastChangeMs = Date.now();
    this.admin = state;
  }

  /** The rise/fall counter (HAProxy's srv_check_health). */
  get checkHealth(): number {
    return this.health;
  }

  /**
   * HAProxy's stat status words, with its "UP 2/3" (going down: failed checks left / fall) and
   * "DOWN 1/2" (going up: successes so far / rise); the cluster's verdicts as "DOWN (cluster)"
   * and "DRAIN (cluster)" (HAProxy's "DOWN (agent)", "DRAIN (agent)").
   */
  get status(): string {
    if (this.admin === 'maint') return 'MAINT';
    if (this.cluster === 'down') return 'DOWN (cluster)';
    const check = this.plan.check;
    if (!this.healthUp) return check && this.health > 0 ? `DOWN ${this.health}/${check.rise}` : 'DOWN';
    if (this.admin === 'drain') return 'DRAIN';
    if (this.cluster === 'drain') return 'DRAIN (cluster)';
    if (!check) return 'no check';
    return this.transitional ? `UP ${this.health - check.rise + 1}/${check.fall}` : 'UP';
  }

  /**
   * At a reload, the server of the same backend and name in the configuration before hands
   * over its state: the cluster's verdict; the runtime admin state, unless the `disabled`
   * keyword itself changed (then the new configuration says); the health counter and last
   * check result while checks go to the same place (a check elsewhere starts afresh, as at
   * start-up). Counters start from zero, as after an HAProxy reload.
   */
  continueFrom(previous: ServerState): void {
    this.cluster = previous.cluster;
    if (previous.plan.disabled === this.plan.disabled) this.admin = previous.admin;
    const check = this.plan.check;
    if (check && sameCheckTarget(previous.plan.check, check)) {
      const full = check.rise + check.fall - 1;
      this.healthUp = previous.healthUp;
      // Within the new rise/fall's range for the same up/down state.
      this.health = previous.healthUp ? Math.min(Math.max(previous.health, check.rise), full) : Math.min(previous.health, check.rise - 1);
      this.checkStatus = previous.checkStatus;
    }
    this.lastChangeMs = this.status === previous.status ? previous.lastChangeMs : Date.now();
  }

  get bytesIn(): number {
    let bytes = this.countedBytesIn;
    for (const socket of this.live) bytes += socket.bytesWritten;
    return bytes;
  }

  get bytesOut(): number {
    let bytes = this.countedBytesOut;
    for (const socket of this.live) bytes += socket.bytesRead;
    return bytes;
  }
}
