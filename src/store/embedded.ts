// The embedded store: one JSON file per node data directory. A change is acknowledged
// only after the new state is written to a temporary file, fsynced, renamed over the old
// one and the directory fsynced, so a crash or kill -9 at any point leaves either the old
// or the new state, never a torn one, and never loses an acknowledged change.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { emptyCib, type Cib } from '../model/cib.js';
import { InputError } from '../model/errors.js';
import { RevisionConflict, type ClusterStore, type StoreSnapshot } from './store.js';

const stateFile = 'state.json';
const formatVersion = 1;

interface OnDisk {
  format: number;
  revision: number;
  cib: Cib;
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class EmbeddedStore implements ClusterStore {
  private snapshot: StoreSnapshot;
  private readonly listeners = new Set<(snapshot: StoreSnapshot) => void>();
  /** Serialises updates: each waits for the one before it. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly directory: string, snapshot: StoreSnapshot) {
    this.snapshot = snapshot;
  }

  static open(directory: string): EmbeddedStore {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const path = join(directory, stateFile);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const store = new EmbeddedStore(directory, { cib: emptyCib(), revision: 0 });
      store.persist(store.snapshot);
      return store;
    }
    let stored: OnDisk;
    try {
      stored = JSON.parse(text) as OnDisk;
    } catch {
      throw new InputError(`${path}: the store file is not valid JSON; it was not written by tandem or was changed by hand`);
    }
    if (stored.format !== formatVersion) throw new InputError(`${path}: store format ${stored.format} is not supported (expected ${formatVersion})`);
    return new EmbeddedStore(directory, { cib: stored.cib, revision: stored.revision });
  }

  async read(): Promise<StoreSnapshot> {
    return structuredClone(this.snapshot);
  }

  update(change: (cib: Cib) => Cib, expectedRevision?: number): Promise<StoreSnapshot> {
    const run = async () => {
      if (expectedRevision !== undefined && expectedRevision !== this.snapshot.revision) throw new RevisionConflict(expectedRevision, this.snapshot.revision);
      const next: StoreSnapshot = { cib: change(structuredClone(this.snapshot.cib)), revision: this.snapshot.revision + 1 };
      this.persist(next);
      this.snapshot = next;
      for (const listener of this.listeners) listener(structuredClone(next));
      return structuredClone(next);
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  watch(listener: (snapshot: StoreSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.queue;
    this.listeners.clear();
  }

  private persist(snapshot: StoreSnapshot): void {
    const path = join(this.directory, stateFile);
    const temporary = `${path}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify({ format: formatVersion, revision: snapshot.revision, cib: snapshot.cib } satisfies OnDisk));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    fsyncPath(this.directory, 'r');
  }
}
