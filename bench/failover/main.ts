// bench/failover: hosts in network namespaces; a client opens a connection to the VIP every
// 20 ms; the node serving it is powered off (kill -9 of every process, link down) or cut
// off at the switch (processes alive, its own link up); downtime = from the fault to the first good answer from
// another node. The same drills, in the same run, for tandem (1 s leases, the default, and
// 2 s leases), for keepalived (VRRP, advert_int 1) and for the seed's Pacemaker + Corosync
// (Debian's packages and corosync.conf, stonith off, ocf:heartbeat:IPaddr2; pacemaker.ts).
// Prints each median and max, and the ratios; for cuts, whether the VIP was ever seen on
// two nodes at once (split brain). All move only the VIP: the service runs on every node
// all along (tandem: a clone, examples/lab/vip.crm), as behind the seed's keepalived/HAProxy VIP.
//
// Each drill starts from a cluster at rest, 3 s after the previous one recovered.
//
// Not part of scripts/install.sh (the bench is not run in CI): as root, it needs
//   apt-get install keepalived pacemaker corosync resource-agents
// (pacemaker-cli-utils, which install.sh installs, already brings pacemaker and corosync).
//
//   node dist/bench/failover/main.js [--runs 10] [--fault kill|cut|both|etcd-leader] [--systems tandem-2s,tandem-1s,keepalived,pacemaker]
//
// --fault etcd-leader (tandem only, etcd-leader.ts): the node of etcd's leader is powered
// off while another holds the VIP; no failover is due, and none of the client's attempts may fail.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabCluster, labVip } from '../../src/lab/cluster.js';
import { failoverDrill, type DrillResult, type Fault } from '../../src/lab/drill.js';
import { labConfiguration, labServicePort, serviceRunning } from '../../src/lab/main.js';
import { canMakeNamespaces } from '../../src/lab/netns.js';
import { etcdLeaderDrill, type LeaderDrill } from './etcd-leader.js';
import { KeepalivedLab } from './keepalived.js';
import { PacemakerLab } from './pacemaker.js';

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1]! : fallback;
};

const runs = Number(argument('--runs', '10'));
/** Each drill starts from a cluster at rest, this long after the previous recovery. */
const restMs = 3_000;
const rest = () => new Promise((resolve) => setTimeout(resolve, restMs));
const faultChoice = argument('--fault', 'both');
const faults: Fault[] = faultChoice === 'both' ? ['kill', 'cut'] : [faultChoice as Fault];
const systems = argument('--systems', 'tandem-2s,tandem-1s,keepalived,pacemaker').split(',');

interface Series {
  system: string;
  fault: Fault;
  drills: DrillResult[];
}

/** A tandem lab with the VIP and its service running, for `body`; its logs kept if it fails. */
async function withTandemLab<T>(leaseTtlMs: number, body: (lab: LabCluster) => Promise<T>): Promise<T> {
  const lab = new LabCluster({ nodes: 3, leaseTtlMs });
  let result: T;
  try {
    await lab.start();
    const file = join(lab.dir, 'api.crm');
    writeFileSync(file, labConfiguration('vip.crm'));
    if (lab.tandem(lab.nodes[0]!, 'configure', 'load', file).status !== 0) throw new Error('the lab configuration did not load');
    await lab.waitFor('the API group to start', () => serviceRunning(lab));
    result = await body(lab);
  } catch (error) {
    await lab.destroy(true);
    throw new Error(`${(error as Error).message} (logs kept in ${lab.dir})`);
  }
  // TANDEM_KEEP_TEST_DIR keeps the nodes' logs, to see where the time went.
  await lab.destroy(process.env.TANDEM_KEEP_TEST_DIR !== undefined);
  return result;
}

async function tandemSeries(leaseTtlMs: number, fault: Fault): Promise<Series> {
  const drills: DrillResult[] = [];
  await withTandemLab(leaseTtlMs, async (lab) => {
    for (let run = 0; run < runs; run++) {
      const drill = await failoverDrill(lab, labVip, labServicePort, fault);
      drills.push(drill);
      report(`tandem ${leaseTtlMs / 1000} s`, drill);
      await lab.waitFor('the group to run again', () => serviceRunning(lab));
      const node = lab.nodes.find((candidate) => candidate.name === drill.from)!;
      if (fault === 'kill') await lab.bootAfterKill(node);
      else lab.reconnect(node);
      await lab.waitFor(`${node.name} to be back`, () => lab.members().includes(node.name) && serviceRunning(lab));
      await rest();
    }
  });
  return { system: `tandem, ${leaseTtlMs / 1000} s leases`, fault, drills };
}

