// A node's life in a cluster, as an operator runs it: `tandem cluster init` (the first
// node: a new etcd cluster of one, or an etcd cluster that exists already), `tandem
// cluster join` (the others: its etcd member added through a node already in, as a
// learner, promoted once caught up), `tandem cluster start` (after a restart: the same
// member again, from <data-dir>/cluster.json), and the departure that `tandem cluster
// leave` asks of a running node (resources moved away, node forgotten, its etcd member
// removed and its data deleted). tandem runs and supervises the local etcd member itself.
// init, join and start hold the data directory's lock from before anything in it is read
// or written (the settings, the etcd member's data) until the node has stopped.

import { readFileSync, rmSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import type { Etcd3 } from 'etcd3';
import pino, { type Logger } from 'pino';
import { etcdClient } from '../cluster/client.js';
import { importCorosync, addressesOnNetworks, type CorosyncImport } from '../cluster/corosync-import.js';
import { loadCredentials } from '../cluster/credentials.js';
import { EtcdMember, etcdDataDir } from '../cluster/etcd-member.js';
import { addLearner, promoteWhenCaughtUp, removeMember } from '../cluster/etcd-membership.js';
import { findCluster, registerCluster, type ClusterRecord } from '../cluster/registry.js';
import { defaultLeaseTiming } from '../cluster/lease.js';
import { daemonEndpoints, defaultClientPort, defaultPeerPort, forgetSettings, readSettings, writeSettings, type ClusterSettings } from '../cluster/settings.js';
import { chosenEtcdTiming, type EtcdTiming } from '../cluster/timing.js';
import { readCorosync } from '../formats/corosync/index.js';
import { InputError, type InputWarning } from '../model/errors.js';
import { runNode } from './daemon.js';
import { withDataDirLock } from './data-dir-lock.js';

export interface MemberChoices {
  dataDir: string;
  credentialsDir: string;
  name?: string;
  addresses: string[];
  clusterName?: string;
  leaseTtlMs?: number;
  /** etcd's heartbeat and election timeout for the member tandem runs (default: from the lease). */
  etcdTiming?: Partial<EtcdTiming>;
  /** An etcd cluster that exists already; none: tandem runs this node's etcd member. */
  etcdEndpoints: string[];
  /** A corosync.conf whose cluster name, token timeout and node addresses to take over. */
  corosyncConf?: string;
  clientPort?: number;
  peerPort?: number;
  watchdog?: { path: string; timeoutMs: number };
}

function readCorosyncFile(file: string): CorosyncImport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return importCorosync(readCorosync(text, file));
}

function localAddresses(): Array<{ address: string; netmask: string }> {
  return Object.values(networkInterfaces()).flatMap((faces) => (faces ?? []).filter((face) => face.family === 'IPv4').map(({ address, netmask }) => ({ address, netmask })));
}

/** How long a new cluster's etcd may take to answer its first write. */
const firstWriteLimitMs = 30_000;

/**
 * This node's settings from the operator's options, completed from a corosync.conf where
 * one is given, or from the cluster being joined (its name and lease).
 */
