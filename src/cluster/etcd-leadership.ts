// Where etcd's leader sits matters for failover: when the node that dies also holds etcd's
// leader, etcd must first elect a new one, and the new leader extends every lease (by the
// TTL plus an election timeout), so the dead node's lease outlives it by that much more;
// meanwhile the other members forward keepalives to the dead leader until they give up,
// which can cost the survivors their leases too.
// The DC therefore keeps etcd's leadership on the member whose node runs the fewest
// resources, by asking the leader to hand it over (a planned transfer: no election
// timeout, no lease lost). etcd members are named after their tandem nodes, as tandem names
// the members it runs.

import type { Etcd3, IOptions } from 'etcd3';
import type { Logger } from 'pino';
import { etcdClient } from './client.js';

/**
 * The member to hand leadership to, if one runs fewer resources than the leader's node.
 * Among equally light members, the first in `preference` wins (the DC passes them
 * longest-joined first: a member that just came back may still be catching up).
 */
export function leadershipTarget(leader: string, members: string[], load: ReadonlyMap<string, number>, preference: string[] = [], dc?: string): string | undefined {
  // The DC's node counts for half a resource: etcd's leader goes there only when every
  // other member runs resources, so one node's death rarely takes two roles.
  const costOf = (name: string) => (load.get(name) ?? 0) + (name === dc ? 0.5 : 0);
  if (costOf(leader) === 0) return undefined;
  const rank = (name: string) => (preference.includes(name) ? preference.indexOf(name) : preference.length);
  const lightest = [...members].sort((a, b) => costOf(a) - costOf(b) || rank(a) - rank(b) || a.localeCompare(b))[0];
  return lightest !== undefined && costOf(lightest) < costOf(leader) ? lightest : undefined;
}

const transferLimitMs = 5_000;

export class LeadershipPlacement {
  private busy = false;

  constructor(
    private readonly client: Etcd3,
    private readonly callTimeoutMs: number,
    private readonly log: Logger,
    private readonly credentials?: IOptions['credentials'],
  ) {}

  /** Hands etcd's leadership over where `load` says it costs least, among the cluster's members (`preference`); at most one attempt at a time. */
  async rebalance(load: ReadonlyMap<string, number>, preference: string[], dc: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const options = () => ({ deadline: new Date(Date.now() + this.callTimeoutMs) });
      const { members } = await this.client.cluster.memberList({}, options());
      const status = await this.client.maintenance.status(options());
      const leader = members.find((member) => member.ID === status.leader);
      if (!leader) return;
      // A learner (a member still joining) cannot lead; nor can a dead node's member, and
      // while a transfer to it waits, etcd's leader refuses every write.
      const voters = members.filter((member) => !member.isLearner && preference.includes(member.name)).map((member) => member.name);
      const targetName = leadershipTarget(leader.name, voters, load, preference, dc);
      const target = members.find((member) => member.name === targetName);
      if (!target) return;
      // Only the leader itself can hand leadership over.
      const atLeader = etcdClient(leader.clientURLs, this.credentials);
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
