// How the lab brings its nodes up: as an operator does, with the tandem command alone.
// `tandem keygen` makes the credentials, `tandem cluster init` makes the cluster on the
// first node, `tandem cluster join` (through the first) adds the others, and `tandem
// cluster start` runs a node again after a power cycle, from the data directory it kept.
// Each node is then one tandem process that runs and supervises its etcd member; the lab
// finds that member among tandem's children, so that it knows, and can kill, both by PID.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { credentialFiles, type CredentialFiles } from '../cluster/credentials.js';

export const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface LabMember {
  name: string;
  address: string;
  dataDir: string;
}

/** A step of a node's life: the first node inits, the others join through a peer, a rebooted one starts. */
export type LifeStep = { step: 'init' } | { step: 'join'; peer: string } | { step: 'start' };

export interface MemberSetup {
  credentialsDir: string;
  /** Where the node's agents keep their state (HA_RSCTMP, HA_VARRUN). */
  agentDir: string;
  leaseTtlMs?: number;
  /** etcd's client port on this node (several nodes on one machine's loopback need one each). */
  clientPort?: number;
  watchdog?: { device: string; timeoutMs: number };
  /** More of the node's environment, as NAME=VALUE. */
  environment?: string[];
}

/** `tandem keygen`: the cluster's credentials for these addresses. */
export function keygen(dir: string, addresses: string[]): CredentialFiles {
  const result = spawnSync(process.execPath, [cli, 'keygen', '--dir', dir, ...addresses.flatMap((address) => ['--address', address])], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tandem keygen --dir ${dir} failed: ${result.stderr.trim() || result.error?.message}`);
  return credentialFiles(dir);
}

/** The command line of `tandem cluster init|join|start` for a lab node: the node's one long-lived process. */
export function clusterCommand(node: LabMember, life: LifeStep, setup: MemberSetup): string[] {
  const environment = [`HA_RSCTMP=${setup.agentDir}`, `HA_VARRUN=${setup.agentDir}`, `TANDEM_LOG_LEVEL=${process.env.TANDEM_LOG_LEVEL ?? 'info'}`, ...(setup.environment ?? [])];
  // What init and join write to cluster.json, start reads back: it takes no settings.
  const member = life.step === 'start' ? [] : [
    '--name', node.name,
    '--address', node.address,
    '--credentials', setup.credentialsDir,
    ...(setup.clientPort ? ['--client-port', String(setup.clientPort)] : []),
    ...(setup.watchdog ? ['--watchdog', setup.watchdog.device, '--watchdog-timeout-ms', String(setup.watchdog.timeoutMs)] : []),
  ];
  // The cluster's timing is chosen once, by the first node; the others take it when they join.
  // etcd's own timing follows from the lease, as for an operator who sets only that.
  const timing = life.step === 'init' && setup.leaseTtlMs ? ['--lease-ttl-ms', String(setup.leaseTtlMs)] : [];
  const peer = life.step === 'join' ? ['--peer', life.peer] : [];
  return ['env', ...environment, process.execPath, cli, 'cluster', life.step, '--data-dir', node.dataDir, ...member, ...timing, ...peer];
}

/** A process's parent and command name, from /proc; undefined once it is gone. */
function processEntry(pid: number): { parentPid: number; command: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (command) state ppid ...": the command may itself hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    return { parentPid: Number(stat.slice(close + 2).split(' ')[1]), command: stat.slice(stat.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

/** The etcd member a tandem process runs: its child named etcd, while there is one. */
export function etcdPidOf(tandemPid: number | undefined): number | undefined {
  if (tandemPid === undefined) return undefined;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .find((pid) => {
      const entry = processEntry(pid);
      return entry?.parentPid === tandemPid && entry.command === 'etcd';
    });
}

/** Kills an etcd member by PID, unless that PID is no etcd any more (gone, perhaps reused). */
export function killEtcd(pid: number | undefined): void {
  if (pid === undefined || processEntry(pid)?.command !== 'etcd') return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone in the meantime.
  }
}

/**
 * `tandem cluster init` on the first node, then `tandem cluster join` through it on each
 * other, one at a time (etcd takes one learner at a time), each awaited as a member.
 */
export async function formCluster<Node extends LabMember>(nodes: readonly Node[], peerOf: (first: Node) => string, run: (node: Node, life: LifeStep) => void, waitUntilMember: (node: Node) => Promise<void>): Promise<void> {
  const [first, ...others] = nodes;
  if (!first) throw new Error('a cluster needs a node');
  run(first, { step: 'init' });
  await waitUntilMember(first);
  for (const node of others) {
    run(node, { step: 'join', peer: peerOf(first) });
    await waitUntilMember(node);
  }
}
