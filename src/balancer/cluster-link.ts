// The balancer's link to the local tandem node (`--cluster-data-dir`): it follows the node's
// `status.watch` feed and applies the cluster's verdict on each server as each snapshot
// arrives, logging every change with its reason. A node that is not running (yet, or any
// more) is said once, then tried again with a growing delay; while there is no node to
// ask, servers keep the last verdict they had.

import { join } from 'node:path';
import { follow, type Following } from '../api/client.js';
import { socketName, type ClusterSnapshot } from '../api/protocol.js';
import { clusterVerdicts } from './cluster-verdicts.js';
import type { BalancerPlan } from './plan.js';
import type { ClusterState } from './server-state.js';

const firstRetryMs = 250;
const lastRetryMs = 5_000;

/** What the link acts on (the Balancer). */
export interface ClusterTarget {
  readonly plan: BalancerPlan;
  clusterState(proxy: string, server: string): ClusterState | undefined;
  setClusterState(proxy: string, server: string, state: ClusterState): void;
}

export interface ClusterLinkOptions {
  /** The local node's data directory (its control socket is there). */
  dataDir: string;
  /** Backends tied to a resource (backend name -> resource id). */
  resources: ReadonlyMap<string, string>;
  target: ClusterTarget;
  log: (line: string) => void;
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

  constructor(options: ClusterLinkOptions) {
    this.options = options;
  }

  start(): void {
    void this.run();
  }

  /** Applies the latest snapshot again (after a reload: to the new configuration's servers). */
  refresh(): void {
    if (this.latest) this.apply(this.latest);
  }

  close(): void {
    this.closed = true;
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
    for (const verdict of clusterVerdicts({ snapshot, plan: target.plan, resources, knownAddresses: this.addresses })) {
      const current = target.clusterState(verdict.backend, verdict.server);
      if (current === undefined || current === verdict.state) continue;
      target.setClusterState(verdict.backend, verdict.server, verdict.state);
      log(`cluster: ${verdict.backend}/${verdict.server} ${current} -> ${verdict.state}: ${verdict.reason}`);
    }
  }
}
