// Cluster membership: a node is a member while its key under `members/` lives, and the key
// lives only as long as the node's lease. etcd's quorum is the cluster's: a node cut off
// from a quorum of etcd cannot renew its lease, so it drops out of every other node's view.

import type { Namespace } from 'etcd3';
import { withDeadline } from './deadline.js';

/** Setting up a watch may take a few round trips. */
const watchSetupCalls = 4;

export interface MemberInfo {
  name: string;
  /** Addresses the node is reached at (several, as Corosync's redundant rings). */
  addresses: string[];
  /** When this incarnation of the node joined (ms since the epoch). */
  joinedAtMs: number;
  leaseId: string;
}

export class Members {
  private readonly listeners = new Set<(members: MemberInfo[]) => void>();
  private cancelWatch: (() => Promise<void>) | undefined;

  /** `client` is scoped to the cluster's `members/` namespace. */
  constructor(private readonly client: Namespace, private readonly callTimeoutMs: number) {}

  async register(info: MemberInfo): Promise<void> {
    await this.client.put(info.name).value(JSON.stringify(info)).lease(info.leaseId).options(this.deadline()).exec();
  }

  async list(): Promise<MemberInfo[]> {
    const values = await this.client.getAll().options(this.deadline()).strings();
    return Object.values(values)
      .map((text) => JSON.parse(text) as MemberInfo)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Calls `listener` with the whole membership after every change (and once now). */
  async watch(listener: (members: MemberInfo[]) => void): Promise<void> {
    this.listeners.add(listener);
    if (!this.cancelWatch) {
      // A watch that comes up after its deadline is cancelled: it would keep the process alive.
      const watcher = await withDeadline(this.client.watch().prefix('').create(), this.callTimeoutMs * watchSetupCalls, 'watching the membership', (late) => void late.cancel());
      this.cancelWatch = () => watcher.cancel();
      const refresh = () => void this.list().then((members) => this.listeners.forEach((notify) => notify(members)), () => undefined);
      watcher.on('data', refresh);
      watcher.on('connected', refresh);
    }
    try {
      listener(await this.list());
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.cancelWatch?.();
    this.cancelWatch = undefined;
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.callTimeoutMs) };
  }
}
