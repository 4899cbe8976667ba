// One daemon per data directory: two would each rewrite the store (acknowledged changes
// lost) and run the same resources twice. The lock is <data-dir>/tandem.lock, naming the
// holder's process; it appears whole or not at all (written aside, then hard-linked into
// place, which fails if the name exists). A lock whose holder is gone (kill -9, a crash) is
// stale: it is moved aside, checked to be the very one found stale, and removed.

import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockName } from '../api/protocol.js';
import { InputError } from '../model/errors.js';
import { identify, stillRunning, type ProcessIdentity } from '../agents/process-identity.js';

/** A stale lock taken over, then another starter's won: at most a few rounds. */
const maxAttempts = 3;

export interface DataDirLock {
  release(): void;
}

/** Runs `work` holding the data directory's lock; refuses, naming the holder, when another process holds it. */
export async function withDataDirLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const lock = lockDataDir(dataDir);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, lockName);
  const mine = JSON.stringify(identify(process.pid) ?? { pid: process.pid }) + '\n';
  const draft = `${path}.${process.pid}`;
  writeFileSync(draft, mine, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      if (linked(draft, path)) return { release: () => removeIf(path, mine) };
      const found = readIfPresent(path);
      if (found === undefined) continue;
      const holder = parseHolder(found);
      if (holder && holder.pid !== process.pid && stillRunning(holder)) {
        throw new InputError(`${dataDir} is in use by another tandem process (pid ${holder.pid}, lock ${path}): stop it first, or give another --data-dir`);
      }
      removeStale(path, found);
    }
    throw new InputError(`${dataDir}: could not take its lock ${path}; other tandem processes are starting on it at the same moment`);
  } finally {
    rmSync(draft, { force: true });
  }
}

function linked(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHolder(text: string): ProcessIdentity | undefined {
  try {
    const value = JSON.parse(text) as { pid?: unknown; startTicks?: unknown };
    return typeof value.pid === 'number' ? { pid: value.pid, startTicks: typeof value.startTicks === 'number' ? value.startTicks : undefined } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the lock only if it is still the stale one: another starter may have taken it
 * over in between, and its fresh lock is put back.
 */
function removeStale(path: string, stale: string): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (readFileSync(aside, 'utf8') !== stale) linked(aside, path);
  rmSync(aside, { force: true });
}

function removeIf(path: string, content: string): void {
  if (readIfPresent(path) === content) rmSync(path, { force: true });
}