/** `--fault etcd-leader`: tandem only (the others have no etcd); prints each lease's drills. */
async function etcdLeaderSeries(leaseTtlMs: number): Promise<void> {
  const drills = await withTandemLab(leaseTtlMs, async (lab) => {
    const done: LeaderDrill[] = [];
    for (let run = 0; run < runs; run++) {
      const drill = await etcdLeaderDrill(lab);
      done.push(drill);
      process.stderr.write(`  tandem ${leaseTtlMs / 1000} s etcd-leader: ${drill.leader} off (VIP on ${drill.holder}): ${drill.failedAttempts} failed attempts, ${drill.leaseLosses} leases lost\n`);
      await rest();
    }
    return done;
  });
  const hit = drills.filter((drill) => drill.leaseLosses > 0 || drill.failedAttempts > 0).length;
  console.log(`tandem, ${leaseTtlMs / 1000} s leases: etcd's leader's node powered off ${drills.length} times; the VIP's client failed or a lease was lost in ${hit}, attempts failed in all ${drills.reduce((sum, drill) => sum + drill.failedAttempts, 0)}`);
}

async function keepalivedSeries(fault: Fault): Promise<Series> {
  const lab = new KeepalivedLab(3, labServicePort);
  const drills: DrillResult[] = [];
  try {
    await lab.start();
    for (let run = 0; run < runs; run++) {
      const drill = await failoverDrill(lab, labVip, labServicePort, fault);
      drills.push(drill);
      report('keepalived', drill);
      await lab.restore(drill.from);
      await rest();
    }
  } finally {
    lab.destroy();
  }
  return { system: 'keepalived, advert_int 1', fault, drills };
}

async function pacemakerSeries(fault: Fault): Promise<Series> {
  const lab = new PacemakerLab(3, labServicePort);
  const drills: DrillResult[] = [];
  let name = 'pacemaker';
  try {
    await lab.start();
    const { token, consensus } = lab.timeouts();
    name = `pacemaker, token ${token} ms`;
    process.stderr.write(`  pacemaker: corosync token ${token} ms, consensus ${consensus} ms\n`);
    for (let run = 0; run < runs; run++) {
      const drill = await failoverDrill(lab, labVip, labServicePort, fault);
      drills.push(drill);
      report('pacemaker', drill);
      await lab.restore(drill.from);
      await rest();
    }
  } catch (error) {
    lab.destroy(true);
    throw new Error(`${(error as Error).message} (logs kept in ${lab.dir})`);
  }
  lab.destroy();
  return { system: name, fault, drills };
}

function report(system: string, drill: DrillResult): void {
  process.stderr.write(`  ${system} ${drill.fault}: ${drill.from} -> ${drill.to} ${drill.downtimeMs} ms${drill.etcdLeaderHit ? ' (etcd leader on it)' : ''}${drill.mostHolders > 1 ? ' VIP ON TWO NODES' : ''}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

async function main(): Promise<void> {
  if (!canMakeNamespaces()) throw new Error('bench/failover needs root and iproute2 (ip netns)');
  if (systems.includes('keepalived') && spawnSync('keepalived', ['--version']).error) throw new Error('bench/failover compares with keepalived: apt-get install keepalived');
  if (systems.includes('pacemaker') && (['corosync', 'pacemakerd', 'crm_mon', 'nsenter'].some((tool) => spawnSync(tool, ['--version']).error) || !existsSync('/usr/lib/ocf/resource.d/heartbeat/IPaddr2'))) {
    throw new Error('bench/failover compares with Pacemaker + Corosync: apt-get install pacemaker corosync resource-agents util-linux');
  }
  if (faultChoice === 'etcd-leader') {
    if (systems.includes('tandem-1s')) await etcdLeaderSeries(1_000);
    if (systems.includes('tandem-2s')) await etcdLeaderSeries(2_000);
    return;
  }
  const all: Series[] = [];
  for (const fault of faults) {
    if (systems.includes('tandem-2s')) all.push(await tandemSeries(2_000, fault));
    if (systems.includes('tandem-1s')) all.push(await tandemSeries(1_000, fault));
    if (systems.includes('keepalived')) all.push(await keepalivedSeries(fault));
    if (systems.includes('pacemaker')) all.push(await pacemakerSeries(fault));
  }
  console.log(`failover: ${runs} runs per line, client attempt every 20 ms, 3 nodes in network namespaces`);
  console.log('system                      fault  median ms  max ms  etcd leader hit  split brain');
  for (const series of all) {
    const downtimes = series.drills.map((drill) => drill.downtimeMs);
    const hits = series.drills.filter((drill) => drill.etcdLeaderHit).length;
    const splits = series.drills.filter((drill) => drill.mostHolders > 1).length;
    console.log(`${series.system.padEnd(28)}${series.fault.padEnd(7)}${String(median(downtimes)).padStart(9)}${String(Math.max(...downtimes)).padStart(8)}${String(hits).padStart(17)}${String(splits).padStart(13)}`);
  }
  for (const fault of faults) {
    for (const anchorName of ['keepalived', 'pacemaker']) {
      const anchor = all.find((series) => series.fault === fault && series.system.startsWith(anchorName));
      if (!anchor) continue;
      for (const series of all.filter((candidate) => candidate.fault === fault && candidate.system.startsWith('tandem'))) {
        const ratio = median(anchor.drills.map((drill) => drill.downtimeMs)) / median(series.drills.map((drill) => drill.downtimeMs));
        console.log(`${fault}: ${anchorName} median / ${series.system} median = ${ratio.toFixed(2)}`);
      }
    }
  }
}

await main();
