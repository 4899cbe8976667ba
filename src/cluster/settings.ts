// What a node needs to start again as the member it was (`tandem cluster init|join` write
// it, `tandem cluster start` reads it): kept in <data-dir>/cluster.json, written whole
// (temporary file, fsync, rename), so a crash leaves either the old or the new settings.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';
import type { EtcdTiming } from './timing.js';

export const defaultClientPort = 2379;
export const defaultPeerPort = 2380;

/** tandem runs this node's etcd member itself, or uses an etcd cluster that already exists. */
export type EtcdPlacement =
  | {
      mode: 'own';
      clientPort: number;
      peerPort: number;
      timing: EtcdTiming;
      /** etcd's --initial-cluster and --initial-cluster-state, for the member's first start. */
      initialCluster: string;
      initialState: 'new' | 'existing';
    }
  | { mode: 'external'; endpoints: string[] };

export interface ClusterSettings {
  clusterName: string;
  nodeName: string;
  /** The first carries etcd's peer traffic; all of them are shown in the membership. */
  addresses: string[];
  credentialsDir: string;
  leaseTtlMs: number;
  etcd: EtcdPlacement;
  /** A watchdog device this node feeds (self-fencing where no fence device reaches it). */
  watchdog?: { path: string; timeoutMs: number };
}

const settingsFile = (dataDir: string) => join(dataDir, 'cluster.json');

export function readSettings(dataDir: string): ClusterSettings | undefined {
  const file = settingsFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const settings = JSON.parse(text) as ClusterSettings;
    if (typeof settings.nodeName !== 'string' || !Array.isArray(settings.addresses) || !settings.etcd) throw new Error('fields missing');
    return settings;
  } catch (error) {
    throw new InputError(`${file}: not cluster settings tandem wrote (${(error as Error).message}); remove it and join again`);
  }
}

export function writeSettings(dataDir: string, settings: ClusterSettings): void {
  const file = settingsFile(dataDir);
  const temporary = `${file}.tmp`;
  const descriptor = openSync(temporary, 'w', 0o600);
  try {
    writeSync(descriptor, `${JSON.stringify(settings, null, 2)}\n`);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, file);
  const directory = openSync(dataDir, 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}

export function forgetSettings(dataDir: string): void {
  rmSync(settingsFile(dataDir), { force: true });
}

/** The etcd endpoints a node's daemon uses: its own member (on loopback), or the existing cluster's. */
export function daemonEndpoints(settings: ClusterSettings): string[] {
  return settings.etcd.mode === 'own' ? [`https://127.0.0.1:${settings.etcd.clientPort}`] : settings.etcd.endpoints;
}
