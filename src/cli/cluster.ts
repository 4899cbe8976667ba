// `tandem cluster init|join|start|leave`: a node's life in a cluster (see
// src/node/cluster-lifecycle.ts). init, join and start run the node in the foreground, with
// its etcd member, until SIGTERM; leave asks a running node to leave and waits until it has.

import type { Command } from 'commander';
import { call } from '../api/client.js';
import { readSettings } from '../cluster/settings.js';
import { InputError } from '../model/errors.js';
import { leaseTtlOption, millisecondsOption, portOption, watchdogTimeoutOption } from './options.js';
import { initCluster, joinCluster, startCluster, type MemberChoices } from '../node/cluster-lifecycle.js';
import type { StatusReport } from '../node/handler.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const leaveLimitMs = 180_000;
const leavePollMs = 250;
/** From the daemon's stop to its etcd member's removal. */
const memberRemovalLimitMs = 30_000;

interface MemberOptions {
  dataDir: string;
  credentials: string;
  name?: string;
  address: string[];
  cluster?: string;
  leaseTtlMs?: string;
  etcdHeartbeatMs?: string;
  etcdElectionMs?: string;
  etcd: string[];
  fromCorosync?: string;
  clientPort?: string;
  peerPort?: string;
  watchdog?: string;
  watchdogTimeoutMs: string;
}

function choicesFrom(options: MemberOptions): MemberChoices {
  const leaseTtlMs = options.leaseTtlMs === undefined ? undefined : leaseTtlOption(options.leaseTtlMs);
  const clientPort = options.clientPort === undefined ? undefined : portOption(options.clientPort, '--client-port');
  const peerPort = options.peerPort === undefined ? undefined : portOption(options.peerPort, '--peer-port');
  const etcdTiming = {
    ...(options.etcdHeartbeatMs === undefined ? {} : { heartbeatMs: millisecondsOption(options.etcdHeartbeatMs, '--etcd-heartbeat-ms', 10, 10_000) }),
    ...(options.etcdElectionMs === undefined ? {} : { electionMs: millisecondsOption(options.etcdElectionMs, '--etcd-election-ms', 50, 50_000) }),
  };
  return {
    dataDir: options.dataDir,
    credentialsDir: options.credentials,
    addresses: options.address,
    etcdEndpoints: options.etcd,
    ...(options.name ? { name: options.name } : {}),
    ...(options.cluster ? { clusterName: options.cluster } : {}),
    ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
    ...(Object.keys(etcdTiming).length ? { etcdTiming } : {}),
    ...(options.fromCorosync ? { corosyncConf: options.fromCorosync } : {}),
    ...(clientPort !== undefined ? { clientPort } : {}),
    ...(peerPort !== undefined ? { peerPort } : {}),
    ...(options.watchdog ? { watchdog: { path: options.watchdog, timeoutMs: watchdogTimeoutOption(options.watchdogTimeoutMs) } } : {}),
  };
}

function memberOptions(command: Command, defaultDataDir: string): Command {
  return command
    .option('--data-dir <dir>', 'where the node keeps its state, its etcd member\'s data and its control socket', defaultDataDir)
    .requiredOption('--credentials <dir>', 'the cluster\'s credentials (tandem keygen), the same on every node')
    .option('--name <name>', 'this node\'s name (default: from --from-corosync, else the host name)')
    .option('--address <addr>', 'an address this node is reached at; the first carries etcd\'s traffic (repeat for several)', collect, [])
    .option('--cluster <name>', 'the cluster\'s name (default: corosync\'s cluster_name, else tandem)')
    .option('--lease-ttl-ms <ms>', 'the node lease (default 2000; from --from-corosync: its token timeout)')
    .option('--etcd-heartbeat-ms <ms>', 'etcd\'s heartbeat interval for the member tandem runs (default: a tenth of the election timeout)')
    .option('--etcd-election-ms <ms>', 'etcd\'s election timeout for the member tandem runs (default: a quarter of the lease, 500 at least); joining nodes take the cluster\'s')
    .option('--etcd <url>', 'use this existing etcd cluster instead of running a member here (repeat for each member)', collect, [])
    .option('--from-corosync <file>', 'take the cluster name, token timeout and this node\'s addresses from a corosync.conf')
    .option('--client-port <port>', 'etcd\'s client port on this node', '2379')
    .option('--peer-port <port>', 'etcd\'s peer port on this node', '2380')
    .option('--watchdog <device>', 'feed this watchdog (e.g. /dev/watchdog) while healthy: self-fencing where no fence device reaches this node (with stonith-watchdog-timeout)')
    .option('--watchdog-timeout-ms <ms>', 'the watchdog device\'s own timeout', '5000');
}

