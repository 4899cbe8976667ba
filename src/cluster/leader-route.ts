// The way to etcd's leader. Keepalives sent to a follower are forwarded to the leader; when
// the leader dies, the follower holds them until its forward gives up (seconds: a dial to
// a dead host), long after a new leader was elected, and every node could lose its lease
// over one etcd member's death. So the lease keeper talks to the leader itself, found
// through the local member, and looks again whenever its keepalives go unanswered.
//
// After a leader dies, a new one is elected within about twice etcd's election timeout, and
// a node has only what is left of its lease to reach it: a connection to every member is
// made (and its TLS handshake done) ahead of time, so switching to the new leader costs
// one question to the local member, not a connection.

import type { Etcd3, IOptions } from 'etcd3';
import { etcdClient } from './client.js';

export class LeaderRoute {
  /** A connected client per member other than the local one, by member ID. */
  private readonly members = new Map<string, Etcd3>();
  private listed = false;
  private closed = false;
  /** The leader last handed out: its connection carries the keepalives, so it is kept. */
  private leaderId: string | undefined;

  constructor(
    private readonly local: Etcd3,
    private readonly callTimeoutMs: number,
    private readonly credentials?: IOptions['credentials'],
  ) {}

  /** A client connected to the leader as the local member knows it (the local one when in doubt). */
  async client(): Promise<Etcd3> {
    const status = await this.local.maintenance.status(this.options());
    const localId = status.header.member_id;
    const elsewhere = status.leader !== '0' && status.leader !== localId;
    if (!this.listed || (elsewhere && !this.members.has(status.leader))) await this.connectMembers(localId);
    this.leaderId = status.leader;
    return (elsewhere && this.members.get(status.leader)) || this.local;
  }

  /**
   * Connects anew to every member, after a node joined (or came back): a connection to a
   * member that was down may be waiting out gRPC's reconnection backoff. A failure waits
   * for the next look.
   */
  refresh(): void {
    this.local.maintenance
      .status(this.options())
      .then((status) => this.connectMembers(status.header.member_id, true))
      .catch(() => undefined);
  }

  close(): void {
    for (const client of this.members.values()) client.close();
    this.members.clear();
    this.listed = false;
    this.closed = true;
  }

  private options() {
    return { deadline: new Date(Date.now() + this.callTimeoutMs) };
  }

  /** Connects to every member not yet known (or to every one, `anew`); a member gone from the list is let go. */
  private async connectMembers(localId: string, anew = false): Promise<void> {
    const { members } = await this.local.cluster.memberList({}, this.options());
    if (this.closed) return;
    this.listed = true;
    const current = new Set(members.map((member) => member.ID));
    for (const [id, client] of this.members) {
      if (current.has(id) && (!anew || id === this.leaderId)) continue;
      client.close();
      this.members.delete(id);
    }
    for (const member of members) {
      if (member.ID === localId || this.members.has(member.ID) || member.clientURLs.length === 0) continue;
      const client = etcdClient(member.clientURLs, this.credentials);
      this.members.set(member.ID, client);
      // etcd3 connects on the first call: make it now, while there is time.
      client.maintenance.status(this.options()).catch(() => undefined);
    }
  }
}
