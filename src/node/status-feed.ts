// `status.watch`: the cluster as `status` shows it (the view, where resources are about to
// be stopped, the members and their addresses), sent to each follower at once and again
// whenever the store or the membership changes. One computation serves every follower; a
// burst of changes makes one more computation after the one running, not one per change;
// a follower is sent a snapshot only when it differs from the last one it got.

import type { Logger } from 'pino';
import { Feed } from '../api/server.js';
import type { ClusterSnapshot } from '../api/protocol.js';
import type { Cib } from '../model/cib.js';
import { schedule } from '../scheduler/index.js';
import { clusterView, plannedDepartures } from '../status/view.js';
import type { ClusterStore } from '../store/store.js';

export interface StatusFeedContext {
  name: string;
  store: ClusterStore;
  view: (cib: Cib) => Cib;
  describe: () => Promise<Record<string, unknown>>;
  /** Calls back whenever what the status shows may have changed; returns what stops it. */
  changes: (listener: () => void) => () => void;
  log: Logger;
}

function membersOf(cluster: Record<string, unknown>): ClusterSnapshot['members'] {
  const members = Array.isArray(cluster.members) ? (cluster.members as Array<{ name?: unknown; addresses?: unknown }>) : [];
  return members.filter((member) => typeof member.name === 'string').map((member) => ({ name: member.name as string, addresses: Array.isArray(member.addresses) ? member.addresses.map(String) : [] }));
}

export class StatusFeed {
  private readonly followers = new Set<(snapshot: ClusterSnapshot) => void>();
  private stopWatching: (() => void) | undefined;
  private computing = false;
  private again = false;

  constructor(private readonly context: StatusFeedContext) {}

  follow(): Feed {
    return new Feed((send) => {
      let last: string | undefined;
      const follower = (snapshot: ClusterSnapshot) => {
        const key = JSON.stringify({ ...snapshot, revision: 0 });
        if (key === last) return;
        last = key;
        send(snapshot);
      };
      this.followers.add(follower);
      this.stopWatching ??= this.context.changes(() => this.refresh());
      this.refresh();
      return () => {
        this.followers.delete(follower);
        if (this.followers.size > 0) return;
        this.stopWatching?.();
        this.stopWatching = undefined;
      };
    });
  }

  private refresh(): void {
    if (this.computing) {
      this.again = true;
      return;
    }
    this.computing = true;
    void (async () => {
      do {
        this.again = false;
        try {
          const snapshot = await this.snapshot();
          for (const follower of this.followers) follower(snapshot);
        } catch (error) {
          this.context.log.warn({ err: (error as Error).message }, 'status.watch: could not read the cluster; trying again at the next change');
        }
      } while (this.again && this.followers.size > 0);
      this.computing = false;
    })();
  }

  private async snapshot(): Promise<ClusterSnapshot> {
    const { cib: stored, revision } = await this.context.store.read();
    const cib = this.context.view(stored);
    const nowS = Math.floor(Date.now() / 1000);
    const cluster = await this.context.describe();
    return { node: this.context.name, revision, view: clusterView(cib, nowS), leaving: plannedDepartures(cib.configuration, schedule({ cib, nowS })), members: membersOf(cluster) };
  }
}
