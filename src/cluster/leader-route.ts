// The way to etcd's leader. Keepalives sent to a follower are forwarded to the leader; when
// the leader dies, the follower holds them until its forward gives up (seconds: a dial to
// a dead host), long after a new leader was elected, and every node could lose its lease
// over one etcd member's death. So the lease keeper talks to the leader itself, found
// through the local member, and looks again whenever its keepalives go unanswered.

import type { Etcd3, IOptions } from 'etcd3';
import { etcdClient } from './client.js';

export class LeaderRoute {
  private cached: { memberId: string; client: Etcd3 } | undefined;

  constructor(
    private readonly local: Etcd3,
    private readonly callTimeoutMs: number,
    private readonly credentials?: IOptions['credentials'],
  ) {}

  /** A client connected to the leader as the local member knows it (the local one when in doubt). */
  async client(): Promise<Etcd3> {
    const options = () => ({ deadline: new Date(Date.now() + this.callTimeoutMs) });
    const status = await this.local.maintenance.status(options());
    if (status.leader === '0' || status.leader === status.header.member_id) return this.local;
    if (this.cached?.memberId === status.leader) return this.cached.client;
    const { members } = await this.local.cluster.memberList({}, options());
    const leader = members.find((member) => member.ID === status.leader);
    if (!leader || leader.clientURLs.length === 0) return this.local;
    this.close();
    this.cached = { memberId: leader.ID, client: etcdClient(leader.clientURLs, this.credentials) };
    return this.cached.client;
  }

  close(): void {
    this.cached?.client.close();
    this.cached = undefined;
  }
}