export function settingsFrom(choices: MemberChoices, initial: { cluster: string; state: 'new' | 'existing' } | undefined, warn: (warning: InputWarning) => void, joined?: { name: string; record: ClusterRecord }): ClusterSettings {
  const imported = choices.corosyncConf ? readCorosyncFile(choices.corosyncConf) : undefined;
  imported?.warnings.forEach(warn);
  const local = new Set(localAddresses().map((face) => face.address));
  const listed = imported?.nodes.find((node) => (choices.name ? node.name === choices.name : node.addresses.some((address) => local.has(address))));
  const nodeName = choices.name ?? listed?.name ?? hostname();
  const addresses = choices.addresses.length ? choices.addresses : listed?.addresses.length ? listed.addresses : imported ? addressesOnNetworks(localAddresses(), imported.networks) : [];
  if (addresses.length === 0) throw new InputError(`${nodeName}: give the address this node is reached at (--address)${imported ? `; ${choices.corosyncConf} names none of this host's addresses` : ''}`);
  const leaseTtlMs = joined?.record.leaseTtlMs ?? choices.leaseTtlMs ?? imported?.leaseTtlMs ?? defaultLeaseTiming.leaseTtlMs;
  if (choices.etcdEndpoints.length && choices.etcdTiming) throw new InputError('--etcd-heartbeat-ms and --etcd-election-ms set the etcd member tandem runs: with --etcd, set them on that etcd cluster');
  const clientPort = choices.clientPort ?? defaultClientPort;
  const peerPort = choices.peerPort ?? defaultPeerPort;
  const etcd: ClusterSettings['etcd'] = choices.etcdEndpoints.length
    ? { mode: 'external', endpoints: choices.etcdEndpoints }
    : { mode: 'own', clientPort, peerPort, timing: joined?.record.etcdTiming ?? chosenEtcdTiming(choices.etcdTiming ?? {}, leaseTtlMs), initialCluster: initial?.cluster ?? `${nodeName}=https://${addresses[0]}:${peerPort}`, initialState: initial?.state ?? 'new' };
  return { clusterName: joined?.name ?? choices.clusterName ?? imported?.clusterName ?? 'tandem', nodeName, addresses, credentialsDir: choices.credentialsDir, leaseTtlMs, etcd, ...(choices.watchdog ? { watchdog: choices.watchdog } : {}) };
}

function refuseIfMember(dataDir: string): void {
  const existing = readSettings(dataDir);
  if (existing) throw new InputError(`${dataDir} already holds ${existing.nodeName}, a member of cluster ${existing.clusterName}: run tandem cluster start --data-dir ${dataDir} (or tandem cluster leave first)`);
}

function clusterLog(name: string): Logger {
  return pino({ base: { node: name, part: 'cluster' }, timestamp: pino.stdTimeFunctions.isoTime, level: process.env.TANDEM_LOG_LEVEL ?? 'info' });
}

const warnTo = (log: Logger) => (warning: InputWarning) => log.warn({ file: warning.position.file, line: warning.position.line }, warning.message);

/** The first node: a new cluster (its own etcd of one member, or the etcd given). */
export function initCluster(choices: MemberChoices): Promise<void> {
  return withDataDirLock(choices.dataDir, () => initLocked(choices));
}

async function initLocked(choices: MemberChoices): Promise<void> {
  refuseIfMember(choices.dataDir);
  loadCredentials(choices.credentialsDir);
  const log = clusterLog(choices.name ?? hostname());
  const settings = settingsFrom(choices, undefined, warnTo(log));
  writeSettings(choices.dataDir, settings);
  log.info({ cluster: settings.clusterName, addresses: settings.addresses, leaseTtlMs: settings.leaseTtlMs, etcd: settings.etcd.mode }, 'new cluster');
  const record: ClusterRecord = { leaseTtlMs: settings.leaseTtlMs, ...(settings.etcd.mode === 'own' ? { etcdTiming: settings.etcd.timing } : {}) };
  await runMember(settings, choices.dataDir, log, undefined, (client) => registerCluster(client, settings.clusterName, record, firstWriteLimitMs));
}

/** Another node: its etcd member added through `peer` (an address of a node already in), then the same as start. */
export function joinCluster(choices: MemberChoices & { peer?: string }): Promise<void> {
  return withDataDirLock(choices.dataDir, () => joinLocked(choices));
}

async function joinLocked(choices: MemberChoices & { peer?: string }): Promise<void> {
  refuseIfMember(choices.dataDir);
  const log = clusterLog(choices.name ?? hostname());
  const { settings, member } = await prepareJoin(choices, log);
  await runMember(settings, choices.dataDir, log, member);
}

/** A joining node's timing is the cluster's: one given that differs is a mistake, said as such. */
function refuseDisagreement(choices: MemberChoices, joined: { name: string; record: ClusterRecord }): void {
  const { leaseTtlMs, etcdTiming } = joined.record;
  if (choices.leaseTtlMs !== undefined && choices.leaseTtlMs !== leaseTtlMs) throw new InputError(`--lease-ttl-ms ${choices.leaseTtlMs}: cluster ${joined.name} runs with ${leaseTtlMs} ms leases, and every member must agree`);
  if (!etcdTiming || !choices.etcdTiming) return;
  const differing = (['heartbeatMs', 'electionMs'] as const).filter((part) => choices.etcdTiming![part] !== undefined && choices.etcdTiming![part] !== etcdTiming[part]);
  if (differing.length) throw new InputError(`${differing.map((part) => `--etcd-${part === 'heartbeatMs' ? 'heartbeat' : 'election'}-ms ${choices.etcdTiming![part]}`).join(' ')}: cluster ${joined.name}'s etcd members run with a ${etcdTiming.heartbeatMs} ms heartbeat and a ${etcdTiming.electionMs} ms election timeout; leave them out to take the cluster's`);
}

/** The cluster's name and lease learnt through the peer; with an own etcd member, that member added, started and promoted. */
async function prepareJoin(choices: MemberChoices & { peer?: string }, log: Logger): Promise<{ settings: ClusterSettings; member?: EtcdMember }> {
  const peer = choices.peer ?? '';
  const seedEndpoints = choices.etcdEndpoints.length ? choices.etcdEndpoints : [`https://${peer.includes(':') ? peer : `${peer}:${choices.clientPort ?? defaultClientPort}`}`];
  const seed = etcdClient(seedEndpoints, loadCredentials(choices.credentialsDir));
  try {
    const joined = await findCluster(seed, choices.clusterName).catch((error: Error) => {
      if (error instanceof InputError) throw error;
      throw new InputError(`cannot reach the cluster through ${seedEndpoints.join(', ')}: ${error.message}`);
    });
    refuseDisagreement(choices, joined);
    if (choices.etcdEndpoints.length) {
      const settings = settingsFrom(choices, undefined, warnTo(log), joined);
      writeSettings(choices.dataDir, settings);
      return { settings };
    }
    const draft = settingsFrom(choices, { cluster: '', state: 'existing' }, warnTo(log), joined);
    const own = draft.etcd as Extract<ClusterSettings['etcd'], { mode: 'own' }>;
    const peerUrl = `https://${draft.addresses[0]}:${own.peerPort}`;
    const initialCluster = await addLearner(seed, draft.nodeName, peerUrl);
    const settings: ClusterSettings = { ...draft, etcd: { ...own, initialCluster } };
    writeSettings(choices.dataDir, settings);
    log.info({ through: peer, cluster: joined.name, initialCluster }, 'etcd member added as a learner');
    const member = new EtcdMember(settings, choices.dataDir, log);
    member.start();
    try {
      await promoteWhenCaughtUp(seed, peerUrl);
    } catch (error) {
      // A join is whole or not at all: the learner goes again, and with it what this node kept.
      await member.stop();
      await removeMember(seed, draft.nodeName).catch((failure: Error) => log.error({ err: failure.message }, 'could not remove the learner member again'));
      rmSync(etcdDataDir(choices.dataDir), { recursive: true, force: true });
      forgetSettings(choices.dataDir);
      throw new InputError(`${(error as Error).message} (see ${choices.dataDir}/etcd.log); the join was undone`);
    }
    log.info('etcd member caught up and promoted');
    return { settings, member };
  } finally {
    seed.close();
  }
}

/** The member this data directory holds, again (after a restart or a stop). */
export function startCluster(dataDir: string): Promise<void> {
  return withDataDirLock(dataDir, async () => {
    const settings = readSettings(dataDir);
    if (!settings) throw new InputError(`${dataDir} holds no cluster member: make one with tandem cluster init, or tandem cluster join`);
    await runMember(settings, dataDir, clusterLog(settings.nodeName));
  });
}

async function runMember(settings: ClusterSettings, dataDir: string, log: Logger, running?: EtcdMember, beforeNode?: (client: Etcd3) => Promise<void>): Promise<void> {
  const member = running ?? (settings.etcd.mode === 'own' ? new EtcdMember(settings, dataDir, log) : undefined);
  if (member && !running) member.start();
  try {
    if (beforeNode) {
      const client = etcdClient(daemonEndpoints(settings), loadCredentials(settings.credentialsDir));
      await beforeNode(client).finally(() => client.close());
    }
    const outcome = await runNode({
      dataDir,
      name: settings.nodeName,
      etcdEndpoints: daemonEndpoints(settings),
      clusterName: settings.clusterName,
      addresses: settings.addresses,
      timing: { ...defaultLeaseTiming, leaseTtlMs: settings.leaseTtlMs },
      credentialsDir: settings.credentialsDir,
      ...(settings.watchdog ? { watchdog: settings.watchdog } : {}),
    });
    if (outcome === 'left') await forgetMembership(settings, dataDir, log, member);
  } finally {
    await member?.stop();
  }
}

/** After leaving: this node's etcd member removed from the cluster, its data and settings deleted. */
async function forgetMembership(settings: ClusterSettings, dataDir: string, log: Logger, member: EtcdMember | undefined): Promise<void> {
  if (member) {
    const client = etcdClient(daemonEndpoints(settings), loadCredentials(settings.credentialsDir));
    try {
      await removeMember(client, settings.nodeName);
      log.info('etcd member removed');
    } finally {
      client.close();
    }
    await member.stop();
    rmSync(etcdDataDir(dataDir), { recursive: true, force: true });
  }
  forgetSettings(dataDir);
  log.info('left the cluster: this data directory holds no member any more');
}
