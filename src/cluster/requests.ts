// How the DC asks another node to run an operation, through etcd: the DC writes
// `requests/<node>/<id>` (only while it is DC: the write compares its term), the node
// runs the operation, records the result in its own status, and writes the return code
// back into the same key; the DC reads it and deletes the key. A request to a node that
// leaves the membership is abandoned: the DC decides again from what the store says.

import type { Namespace } from 'etcd3';
import type { Logger } from 'pino';

interface Envelope<T> {
  request: T;
  rc?: number;
}

interface Pending {
  node: string;
  resolve: (rc: number | undefined) => void;
}

export class RequestChannel<T> {
  private readonly pending = new Map<string, Pending>();
  private sequence = 0;
  private serving = false;
  private readonly cancels: Array<() => Promise<void>> = [];

  /** `client` is scoped to the cluster's `requests/` namespace. */
  constructor(private readonly client: Namespace, private readonly callTimeoutMs: number, private readonly log: Logger) {}

  /** DC side: starts hearing answers. */
  async listen(): Promise<void> {
    const watcher = await this.client.watch().prefix('').create();
    this.cancels.push(() => watcher.cancel());
    watcher.on('put', (kv) => {
      const key = kv.key.toString();
      const waiting = this.pending.get(key);
      if (!waiting) return;
      const envelope = JSON.parse(kv.value.toString()) as Envelope<T>;
      if (envelope.rc === undefined) return;
      this.pending.delete(key);
      waiting.resolve(envelope.rc);
      void this.client.delete().key(key).options(this.deadline()).exec().catch(() => undefined);
    });
  }

  /** DC side: sends a request as DC of the given term; resolves with the node's return code, or undefined if abandoned. */
  async send(node: string, request: T, guard: [string, 'Create', '==', string], dcClient: Namespace): Promise<number | undefined> {
    const key = `${node}/${guard[3]}-${++this.sequence}`;
    const answered = new Promise<number | undefined>((resolve) => this.pending.set(key, { node, resolve }));
    const written = await dcClient
      .if(...guard)
      .then(dcClient.put(`requests/${key}`).value(JSON.stringify({ request } satisfies Envelope<T>)))
      .options(this.deadline())
      .commit()
      .catch((error: unknown) => {
        this.log.warn({ err: error, node }, 'request could not be written');
        return undefined;
      });
    if (!written?.succeeded) {
      this.pending.delete(key);
      return undefined;
    }
    return answered;
  }

  /** DC side: gives up on every request to a node that left. */
  abandon(node: string): void {
    for (const [key, waiting] of this.pending) {
      if (waiting.node !== node) continue;
      this.pending.delete(key);
      waiting.resolve(undefined);
    }
  }

  abandonAll(): void {
    for (const waiting of this.pending.values()) waiting.resolve(undefined);
    this.pending.clear();
  }

  /** Node side: runs every request addressed to `node`, answering each once. Requests left from an earlier life are dropped first. */
  async serve(node: string, run: (request: T) => Promise<number>): Promise<void> {
    await this.client.delete().prefix(`${node}/`).options(this.deadline()).exec();
    if (this.serving) return;
    this.serving = true;
    const watcher = await this.client.watch().prefix(`${node}/`).create();
    this.cancels.push(() => watcher.cancel());
    watcher.on('put', (kv) => {
      const envelope = JSON.parse(kv.value.toString()) as Envelope<T>;
      if (envelope.rc !== undefined) return;
      const key = kv.key.toString();
      void run(envelope.request)
        .then((rc) => this.client.if(key, 'Create', '!=', 0).then(this.client.put(key).value(JSON.stringify({ ...envelope, rc }))).options(this.deadline()).commit())
        .catch((error: unknown) => this.log.warn({ err: error, request: key }, 'could not answer a request'));
    });
  }

  async close(): Promise<void> {
    this.abandonAll();
    await Promise.all(this.cancels.splice(0).map((cancel) => cancel()));
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.callTimeoutMs) };
  }
}