/** Asks the running node to leave, then waits until its daemon has gone and its settings with it. */
async function leave(dataDir: string): Promise<void> {
  const settings = readSettings(dataDir);
  if (!settings) throw new InputError(`${dataDir} holds no cluster member (nothing to leave)`);
  const status = (await call(dataDir, { method: 'status' })) as StatusReport;
  const members = (status.cluster.members as unknown[] | undefined) ?? [];
  if (members.length <= 1) throw new InputError(`${settings.nodeName} is the cluster's only member: it cannot leave it; stop it instead`);
  await call(dataDir, { method: 'cluster.leave' });
  process.stdout.write(`${settings.nodeName} is leaving cluster ${settings.clusterName}: moving its resources away\n`);
  // The daemon answers no more once it has stopped; its etcd member is removed after that.
  const limit = Date.now() + leaveLimitMs;
  let goneSinceMs: number | undefined;
  while (Date.now() < limit) {
    await new Promise((resolve) => setTimeout(resolve, leavePollMs));
    if (!readSettings(dataDir)) {
      process.stdout.write(`${settings.nodeName} left cluster ${settings.clusterName}\n`);
      return;
    }
    const running = await call(dataDir, { method: 'status' }).then(() => true, () => false);
    goneSinceMs = running ? undefined : (goneSinceMs ?? Date.now());
    if (goneSinceMs !== undefined && Date.now() - goneSinceMs > memberRemovalLimitMs) {
      throw new InputError(`${settings.nodeName} stopped but did not finish leaving: see its log, then run tandem cluster start and leave again`);
    }
  }
  throw new InputError(`${settings.nodeName} did not leave within ${leaveLimitMs / 1000} s; it goes on trying (see its log)`);
}

export function registerClusterCommands(program: Command, defaultDataDir: string): void {
  const cluster = program.command('cluster').description('a node\'s life in a cluster: init the first, join the others, start again, leave');
  memberOptions(cluster.command('init').description('make a new cluster with this node as its first member (runs it, with its own etcd member unless --etcd)'), defaultDataDir).action(async (options: MemberOptions) => {
    await initCluster(choicesFrom(options));
  });
  memberOptions(cluster.command('join').description('join this node to a cluster through a node already in it (runs it)'), defaultDataDir)
    .option('--peer <addr[:port]>', 'a node already in the cluster (its etcd client port, 2379 by default); not needed with --etcd')
    .action(async (options: MemberOptions & { peer?: string }) => {
      if (!options.peer && options.etcd.length === 0) throw new InputError('tandem cluster join needs --peer ADDR (a node already in the cluster), or --etcd URL (the existing etcd cluster)');
      await joinCluster({ ...choicesFrom(options), ...(options.peer ? { peer: options.peer } : {}) });
    });
  cluster
    .command('start')
    .description('run this node again as the member it is (after a stop or a reboot)')
    .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
    .action(async (options: { dataDir: string }) => {
      await startCluster(options.dataDir);
    });
  cluster
    .command('leave')
    .description('move this node\'s resources away, forget it in the cluster, remove its etcd member and stop it')
    .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
    .action(async (options: { dataDir: string }) => {
      await leave(options.dataDir);
    });
}
