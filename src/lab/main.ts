// `tandem lab`: tandem's main job on one machine. Three nodes brought up as an operator
// does (`tandem cluster init`, then `join`; each tandem runs its etcd member): network
// namespaces as root, and a client; otherwise processes on loopback addresses, loopback.ts; the guide's API VIP with a service behind it; the
// status; a failover drill that kills the active node hard and prints the downtime the
// client saw; the node comes back; everything is cleaned up.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../model/errors.js';
import { LabCluster, helloScript, type LabStatus } from './cluster.js';
import { failoverDrill, type DrillHosts, type Fault } from './drill.js';
import { LoopbackLab, loopbackVip } from './loopback.js';
import { canMakeNamespaces } from './netns.js';

const examples = fileURLToPath(new URL('../../../examples/lab/', import.meta.url));
export const labServicePort = 8080;

export interface LabRunOptions {
  nodes: number;
  drills: number;
  /** Faults used in turn, one per drill. */
  faults: Fault[];
  keep: boolean;
  /** Network namespaces (root only) or processes on loopback addresses. */
  hosts: 'netns' | 'loopback';
}

/** What a lab run needs of its hosts, namespaces or loopback. */
interface RunnableLab<Node extends { name: string }> extends DrillHosts {
  readonly dir: string;
  readonly vip: string;
  readonly nodes: Node[];
  start(): Promise<void>;
  tandem(node: Node, ...args: string[]): { status: number | null; stdout: string; stderr: string };
  clusterStatus(): LabStatus | undefined;
  members(): string[];
  reachable(): Node[];
  waitFor(what: string, condition: () => boolean, limitMs?: number): Promise<void>;
  bootAfterKill(node: Node): Promise<void>;
  destroy(keepDir: boolean): Promise<void>;
}

/** The hosts the lab runs on by default: namespaces when it may make them. */
export const defaultLabHosts = (): LabRunOptions['hosts'] => (canMakeNamespaces() ? 'netns' : 'loopback');

/**
 * A lab example (api.crm: VIP and service as a group; vip.crm: the VIP moves, the service
 * runs everywhere; loopback.crm: the service holds the address itself) with the service's
 * command filled in.
 */
export function labConfiguration(example: 'api.crm' | 'vip.crm' | 'loopback.crm' = 'api.crm'): string {
  const address = example === 'loopback.crm' ? ` ${loopbackVip}` : '';
  return readFileSync(`${examples}${example}`, 'utf8').replace('@HELLO@', `exec ${process.execPath} ${helloScript} ${labServicePort} $TANDEM_NODE${address}`);
}

type ServedLab = Pick<RunnableLab<{ name: string }>, 'holdersOf' | 'clusterStatus'> & { readonly vip: string };

/** Nothing pending, and the VIP runs. */
export function serviceRunning(lab: ServedLab): boolean {
  return serviceHolder(lab) !== undefined;
}

/** The one node holding the VIP while nothing is pending. The hosts are read once: a VIP that moves between two reads cannot make a holder up. */
export function serviceHolder(lab: ServedLab): string | undefined {
  const holders = lab.holdersOf(lab.vip);
  if (holders.length !== 1) return undefined;
  const status = lab.clusterStatus();
  return status !== undefined && status.pending.length === 0 ? holders[0] : undefined;
}

/** The lab did not get where it should: the message says where, the logs are kept. */
export class LabFailure extends Error {}

export async function runLab(options: LabRunOptions, print: (line: string) => void): Promise<void> {
  if (options.hosts === 'netns' && !canMakeNamespaces()) throw new InputError('tandem lab --hosts netns makes network namespaces as hosts: run it as root on Linux with iproute2 (ip netns), or use --hosts loopback');
  if (options.hosts === 'netns') {
    const lab = new LabCluster({ nodes: options.nodes });
    print(`== ${options.nodes} nodes in network namespaces, each running tandem and its etcd member (data and logs: ${lab.dir})`);
    await runDrills(lab, 'api.crm', options, print, (node) => lab.reconnect(node), 'power off (kill -9 of every process, link down)');
    return;
  }
  if (options.faults.includes('cut')) print('== a network cut needs network namespaces (run as root): every drill powers the node off');
  const lab = new LoopbackLab(options.nodes, 'p_api-service');
  print(`== ${options.nodes} nodes as processes on loopback addresses, each running tandem and its etcd member; the service holds ${loopbackVip} itself (data and logs: ${lab.dir})`);
  await runDrills(lab, 'loopback.crm', { ...options, faults: ['kill'] }, print, () => undefined, 'power off (kill -9 of its etcd, tandem and what tandem started)');
}

async function runDrills<Node extends { name: string }>(lab: RunnableLab<Node>, example: 'api.crm' | 'loopback.crm', options: LabRunOptions, print: (line: string) => void, reconnect: (node: Node) => void, powerOffText: string): Promise<void> {
  let failed = false;
  try {
    await lab.start();
    const first = lab.nodes[0]!;
    print(`   ${first.name}: tandem cluster init; ${lab.nodes.slice(1).map((node) => node.name).join(', ')}: tandem cluster join --peer ${first.name}; members: ${[...lab.members()].sort().join(', ')}`);
    print(loadConfiguration(lab, first, example));
    await lab.waitFor('the API group to start', () => serviceRunning(lab));
    print(lab.tandem(first, 'status').stdout);
    for (let run = 1; run <= options.drills; run++) {
      const fault = options.faults[(run - 1) % options.faults.length]!;
      print(`== drill ${run}/${options.drills}: ${fault === 'kill' ? powerOffText : 'network cut at the switch (processes alive, its own link up)'} of the node serving ${lab.vip}:${labServicePort}`);
      const drill = await failoverDrill(lab, lab.vip, labServicePort, fault);
      print(`   ${new Date(drill.faultMs).toISOString().slice(11, 23)} ${drill.from} -> ${drill.to}: the client saw ${drill.downtimeMs} ms of downtime (${drill.failedAttempts} failed attempts, one every 20 ms); VIP seen on at most ${drill.mostHolders} node(s) at once${drill.etcdLeaderHit ? '; the etcd leader was on that node, so an etcd election came first' : ''}`);
      await lab.waitFor('the API group to run again', () => serviceRunning(lab));
      const fallen = lab.nodes.find((node) => node.name === drill.from)!;
      if (fault === 'kill') await lab.bootAfterKill(fallen);
      else reconnect(fallen);
      await lab.waitFor(`${fallen.name} to be back`, () => lab.members().includes(fallen.name));
      print(`   ${fallen.name} is back in the cluster${fault === 'kill' ? ' (tandem cluster start, its data directory kept)' : ''}; the service stays where it is (no flapping)`);
    }
    print(lab.tandem(lab.reachable()[0]!, 'status').stdout);
  } catch (error) {
    failed = true;
    throw new LabFailure(`${(error as Error).message}; data and logs kept in ${lab.dir}`);
  } finally {
    await lab.destroy(options.keep || failed);
  }
}

function loadConfiguration<Node extends { name: string }>(lab: RunnableLab<Node>, node: Node, example: 'api.crm' | 'loopback.crm'): string {
  const file = join(lab.dir, example);
  writeFileSync(file, labConfiguration(example));
  const result = lab.tandem(node, 'configure', 'load', file);
  if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr}`);
  return result.stdout.trim();
}
