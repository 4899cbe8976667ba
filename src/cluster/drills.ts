// How `tandem drill` reaches the node a fault must strike, through etcd: the requesting
// node writes `drills/<node>/<id>` with the order, the target carries it out and writes
// its answer into the same key (before a cut, since after it nothing gets out), the
// requester reads it and deletes the key. Unanswered within the limit: the target is
// out of reach, and the drill says so.

import type { Namespace } from 'etcd3';
import type { Logger } from 'pino';

export interface DrillAnswer {
  ok: boolean;
  detail: string;
}

interface Envelope<T> {
  order: T;
  answer?: DrillAnswer;
}

export class DrillChannel<T> {
  private sequence = 0;
  private readonly cancels: Array<() => Promise<void>> = [];

  /** `client` is scoped to the cluster's `drills/` namespace. */
  constructor(private readonly client: Namespace, private readonly callTimeoutMs: number, private readonly log: Logger) {}

  /** Sends an order to `node` and waits (at most `answerLimitMs`) for its answer. */
  async send(from: string, node: string, order: T, answerLimitMs: number): Promise<DrillAnswer> {
    const key = `${node}/${from}-${process.pid}-${++this.sequence}`;
    const watcher = await this.client.watch().key(key).create();
    try {
      const answered = new Promise<DrillAnswer>((resolve) => {
        const timer = setTimeout(() => resolve({ ok: false, detail: `${node} did not answer within ${answerLimitMs} ms` }), answerLimitMs);
        watcher.on('put', (kv) => {
          const envelope = JSON.parse(kv.value.toString()) as Envelope<T>;
          if (!envelope.answer) return;
          clearTimeout(timer);
          resolve(envelope.answer);
        });
      });
      await this.client.put(key).value(JSON.stringify({ order } satisfies Envelope<T>)).options(this.deadline()).exec();
      return await answered;
    } finally {
      await watcher.cancel();
      await this.client.delete().key(key).options(this.deadline()).exec().catch(() => undefined);
    }
  }

  /** Node side: carries out every order addressed to `node`; `run` answers first and may strike after. */
  async serve(node: string, run: (order: T) => Promise<{ answer: DrillAnswer; strike?: () => void }>): Promise<void> {
    const watcher = await this.client.watch().prefix(`${node}/`).create();
    this.cancels.push(() => watcher.cancel());
    watcher.on('put', (kv) => {
      const envelope = JSON.parse(kv.value.toString()) as Envelope<T>;
      if (envelope.answer) return;
      const key = kv.key.toString();
      void run(envelope.order)
        .then(async ({ answer, strike }) => {
          await this.client.if(key, 'Create', '!=', 0).then(this.client.put(key).value(JSON.stringify({ ...envelope, answer }))).options(this.deadline()).commit();
          strike?.();
        })
        .catch((error: unknown) => this.log.warn({ err: error, drill: key }, 'could not carry out a drill'));
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.cancels.splice(0).map((cancel) => cancel()));
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.callTimeoutMs) };
  }
}
