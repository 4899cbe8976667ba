// The cluster store on etcd. The CIB is kept in parts, so that nodes writing their own
// results never contend: `cib` (configuration and the rest) and `status/<node>` (one per
// node). A change is a transaction that compares the modification revision of every part
// it rewrites with the one it read, so two writers never both win; one that loses is
// re-applied to the fresh state (or fails with RevisionConflict when the caller asked for
// a precise revision). Every call has a deadline.

import { GRPCDeadlineExceededError, GRPCUnavailableError, type Etcd3, type IKeyValue } from 'etcd3';
import type { Cib } from '../model/cib.js';
import type { NodeState } from '../model/status.js';
import { RevisionConflict, type ClusterStore, type StoreSnapshot } from './store.js';

const cibKey = 'cib';
const statusPrefix = 'status/';
/** A busy store may need several tries to fit a change in; more than this is a fault. */
const updateAttemptsLimit = 50;
/** A read is idempotent: one that met a connection not ready yet (just after a restart, say) is tried again, once. */
const readAttemptsLimit = 2;

export interface EtcdStoreOptions {
  /** etcd client, already scoped to the cluster's namespace. */
  client: Etcd3;
  /** Deadline of one call to etcd. */
  callTimeoutMs: number;
}

interface Parts {
  /** Every key of the store with its modification revision. */
  modRevisions: Map<string, string>;
  snapshot: StoreSnapshot;
}

function assemble(kvs: IKeyValue[], revision: number): Parts {
  const modRevisions = new Map<string, string>();
  let cib: Cib | undefined;
  const nodes: NodeState[] = [];
  for (const kv of kvs) {
    const key = kv.key.toString();
    if (key !== cibKey && !key.startsWith(statusPrefix)) continue;
    modRevisions.set(key, kv.mod_revision);
    if (key === cibKey) cib = JSON.parse(kv.value.toString()) as Cib;
    else nodes.push(JSON.parse(kv.value.toString()) as NodeState);
  }
  if (!cib) throw new Error('the cluster store holds no CIB: the cluster was not initialised');
  nodes.sort((a, b) => a.uname.localeCompare(b.uname));
  return { modRevisions, snapshot: { cib: { ...cib, status: { ...cib.status, nodes } }, revision } };
}

/** The store's parts of a CIB, each as the text it is stored as. */
function split(cib: Cib): Map<string, string> {
  const parts = new Map<string, string>();
  parts.set(cibKey, JSON.stringify({ ...cib, status: { ...cib.status, nodes: [] } }));
  for (const state of cib.status.nodes) parts.set(`${statusPrefix}${state.uname}`, JSON.stringify(state));
  return parts;
}

function isTransient(error: unknown): boolean {
  return error instanceof GRPCDeadlineExceededError || error instanceof GRPCUnavailableError;
}

export class EtcdStore implements ClusterStore {
  private readonly listeners = new Set<(snapshot: StoreSnapshot) => void>();
  private watcherClosed: (() => Promise<void>) | undefined;
  private notifyPending = false;

  constructor(private readonly options: EtcdStoreOptions) {}

  /** Writes the first CIB of a new cluster; false when the cluster already has one. */
  async initialise(cib: Cib): Promise<boolean> {
    const puts = [...split(cib)].map(([key, value]) => this.options.client.put(key).value(value));
    const result = await this.options.client.if(cibKey, 'Create', '==', 0).then(...puts).options(this.deadline()).commit();
    return result.succeeded;
  }

  async read(): Promise<StoreSnapshot> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.readParts()).snapshot;
      } catch (error) {
        if (attempt >= readAttemptsLimit || !isTransient(error)) throw error;
      }
    }
  }

  async update(change: (cib: Cib) => Cib, expectedRevision?: number): Promise<StoreSnapshot> {
    for (let attempt = 1; attempt <= updateAttemptsLimit; attempt++) {
      const { modRevisions, snapshot } = await this.readParts();
      if (expectedRevision !== undefined && expectedRevision !== snapshot.revision) {
        const changedSince = [...modRevisions.values()].some((modRevision) => Number(modRevision) > expectedRevision);
        if (changedSince) throw new RevisionConflict(expectedRevision, snapshot.revision);
      }
      const before = split(snapshot.cib);
      const next = change(structuredClone(snapshot.cib));
      const after = split(next);
      const client = this.options.client;
      let txn = client.if(cibKey, 'Mod', '==', modRevisions.get(cibKey) ?? '0');
      const operations = [];
      for (const [key, value] of after) {
        if (before.get(key) === value) continue;
        const modRevision = modRevisions.get(key);
        txn = modRevision === undefined ? txn.and(key, 'Create', '==', 0) : txn.and(key, 'Mod', '==', modRevision);
        operations.push(client.put(key).value(value));
      }
      for (const key of before.keys()) {
        if (after.has(key)) continue;
        txn = txn.and(key, 'Mod', '==', modRevisions.get(key) ?? '0');
        operations.push(client.delete().key(key));
      }
      if (operations.length === 0) return snapshot;
      const result = await txn.then(...operations).options(this.deadline()).commit();
      if (result.succeeded) return { cib: next, revision: Number(result.header.revision) };
      if (expectedRevision !== undefined) throw new RevisionConflict(expectedRevision, snapshot.revision);
    }
    throw new Error(`the cluster store kept changing: a change did not commit in ${updateAttemptsLimit} attempts`);
  }

  watch(listener: (snapshot: StoreSnapshot) => void): () => void {
    this.listeners.add(listener);
    if (!this.watcherClosed) void this.startWatching();
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.watcherClosed?.();
    this.watcherClosed = undefined;
  }

  private async startWatching(): Promise<void> {
    const watcher = await this.options.client.watch().prefix('').create();
    this.watcherClosed = () => watcher.cancel();
    watcher.on('data', () => this.notifySoon());
    // A watch that had to reconnect may have missed events: read afresh.
    watcher.on('connected', () => this.notifySoon());
  }

  /** Many events in a burst make one read and one notification. */
  private notifySoon(): void {
    if (this.notifyPending) return;
    this.notifyPending = true;
    setImmediate(async () => {
      this.notifyPending = false;
      if (this.listeners.size === 0) return;
      try {
        const snapshot = await this.read();
        for (const listener of this.listeners) listener(structuredClone(snapshot));
      } catch {
        // Unreachable store: the lease keeper reacts to that; the next event reads again.
      }
    });
  }

  private async readParts(): Promise<Parts> {
    const response = await this.options.client.getAll().options(this.deadline()).exec();
    return assemble(response.kvs, Number(response.header.revision));
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.options.callTimeoutMs) };
  }
}
