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
  timer: NodeJS.Timeout;
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
      if (!this.pending.has(key)) return;
      const envelope = JSON.parse(kv.value.toString()) as Envelope<T>;
      if (envelope.rc === undefined) return;
      this.settle(key, envelope.rc);
      void this.client.delete().key(key).options(this.deadline()).exec().catch(() => undefined);
    });
    // Deleted unanswered: the node dropped it (it restarted); the DC decides again.
    watcher.on('delete', (kv) => this.settle(kv.key.toString(), undefined));
  }

  private settle(key: string, rc: number | undefined): void {
    const waiting = this.pending.get(key);
    if (!waiting) return;
    this.log.debug({ request: key, rc }, rc === undefined ? 'request abandoned' : 'request answered');
    this.pending.delete(key);
    clearTimeout(waiting.timer);
    waiting.resolve(rc);
  }

  /**
   * DC side: sends a request as DC of the given term; resolves with the node's return
   * code, or undefined if abandoned or unanswered within `answerLimitMs`.
   */
  async send(node: string, request: T, guard: [string, 'Create', '==', string], dcClient: Namespace, answerLimitMs: number): Promise<number | undefined> {
    const key = `${node}/${guard[3]}-${++this.sequence}`;
    const answered = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => this.settle(key, undefined), answerLimitMs);
      this.pending.set(key, { node, resolve, timer });
    });
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
      this.settle(key, undefined);
      return undefined;
    }
    this.log.debug({ request: key }, 'request sent');
    return answered;
  }

  /** DC side: gives up on every request to a node that left. */
  abandon(node: string): void {
    for (const [key, waiting] of this.pending) if (waiting.node === node) this.settle(key, undefined);
  }

  abandonAll(): void {
    for (const key of [...this.pending.keys()]) this.settle(key, undefined);
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
