// `tandem lab`: tandem's main job on one machine. Three nodes (network namespaces, each
// with an etcd member and a tandem daemon) and a client; the guide's API VIP with a
// service behind it; the status; a failover drill that kills the active node hard and
// prints the downtime the client saw; the node comes back; everything is cleaned up.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../model/errors.js';
import { LabCluster, helloScript, labVip } from './cluster.js';
import { failoverDrill, type Fault } from './drill.js';
import { canMakeNamespaces } from './netns.js';

const examples = fileURLToPath(new URL('../../../examples/lab/', import.meta.url));
export const labServicePort = 8080;

export interface LabRunOptions {
  nodes: number;
  drills: number;
  /** Faults used in turn, one per drill. */
  faults: Fault[];
  keep: boolean;
}

/** A lab example (api.crm: VIP and service as a group; vip.crm: the VIP moves, the service runs everywhere) with the service's command filled in. */
export function labConfiguration(example: 'api.crm' | 'vip.crm' = 'api.crm'): string {
  return readFileSync(`${examples}${example}`, 'utf8').replace('@HELLO@', `exec ${process.execPath} ${helloScript} ${labServicePort} $TANDEM_NODE`);
}

/** Nothing pending, and the VIP runs. */
export function serviceRunning(lab: LabCluster): boolean {
  return serviceHolder(lab) !== undefined;
}

/** The one node holding the VIP while nothing is pending. The hosts are read once: a VIP that moves between two reads cannot make a holder up. */
export function serviceHolder(lab: LabCluster): string | undefined {
  const holders = lab.holdersOf(labVip);
  if (holders.length !== 1) return undefined;
  const status = lab.clusterStatus();
  return status !== undefined && status.pending.length === 0 ? holders[0] : undefined;
}

/** The lab did not get where it should: the message says where, the logs are kept. */
export class LabFailure extends Error {}

export async function runLab(options: LabRunOptions, print: (line: string) => void): Promise<void> {
  if (!canMakeNamespaces()) throw new InputError('tandem lab makes network namespaces as hosts: run it as root on Linux with iproute2 (ip netns)');
  const lab = new LabCluster({ nodes: options.nodes });
  let failed = false;
  try {
    print(`== ${options.nodes} nodes in network namespaces, each with an etcd member and a tandem node (data and logs: ${lab.dir})`);
    await lab.start();
    const first = lab.nodes[0]!;
    const file = join(lab.dir, 'api.crm');
    print(loadConfiguration(lab, file));
    await lab.waitFor('the API group to start', () => serviceRunning(lab));
    print(lab.tandem(first, 'status').stdout);
    for (let run = 1; run <= options.drills; run++) {
      const fault = options.faults[(run - 1) % options.faults.length]!;
      print(`== drill ${run}/${options.drills}: ${fault === 'kill' ? 'power off (kill -9 of every process, link down)' : 'network cut at the switch (processes alive, its own link up)'} of the node serving ${labVip}:${labServicePort}`);
      const drill = await failoverDrill(lab, labVip, labServicePort, fault);
      print(`   ${new Date(drill.faultMs).toISOString().slice(11, 23)} ${drill.from} -> ${drill.to}: the client saw ${drill.downtimeMs} ms of downtime (${drill.failedAttempts} failed attempts, one every 20 ms); VIP seen on at most ${drill.mostHolders} node(s) at once${drill.etcdLeaderHit ? '; the etcd leader was on that node, so an etcd election came first' : ''}`);
      await lab.waitFor('the API group to run again', () => serviceRunning(lab));
      const fallen = lab.nodes.find((node) => node.name === drill.from)!;
      if (fault === 'kill') await lab.bootAfterKill(fallen);
      else lab.reconnect(fallen);
      await lab.waitFor(`${fallen.name} to be back`, () => lab.members().includes(fallen.name));
      print(`   ${fallen.name} is back in the cluster; the service stays where it is (no flapping)`);
    }
    print(lab.tandem(lab.reachable()[0]!, 'status').stdout);
  } catch (error) {
    failed = true;
    throw new LabFailure(`${(error as Error).message}; data and logs kept in ${lab.dir}`);
  } finally {
    await lab.destroy(options.keep || failed);
  }
}

function loadConfiguration(lab: LabCluster, file: string): string {
  writeFileSync(file, labConfiguration());
  const result = lab.tandem(lab.nodes[0]!, 'configure', 'load', file);
  if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr}`);
  return result.stdout.trim();
}
