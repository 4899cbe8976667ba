// Where etcd's leader sits matters for failover: when the node that dies also holds etcd's
// leader, etcd must first elect a new one, and the new leader extends every lease (by the
// TTL plus an election timeout), so the dead node's lease outlives it by that much more;
// meanwhile the other members forward keepalives to the dead leader until they give up,
// which can cost the survivors their leases too.
// The DC therefore keeps etcd's leadership on the member whose node runs the fewest
// resources, by asking the leader to hand it over (a planned transfer: no election
// timeout, no lease lost). etcd members are named after their tandem nodes, as tandem names
// the members it runs.

import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { etcdClient } from './session.js';

/**
 * The member to hand leadership to, if one runs fewer resources than the leader's node.
 * Among equally light members, the first in `preference` wins (the DC passes the other
 * members longest-joined first, itself last: a member that just came back may still be
 * catching up, and the DC's own death should not take etcd's leader with it).
 */
export function leadershipTarget(leader: string, members: string[], load: ReadonlyMap<string, number>, preference: string[] = []): string | undefined {
  const loadOf = (name: string) => load.get(name) ?? 0;
  if (loadOf(leader) === 0) return undefined;
  const rank = (name: string) => (preference.includes(name) ? preference.indexOf(name) : preference.length);
  const lightest = [...members].sort((a, b) => loadOf(a) - loadOf(b) || rank(a) - rank(b) || a.localeCompare(b))[0];
  return lightest !== undefined && loadOf(lightest) < loadOf(leader) ? lightest : undefined;
}

const transferLimitMs = 5_000;

export class LeadershipPlacement {
  private busy = false;

  constructor(private readonly client: Etcd3, private readonly callTimeoutMs: number, private readonly log: Logger) {}

  /** Hands etcd's leadership over where `load` says it costs least; at most one attempt at a time. */
  async rebalance(load: ReadonlyMap<string, number>, preference: string[]): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const options = () => ({ deadline: new Date(Date.now() + this.callTimeoutMs) });
      const { members } = await this.client.cluster.memberList({}, options());
      const status = await this.client.maintenance.status(options());
      const leader = members.find((member) => member.ID === status.leader);
      if (!leader) return;
      const targetName = leadershipTarget(leader.name, members.map((member) => member.name), load, preference);
      const target = members.find((member) => member.name === targetName);
      if (!target) return;
      // Only the leader itself can hand leadership over.
      const atLeader = etcdClient(leader.clientURLs);
      try {
        // A transfer waits for the target to catch up and win: allow it more than a plain call.
        await atLeader.maintenance.moveLeader({ targetID: target.ID }, { deadline: new Date(Date.now() + transferLimitMs) });
      } finally {
        atLeader.close();
      }
      this.log.info({ from: leader.name, to: target.name }, 'etcd leadership handed to the member whose node runs the fewest resources');
    } finally {
      this.busy = false;
    }
  }
}
