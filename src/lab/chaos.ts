// A randomised fault run on the lab (`tandem chaos`): a seeded plan of faults (power off,
// network cut, etcd member killed (its tandem starts it again), tandem killed (its etcd
// member with it; `tandem cluster start` brings the node back); sometimes two nodes at
// once, which takes etcd's quorum away), each held a while and then healed, while a watcher
// checks the hosts every `watchIntervalMs`: never two holders of one primitive or of the
// promoted role. After the last step the cluster must settle where its own status says.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';
import { LabCluster, type LabNode } from './cluster.js';
import { describeStep, planFaults, type ChaosFault, type FaultStep } from './fault-plan.js';
import { chaosConfiguration, chaosWatchdogTimeoutMs, doubleHolders, expectedHoldings, observe, sameHoldings, type ChaosFencing, type Holdings } from './invariants.js';
import { LabFailure } from './main.js';
import { canMakeNamespaces } from './netns.js';

const watchIntervalMs = 100;
const rejoinLimitMs = 60_000;
const settleLimitMs = 90_000;

export interface Violation {
  atMs: number;
  step: number;
  what: string;
}

export interface ChaosReport {
  steps: number;
  violations: Violation[];
  /** Where the watched resources ended, and whether that is where the status says. */
  final: Holdings;
  settled: boolean;
  settleMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Checks the hosts until stopped; a violation is kept once per step and kind. */
class Watcher {
  readonly violations: Violation[] = [];
  step = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly lab: LabCluster) {}

