// The one source of truth: the whole cluster state (configuration and status) with a
// revision. The embedded store implements it for one node; etcd will for a cluster.
// Every change is a compare-and-swap on the revision, so two writers never both win.

import type { Cib } from '../model/cib.js';

export interface StoreSnapshot {
  cib: Cib;
  /** Increases by one with every committed change. */
  revision: number;
}

export class RevisionConflict extends Error {
  constructor(readonly expected: number, readonly actual: number) {
    super(`store changed underneath: expected revision ${expected}, found ${actual}`);
    this.name = 'RevisionConflict';
  }
}

export interface ClusterStore {
  read(): Promise<StoreSnapshot>;
  /**
   * Applies `change` to the current state and commits it, if the revision is still
   * `expectedRevision` (when given). Resolves only once the change is durable.
   */
  update(change: (cib: Cib) => Cib, expectedRevision?: number): Promise<StoreSnapshot>;
  /** Calls `listener` after every committed change; returns a function that unsubscribes. */
  watch(listener: (snapshot: StoreSnapshot) => void): () => void;
  close(): Promise<void>;
}
