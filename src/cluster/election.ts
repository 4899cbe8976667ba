// Choosing the DC (Pacemaker's Designated Controller): the node whose lease holds the
// `dc` key. The key is created only where it does not exist, so there is one DC at a
// time; it vanishes with the DC's lease, and the other nodes, watching it, campaign again.
// A DC's term is the key's creation revision: writes made as DC compare it, so a DC that
// was deposed cannot act on anything.

import type { Namespace } from 'etcd3';

const dcKey = 'dc';

export class DcElection {
  private term: string | undefined;
  private cancelWatch: (() => Promise<void>) | undefined;
  private leaseId: string | undefined;

  /** `client` is scoped to the cluster's namespace; `onChange` hears when this node becomes DC or stops being it. */
  constructor(
    private readonly client: Namespace,
    private readonly nodeName: string,
    private readonly callTimeoutMs: number,
    private readonly onChange: (isDc: boolean) => void,
  ) {}

  get isDc(): boolean {
    return this.term !== undefined;
  }

  /** The comparison a write made as DC must pass. */
  get guard(): [string, 'Create', '==', string] | undefined {
    return this.term === undefined ? undefined : [dcKey, 'Create', '==', this.term];
  }

  /** Takes part in elections with this lease, until `withdraw`. */
  async campaign(leaseId: string): Promise<void> {
    this.leaseId = leaseId;
    if (!this.cancelWatch) {
      const watcher = await this.client.watch().key(dcKey).create();
      this.cancelWatch = () => watcher.cancel();
      watcher.on('delete', () => void this.tryToLead().catch(() => undefined));
      watcher.on('connected', () => void this.tryToLead().catch(() => undefined));
    }
    await this.tryToLead();
  }

  /** Stops being DC at once, locally (the lease is lost or the node leaves). */
  withdraw(): void {
    this.leaseId = undefined;
    this.setTerm(undefined);
  }

  /** Who is DC now, as etcd says. */
  async current(): Promise<string | undefined> {
    return (await this.client.get(dcKey).options(this.deadline()).string()) ?? undefined;
  }

  async close(): Promise<void> {
    this.withdraw();
    await this.cancelWatch?.();
    this.cancelWatch = undefined;
  }

  private async tryToLead(): Promise<void> {
    const leaseId = this.leaseId;
    if (leaseId === undefined || this.term !== undefined) return;
    const result = await this.client
      .if(dcKey, 'Create', '==', 0)
      .then(this.client.put(dcKey).value(this.nodeName).lease(leaseId))
      .else(this.client.get(dcKey))
      .options(this.deadline())
      .commit();
    if (this.leaseId !== leaseId) return;
    if (result.succeeded) {
      this.setTerm(result.header.revision);
      return;
    }
    // The key exists: still ours from this very lease (a repeated campaign), or another's.
    const existing = result.responses[0]?.response_range?.kvs[0];
    if (existing && existing.lease === leaseId && existing.value.toString() === this.nodeName) this.setTerm(existing.create_revision);
  }

  private setTerm(term: string | undefined): void {
    const was = this.isDc;
    this.term = term;
    if (was !== this.isDc) this.onChange(this.isDc);
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.callTimeoutMs) };
  }
}
