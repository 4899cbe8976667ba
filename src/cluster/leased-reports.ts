// Facts a node holds for a while on behalf of local reporters (the balancers' session
// counts): one key per reporter under `<node>/`, bound to the node's lease as its membership
// key is, so what a dead node reported vanishes with it. A new lease (after a rejoin) starts
// empty: the node writes what its reporters last said again.

import type { Namespace } from 'etcd3';

export interface LeasedReport<T> {
  /** The node that holds the report. */
  node: string;
  reporter: string;
  value: T;
}

export class LeasedReports<T> {
  /** What this node's reporters said last, to write again under a new lease. */
  private readonly latest = new Map<string, T>();

  /** `client` is scoped to the cluster's namespace for these reports. */
  constructor(
    private readonly client: Namespace,
    private readonly nodeName: string,
    private readonly leaseId: () => string | undefined,
    private readonly callTimeoutMs: number,
  ) {}

  /** Replaces what `reporter` said before; undefined withdraws it. */
  async put(reporter: string, value: T | undefined): Promise<void> {
    if (value === undefined) this.latest.delete(reporter);
    else this.latest.set(reporter, value);
    await this.write(reporter, value);
  }

  /** Writes every report again (under the lease now held). */
  async republish(): Promise<void> {
    await Promise.all([...this.latest].map(([reporter, value]) => this.write(reporter, value)));
  }

  /** Every node's reports. */
  async list(): Promise<Array<LeasedReport<T>>> {
    const values = await this.client.getAll().options(this.deadline()).strings();
    return Object.entries(values).map(([key, text]) => {
      const slash = key.indexOf('/');
      return { node: key.slice(0, slash), reporter: decodeURIComponent(key.slice(slash + 1)), value: JSON.parse(text) as T };
    });
  }

  private async write(reporter: string, value: T | undefined): Promise<void> {
    const key = `${this.nodeName}/${encodeURIComponent(reporter)}`;
    if (value === undefined) {
      await this.client.delete().key(key).options(this.deadline()).exec();
      return;
    }
    const leaseId = this.leaseId();
    if (leaseId === undefined) throw new Error(`${this.nodeName} holds no lease yet: it cannot keep reports`);
    await this.client.put(key).value(JSON.stringify(value)).lease(leaseId).options(this.deadline()).exec();
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.callTimeoutMs) };
  }
}
