// One node's place in a cluster on etcd: its lease, its membership key, its part in the
// DC election, and the request channel. When the lease may expire, the node withdraws as
// DC, stops everything it runs (through `onLeaseLost`), and only then tries to rejoin
// with a new lease, as a new incarnation that forgets its history and probes.

import type { Etcd3, IOptions } from 'etcd3';
import type { Logger } from 'pino';
import { EtcdStore } from '../store/etcd.js';
import { etcdClient } from './client.js';
import { DcElection } from './election.js';
import { LeaderRoute } from './leader-route.js';
import { LeaseKeeper, type LeaseTiming } from './lease.js';
import { Members, type MemberInfo } from './members.js';
import { RequestChannel } from './requests.js';

const rejoinRetryMs = 500;

export interface ClusterSessionOptions<T> {
  etcdEndpoints: string[];
  /** etcd client TLS and credentials, when the cluster has them. */
  etcdCredentials?: IOptions['credentials'];
  clusterName: string;
  nodeName: string;
  addresses: string[];
  timing: LeaseTiming;
  log: Logger;
  /** Stop everything here, now: the lease may expire. */
  onLeaseLost: () => Promise<void>;
  /** Joined with a new lease (first start or after a loss): write this node's fresh status. */
  onJoined: () => Promise<void>;
  onDcChange: (isDc: boolean) => void;
  onMembersChange: (members: MemberInfo[]) => void;
  runRequest: (request: T) => Promise<number>;
}


export class ClusterSession<T> {
  readonly client: Etcd3;
  readonly store: EtcdStore;
  private readonly root;
  private readonly lease: LeaseKeeper;
  private readonly leaderRoute: LeaderRoute;
  private readonly members: Members;
  private readonly election: DcElection;
  private readonly requests: RequestChannel<T>;
  private memberNames = new Set<string>();
  private latestMembers: MemberInfo[] = [];
  private leaving = false;
  private joining = false;

  constructor(private readonly options: ClusterSessionOptions<T>) {
    this.client = etcdClient(options.etcdEndpoints, options.etcdCredentials);
    this.root = this.client.namespace(`tandem/${options.clusterName}/`);
    const callTimeoutMs = options.timing.callTimeoutMs;
    this.store = new EtcdStore({ client: this.root.namespace('store/') as Etcd3, callTimeoutMs });
    this.leaderRoute = new LeaderRoute(this.client, callTimeoutMs, options.etcdCredentials);
    this.lease = new LeaseKeeper(this.client, options.timing, options.log, () => void this.leaseLost(), () => this.leaderRoute.client());
    this.members = new Members(this.root.namespace('members/'), callTimeoutMs);
    this.election = new DcElection(this.root, options.nodeName, callTimeoutMs, options.onDcChange);
    this.requests = new RequestChannel<T>(this.root.namespace('requests/'), callTimeoutMs, options.log);
  }

  get isDc(): boolean {
    return this.election.isDc;
  }

  /** The members as last seen, with what they registered. */
  get memberInfo(): readonly MemberInfo[] {
    return this.latestMembers;
  }

  /** Names of the nodes whose lease lives now. */
  get memberSet(): ReadonlySet<string> {
    return this.memberNames;
  }

  /** Joins the cluster, waiting (and saying so) while etcd is out of reach or still starting. */
  async start(): Promise<void> {
    await this.untilDone('watch the membership', () =>
      this.members.watch((members) => {
        const names = new Set(members.map((member) => member.name));
        const left = [...this.memberNames].filter((name) => !names.has(name));
        const joined = [...names].filter((name) => !this.memberNames.has(name));
        if (left.length + joined.length > 0) this.options.log.info({ members: [...names], joined, left }, 'membership changed');
        for (const name of left) this.requests.abandon(name);
        // A node that joins brings its etcd member: connect to it before it may have to lead.
        if (joined.length > 0) this.leaderRoute.refresh();
        this.memberNames = names;
        this.latestMembers = members;
        this.options.onMembersChange(members);
      }),
    );
    await this.untilDone('listen for answers', () => this.requests.listen());
    await this.joinUntilDone('join the cluster');
  }

  /** Runs an operation on another node, as DC; undefined when not DC any more or the node left. */
  dispatch(node: string, request: T, answerLimitMs: number): Promise<number | undefined> {
    const guard = this.election.guard;
    if (!guard || !this.memberNames.has(node)) return Promise.resolve(undefined);
    return this.requests.send(node, request, guard, this.root, answerLimitMs);
  }

  /** The members, each with what is left of its lease (seconds, as etcd counts) as membership status shows it. */
  async listMembers(): Promise<Array<MemberInfo & { leaseLeftS?: number }>> {
    const members = await this.members.list();
    return Promise.all(
      members.map(async (member) => {
        const lease = await this.client.leaseClient.leaseTimeToLive({ ID: member.leaseId }, { deadline: new Date(Date.now() + this.options.timing.callTimeoutMs) }).catch(() => undefined);
        return lease === undefined ? member : { ...member, leaseLeftS: Number(lease.TTL) };
      }),
    );
  }

  async currentDc(): Promise<string | undefined> {
    return this.election.current();
  }

  get leaseId(): string | undefined {
    return this.lease.id;
  }

  /** Whether this node's lease is known to live (beyond the time kept to stop what runs here). */
  get leaseSafe(): boolean {
    return this.lease.safe;
  }

  /** A planned departure: give up the DC role and the lease (the membership key goes with it). */
  async leave(): Promise<void> {
    this.leaving = true;
    this.election.withdraw();
    await this.lease.revoke().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.leaving = true;
    this.lease.stop();
    await this.election.close();
    await this.requests.close();
    await this.members.close();
    await this.store.close();
    this.leaderRoute.close();
    this.client.close();
  }

  /** One attempt; it fails if the lease is lost on the way, so no node believes it joined without one. */
  private async join(): Promise<void> {
    const leaseId = await this.lease.acquire();
    const stillHeld = () => {
      if (this.lease.id !== leaseId) throw new Error(`lease ${leaseId} was lost while joining`);
    };
    await this.options.onJoined();
    stillHeld();
    // Listening before becoming a member: the DC sends requests only to members.
    await this.requests.serve(this.options.nodeName, (request) => this.options.runRequest(request));
    stillHeld();
    await this.members.register({ name: this.options.nodeName, addresses: this.options.addresses, joinedAtMs: Date.now(), leaseId });
    stillHeld();
    await this.election.campaign(leaseId);
    stillHeld();
    this.options.log.info({ leaseId, leaseTtlMs: this.options.timing.leaseTtlMs }, 'joined the cluster');
  }

  private async joinUntilDone(what: string): Promise<void> {
    this.joining = true;
    try {
      await this.untilDone(what, () => this.join());
    } finally {
      this.joining = false;
    }
  }

  private async leaseLost(): Promise<void> {
    this.election.withdraw();
    this.requests.abandonAll();
    await this.options.onLeaseLost();
    // A join in progress fails on its own (its lease is gone) and tries again.
    if (this.joining) return;
    await this.joinUntilDone('rejoin the cluster');
  }

  /** Runs `step` until it succeeds or the node leaves; a failed join gives up its lease first. */
  private async untilDone(what: string, step: () => Promise<void>): Promise<void> {
    while (!this.leaving) {
      try {
        await step();
        return;
      } catch (error) {
        this.lease.stop();
        this.options.log.info({ err: (error as Error).message }, `cannot ${what} yet (etcd out of reach); retrying`);
        await new Promise((resolve) => setTimeout(resolve, rejoinRetryMs));
      }
    }
  }

}
