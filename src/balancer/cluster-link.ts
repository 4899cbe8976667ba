// The balancer's link to the local tandem node (`--cluster-data-dir`): it follows the node's
// `status.watch` feed and applies the cluster's verdict on each server as each snapshot
// arrives, logging every change with its reason. A node that is not running (yet, or any
// more) is said once, then tried again with a growing delay; while there is no node to
// ask, servers keep the last verdict they had. With tied backends it also reports to the
// node, on change and at most every reportIntervalMs, the sessions left on the servers the
// cluster drains (session-report.ts), so that a planned stop waits no longer than they last.

import { join } from 'node:path';
import { call, follow, type Following } from '../api/client.js';
import { socketName, type ClusterSnapshot, type SessionReport } from '../api/protocol.js';
import { clusterVerdicts, type ServerVerdict } from './cluster-verdicts.js';
import { sessionReport } from './session-report.js';
import type { BalancerPlan } from './plan.js';
import type { ClusterState } from './server-state.js';

const firstRetryMs = 250;
const lastRetryMs = 5_000;
const reportIntervalMs = 250;

/** What the link acts on (the Balancer). */
export interface ClusterTarget {
  readonly plan: BalancerPlan;
  clusterState(proxy: string, server: string): ClusterState | undefined;
  setClusterState(proxy: string, server: string, state: ClusterState): void;
  /** Sessions open on a server (scur). */
  serverSessions(proxy: string, server: string): number | undefined;
}

export interface ClusterLinkOptions {
  /** The local node's data directory (its control socket is there). */
  dataDir: string;
  /** Backends tied to a resource (backend name -> resource id). */
  resources: ReadonlyMap<string, string>;
  target: ClusterTarget;
  log: (line: string) => void;
  /** Reports the sessions of drained servers of tied backends to the node under this id (stable across restarts: a new report replaces the old). */
  reportAs?: string;
}

function isSnapshot(value: unknown): value is ClusterSnapshot {
  const snapshot = value as Partial<ClusterSnapshot> | undefined;
  return typeof snapshot?.node === 'string' && Array.isArray(snapshot.view?.nodes) && Array.isArray(snapshot.view?.resources) && Array.isArray(snapshot.members) && typeof snapshot.leaving === 'object' && snapshot.leaving !== null;
}

export class ClusterLink {
  private readonly options: ClusterLinkOptions;
  private following: Following | undefined;
  private latest: ClusterSnapshot | undefined;
  /** Every node's addresses as last seen: a failed node's servers stay its own after it leaves the membership. */
  private readonly addresses = new Map<string, string[]>();
  private closed = false;
  private wake: (() => void) | undefined;
  private verdicts: ServerVerdict[] = [];
  private reportTimer: NodeJS.Timeout | undefined;
  /** The report the node holds (as JSON); undefined when it may hold none or an older one. */
  private reported: string | undefined;
  private reporting = false;
  private reportFailed = false;

  constructor(options: ClusterLinkOptions) {
    this.options = options;
  }

  start(): void {
    void this.run();
    if (this.options.reportAs === undefined || this.options.resources.size === 0) return;
    this.reportTimer = setInterval(() => this.report(), reportIntervalMs);
    this.reportTimer.unref();
  }

  /** Applies the latest snapshot again (after a reload: to the new configuration's servers). */
  refresh(): void {
    if (this.latest) this.apply(this.latest);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.reportTimer);
    // A balancer that is gone drains nothing: withdraw its report (best effort; the node forgets it anyway when it goes).
    if (this.reported !== undefined && this.reported !== '[]') this.send([]).catch(() => undefined);
    this.following?.close();
    this.wake?.();
  }

  private async run(): Promise<void> {
    const { dataDir, log } = this.options;
    const socket = join(dataDir, socketName);
    let delayMs = firstRetryMs;
    let saidUnreachable = false;
    while (!this.closed) {
      let connected = false;
      let refused: string | undefined;
      this.following = follow(dataDir, { method: 'status.watch' }, (result) => {
        if (!isSnapshot(result)) {
          refused = `the node daemon at ${socket} does not send cluster snapshots (a tandem without status.watch?)`;
          this.following?.close();
          return;
        }
        if (!connected) {
          connected = true;
          saidUnreachable = false;
          delayMs = firstRetryMs;
          this.reported = undefined; // a node that restarted holds no report
          log(`cluster: following node ${result.node} through ${socket}`);
        }
        this.apply(result);
      });
      const ended = await this.following.ended;
      if (this.closed) return;
      const why = refused ?? ended?.message ?? 'the connection closed';
      if (connected) log(`cluster: lost the node daemon (${why}); servers keep their last cluster state; reconnecting`);
      else if (!saidUnreachable) log(`cluster: ${why}; trying again until it answers`);
      saidUnreachable = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      delayMs = Math.min(delayMs * 2, lastRetryMs);
    }
  }

  private apply(snapshot: ClusterSnapshot): void {
    this.latest = snapshot;
    for (const member of snapshot.members) if (member.addresses.length > 0) this.addresses.set(member.name, member.addresses);
    const { target, resources, log } = this.options;
    this.verdicts = clusterVerdicts({ snapshot, plan: target.plan, resources, knownAddresses: this.addresses });
    for (const verdict of this.verdicts) {
      const current = target.clusterState(verdict.backend, verdict.server);
      if (current === undefined || current === verdict.state) continue;
      target.setClusterState(verdict.backend, verdict.server, verdict.state);
      log(`cluster: ${verdict.backend}/${verdict.server} ${current} -> ${verdict.state}: ${verdict.reason}`);
    }
  }

  /** Sends the report when it differs from what the node holds; one at a time. */
  private report(): void {
    if (this.reporting || this.latest === undefined) return;
    const { target, resources, log } = this.options;
    const servers = sessionReport(this.verdicts, resources, (proxy, server) => target.serverSessions(proxy, server));
    const text = JSON.stringify(servers);
    if (text === this.reported) return;
    this.reporting = true;
    this.send(servers)
      .then(
        () => {
          this.reported = text;
          this.reportFailed = false;
        },
        (error: Error) => {
          if (!this.reportFailed) log(`cluster: cannot report sessions to the node (${error.message}); trying again`);
          this.reportFailed = true;
        },
      )
      .finally(() => (this.reporting = false));
  }

  private send(servers: SessionReport[]): Promise<unknown> {
    return call(this.options.dataDir, { method: 'sessions.report', balancer: this.options.reportAs!, servers });
  }
}