  start(): void {
    const tick = () => {
      for (const what of doubleHolders(observe(this.lab))) {
        if (!this.violations.some((seen) => seen.step === this.step && seen.what === what)) this.violations.push({ atMs: Date.now(), step: this.step, what });
      }
      this.timer = setTimeout(tick, watchIntervalMs);
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

function strike(lab: LabCluster, node: LabNode, fault: ChaosFault): void {
  if (fault === 'kill') lab.killHard(node);
  else if (fault === 'cut') lab.cut(node);
  else lab.crash(node, fault);
}

/** Undoes the fault; a host that is off by now (killed, or fenced meanwhile) boots. A killed etcd member its tandem starts again itself. */
function heal(lab: LabCluster, node: LabNode, fault: ChaosFault): void {
  if (node.isolated) lab.reconnect(node);
  if (!lab.alive(node)) {
    lab.fencedOff(node);
    lab.powerOn(node);
    return;
  }
  if (fault === 'daemon' && !node.daemon) lab.startNode(node);
}

const exited = (child: LabNode['daemon']) => !child || child.exitCode !== null || child.signalCode !== null;

/**
 * Waits until every node is a member again, booting any that a late fencing or its
 * watchdog powered off, and starting again a part that such a reset took with it while it
 * was being healed (a daemon started a moment before its host was reset).
 */
async function everyoneBack(lab: LabCluster, limitMs: number): Promise<void> {
  const limit = Date.now() + limitMs;
  while (Date.now() < limit) {
    for (const node of lab.nodes) {
      if (node.poweredOff) continue;
      if (!lab.alive(node)) {
        lab.fencedOff(node);
        lab.powerOn(node);
        continue;
      }
      if (exited(node.daemon)) lab.startNode(node);
    }
    if (lab.members().length === lab.nodes.length) return;
    await sleep(500);
  }
  throw new Error(`not every node was back in the cluster within ${limitMs} ms (members: ${lab.members().join(', ') || 'none'})`);
}

export async function runChaos(lab: LabCluster, plan: FaultStep[], print: (line: string) => void): Promise<ChaosReport> {
  const watcher = new Watcher(lab);
  const byName = (name: string) => lab.nodes.find((node) => node.name === name)!;
  watcher.start();
  try {
    for (const [index, step] of plan.entries()) {
      watcher.step = index + 1;
      print(`  step ${index + 1}/${plan.length}: ${describeStep(step)}`);
      const struck = [{ node: byName(step.node), fault: step.fault }, ...(step.also ? [{ node: byName(step.also.node), fault: step.also.fault }] : [])];
      for (const { node, fault } of struck) strike(lab, node, fault);
      await sleep(step.holdMs);
      for (const { node, fault } of struck) heal(lab, node, fault);
      await everyoneBack(lab, rejoinLimitMs);
      await sleep(step.restMs);
    }
    const started = Date.now();
    let final = observe(lab);
    let settled = false;
    while (Date.now() - started < settleLimitMs && !settled) {
      await sleep(500);
      final = observe(lab);
      const status = lab.clusterStatus();
      settled = status !== undefined && status.pending.length === 0 && sameHoldings(final, expectedHoldings(status)) && final.p_vip.length === 1 && final.p_dummy.length === 1 && final.promoted.length === 1;
    }
    return { steps: plan.length, violations: watcher.violations, final, settled, settleMs: Date.now() - started };
  } finally {
    watcher.stop();
  }
}

export interface ChaosRunOptions {
  seed: number;
  steps: number;
  nodes: number;
  fencing: ChaosFencing;
  keep: boolean;
}

/** `tandem chaos`: a lab cluster, the seeded plan carried out, the verdict printed; LabFailure when an invariant broke. */
export async function runChaosLab(options: ChaosRunOptions, print: (line: string) => void): Promise<ChaosReport> {
  if (!canMakeNamespaces()) throw new InputError('tandem chaos makes network namespaces as hosts: run it as root on Linux with iproute2 (ip netns)');
  const lab = new LabCluster({ nodes: options.nodes, ...(options.fencing === 'watchdog' ? { watchdogTimeoutMs: chaosWatchdogTimeoutMs } : {}) });
  let failed = false;
  try {
    // Killing only a daemon leaves what it started running: only fencing makes that safe.
    const faults: ChaosFault[] = options.fencing === 'off' ? ['kill', 'cut', 'etcd'] : ['kill', 'cut', 'etcd', 'daemon'];
    const plan = planFaults({ seed: options.seed, steps: options.steps, nodes: lab.nodes.map((node) => node.name), faults, doubleChance: 0.2 });
    print(`== chaos: seed ${options.seed}, ${options.steps} steps, ${options.nodes} nodes, fencing: ${{ device: 'the lab\'s power switch', watchdog: `each node's watchdog (${chaosWatchdogTimeoutMs} ms)`, off: 'off' }[options.fencing]} (data and logs: ${lab.dir})`);
    await lab.start();
    const file = join(lab.dir, 'chaos.crm');
    writeFileSync(file, chaosConfiguration(options.fencing, lab.fencingDevice('lab-power')));
    const loaded = lab.tandem(lab.nodes[0]!, 'configure', 'load', file);
    if (loaded.status !== 0) throw new Error(`loading ${file} failed: ${loaded.stderr}`);
    await lab.waitFor('the resources to start', () => {
      const status = lab.clusterStatus();
      return status !== undefined && status.pending.length === 0 && sameHoldings(observe(lab), expectedHoldings(status));
    }, settleLimitMs);
    const report = await runChaos(lab, plan, print);
    for (const violation of report.violations) print(`  VIOLATION in step ${violation.step}: ${violation.what}`);
    print(`== ${report.violations.length} violation(s) in ${report.steps} steps; ${report.settled ? `settled where the status says in ${report.settleMs} ms` : 'did NOT settle where the status says'}: VIP on ${report.final.p_vip.join(',') || 'none'}, Dummy on ${report.final.p_dummy.join(',') || 'none'}, promoted on ${report.final.promoted.join(',') || 'none'}`);
    failed = report.violations.length > 0 || !report.settled;
    if (failed) throw new LabFailure(`chaos seed ${options.seed} broke an invariant; data and logs kept in ${lab.dir}`);
    return report;
  } catch (error) {
    failed = true;
    if (error instanceof LabFailure) throw error;
    throw new LabFailure(`${(error as Error).message}; data and logs kept in ${lab.dir}`);
  } finally {
    await lab.destroy(options.keep || failed);
  }
}
