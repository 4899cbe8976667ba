// A real tandem cluster on one machine: each node a network namespace running tandem as
// an operator runs it (`tandem cluster init` on the first, `join` on the others, `start`
// after a power cycle: members.ts), tandem running the node's etcd member; plus a client
// host. Used by `tandem lab` (the main job: a local cluster doing real failover), by the
// failover drills and bench, and by the tests. Every process is started here or by the
// node's tandem, known by PID, and ended by `destroy`.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CredentialFiles } from '../cluster/credentials.js';
import type { DrillHosts, Fault } from './drill.js';
import { cli, clusterCommand, etcdPidOf, formCluster, keygen, killEtcd, type LabMember, type LifeStep } from './members.js';
import { LabNetwork, labSubnet, type LabHost } from './netns.js';
import { waitFor } from './wait.js';

export { cli };
export const probeScript = fileURLToPath(new URL('./probe.js', import.meta.url));
export const helloScript = fileURLToPath(new URL('./hello.js', import.meta.url));
const fenceScript = fileURLToPath(new URL('./fence-lab.js', import.meta.url));
const watchdogScript = fileURLToPath(new URL('./watchdog-lab.js', import.meta.url));
export const labFenceAgent = 'fence_tandem_lab';

const etcdClientPort = 2379;
const startLimitMs = 30_000;

export interface LabNode extends LabHost, LabMember {
  /** Killed hard and not booted again: what is configured there is out of reach. */
  poweredOff?: boolean;
  /** Its link is cut: it runs, but reaches nobody. */
  isolated?: boolean;
  /** `tandem cluster init|join|start`: the node's tandem, which runs its etcd member as its child. */
  daemon?: ChildProcess;
}

export interface LabOptions {
  nodes: number;
  /** Where data and logs go (a new temporary directory by default; kept only if given). */
  dir?: string;
  leaseTtlMs?: number;
  /** Each node feeds a watchdog with this timeout (the lab's stand-in for /dev/watchdog, see watchdog-lab.ts). */
  watchdogTimeoutMs?: number;
}

export class LabCluster implements DrillHosts {
  readonly network: LabNetwork;
  readonly nodes: LabNode[] = [];
  readonly client: LabHost;
  readonly dir: string;
  readonly vip = labVip;
  readonly credentials: CredentialFiles;
  private readonly ownDir: boolean;
  /** Each node's watchdog "hardware", outside the node so that it outlives it. */
  private readonly watchdogs: ChildProcess[] = [];

  constructor(private readonly options: LabOptions) {
    this.ownDir = options.dir === undefined;
    // Throwaway etcd data is best kept in memory: the lab measures tandem, not the disk.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    this.dir = options.dir ?? mkdtempSync(join(base, 'tandem-lab-'));
    mkdirSync(this.dir, { recursive: true });
    // The lab's power switch, where the daemons' fencers look for fence agents.
    mkdirSync(join(this.dir, 'fence'), { recursive: true });
    writeFileSync(join(this.dir, 'fence', labFenceAgent), `#!/bin/sh\nexec ${process.execPath} ${fenceScript}\n`, { mode: 0o755 });
    this.network = new LabNetwork(String(process.pid % 100_000));
    try {
      for (let index = 1; index <= options.nodes; index++) {
        const host = this.network.addHost(`node${index}`, 10 + index);
        this.nodes.push({ ...host, dataDir: join(this.dir, host.name) });
      }
      this.client = this.network.addHost('client', 100);
      // The cluster's own credentials: etcd takes TLS only, with client certificates.
      this.credentials = keygen(this.credentialsDir, this.nodes.map((node) => node.address));
    } catch (error) {
      this.network.destroy();
      throw error;
    }
  }

  get credentialsDir(): string {
    return join(this.dir, 'credentials');
  }

  get etcdEndpoints(): string[] {
    return this.nodes.map((node) => `https://${node.address}:${etcdClientPort}`);
  }

  /** The cluster formed by `tandem cluster init` and `join` (members.ts); resolves when every etcd member is a voting one. */
  async start(): Promise<void> {
    if (this.options.watchdogTimeoutMs) for (const node of this.nodes) this.startWatchdog(node, this.options.watchdogTimeoutMs);
    await formCluster(this.nodes, (first) => first.address, (node, life) => this.run(node, life), (node) => this.waitFor(`${node.name} to be a member`, () => this.members().includes(node.name)));
    const voting = this.etcdMembers(this.nodes[0]!).filter((member) => !member.isLearner).map((member) => member.name);
    if (voting.length !== this.nodes.length) throw new Error(`after the joins, etcd's voting members are ${voting.join(', ') || 'none'}`);
  }

  /** `tandem cluster start`: the node runs again as the member its data directory holds. */
  startNode(node: LabNode): void {
    this.run(node, { step: 'start' });
  }

  /** `tandem cluster leave` on the node: its resources move away, it is forgotten, its etcd member removed, its tandem ends. */
  leave(node: LabNode): TandemResult {
    return this.tandem(node, 'cluster', 'leave');
  }

  /** `tandem cluster join` through `peer`: a node that left joins again. */
  join(node: LabNode, peer: LabNode): void {
    this.run(node, { step: 'join', peer: peer.address });
  }

  private run(node: LabNode, life: LifeStep): void {
    const agentDir = this.agentDir(node);
    mkdirSync(agentDir, { recursive: true });
    const { watchdogTimeoutMs, leaseTtlMs } = this.options;
    node.daemon = this.spawnIn(node, `${node.name}.log`, clusterCommand(node, life, {
      credentialsDir: this.credentialsDir,
      agentDir,
      ...(leaseTtlMs ? { leaseTtlMs } : {}),
      ...(watchdogTimeoutMs ? { watchdog: { device: this.watchdogDevice(node), timeoutMs: watchdogTimeoutMs } } : {}),
      environment: [`TANDEM_FENCE_PATH=${join(this.dir, 'fence')}`],
    }));
  }

  /** The PID of the etcd member the node's tandem runs, while it runs one. */
  etcdPid(node: LabNode): number | undefined {
    return etcdPidOf(node.daemon?.pid);
  }

  watchdogDevice(node: LabNode): string {
    return join(this.dir, `${node.name}-watchdog`);
  }

  private startWatchdog(node: LabNode, timeoutMs: number): void {
    const device = this.watchdogDevice(node);
    const made = spawnSync('mkfifo', ['-m', '600', device], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`mkfifo ${device}: ${made.stderr || made.error?.message}`);
    const log = openSync(join(this.dir, `${node.name}-watchdog.log`), 'a');
    this.watchdogs.push(spawn(process.execPath, [watchdogScript, device, node.namespace, String(timeoutMs)], { stdio: ['ignore', log, log] }));
    closeSync(log);
  }

  /** Runs `tandem ARGS` against a node's daemon. */
  tandem(node: LabNode, ...args: string[]): TandemResult {
    return tandemAt(node.dataDir, args);
  }

  /** A fencing device for the lab's hosts: the lab's power switch, each node's port its namespace. */
  fencingDevice(id: string): string {
    const map = this.nodes.map((node) => `${node.name}:${node.namespace}`).join(';');
    return `primitive ${id} stonith:${labFenceAgent} params pcmk_host_map="${map}"`;
  }

  /** Nodes that run and reach the others. */
  reachable(): LabNode[] {
    return this.nodes.filter((node) => !node.poweredOff && !node.isolated && node.daemon && node.daemon.exitCode === null && node.daemon.signalCode === null);
  }

  /** The status as the first reachable node sees it. */
  clusterStatus(): LabStatus | undefined {
    return firstStatus(this.reachable());
  }

  members(): string[] {
    return memberNames(this.clusterStatus());
  }

  /** Cuts the node's link; its processes live on. */
  cut(node: LabNode): void {
    this.network.cut(node);
    node.isolated = true;
  }

  reconnect(node: LabNode): void {
    this.network.reconnect(node);
    node.isolated = false;
  }

  /**
   * Power off: the link goes down and every process of the node dies at once (kill -9 of
   * each PID in its namespace: its tandem, tandem's etcd member, what tandem started).
   */
  killHard(node: LabNode): void {
    this.network.powerOff(node);
    node.daemon = undefined;
    node.poweredOff = true;
  }

  /** The node was powered off by a fencing device: the lab takes note (its processes are gone). */
  fencedOff(node: LabNode): void {
    node.daemon = undefined;
    node.poweredOff = true;
    node.isolated = false;
    this.network.reconnect(node);
  }

  /** Power on after killHard: a clean interface, then `tandem cluster start` (its data directory kept). */
  /**
   * Until the node's new incarnation has joined: the old one's membership may outlive it by
   * up to a lease, so the node itself must answer with its own lease among the members.
   */
  async bootAfterKill(node: LabNode): Promise<void> {
    this.powerOn(node);
    await this.waitFor(`${node.name} to rejoin`, () => {
      const own = firstStatus([node]);
      return own?.cluster.leaseId !== undefined && (own.cluster.members ?? []).some((member) => member.name === node.name && member.leaseId === own.cluster.leaseId);
    });
  }

  /** As a boot: a clean interface, what lived in /run gone (agents' state, pid files), then `tandem cluster start`. */
  powerOn(node: LabNode): void {
    this.network.reboot(node);
    for (const volatile of [this.agentDir(node), join(node.dataDir, 'run')]) rmSync(volatile, { recursive: true, force: true });
    node.poweredOff = false;
    this.startNode(node);
  }

  /** Where the node's agents keep their state (HA_RSCTMP, HA_VARRUN). */
  agentDir(node: LabNode): string {
    return join(node.dataDir, 'agents');
  }

  /** Whether anything still runs on the host (a powered-off or fenced host runs nothing). */
  alive(node: LabNode): boolean {
    return this.network.pids(node).length > 0;
  }

  /**
   * A crash of one part of the node: its etcd member (kill -9; its tandem starts it again),
   * or its tandem (kill -9, and its etcd member with it, as the parent-death signal tandem
   * gives it would; what tandem started runs on).
   */
  crash(node: LabNode, part: 'etcd' | 'daemon'): void {
    const etcd = this.etcdPid(node);
    if (part === 'daemon') {
      node.daemon?.kill('SIGKILL');
      node.daemon = undefined;
    }
    killEtcd(etcd);
  }

  /** Every time a node stopped everything because its lease might expire, from the nodes' logs (`node: line`). */
  leaseLosses(): string[] {
    return this.nodes.flatMap((node) =>
      readFileSync(join(this.dir, `${node.name}.log`), 'utf8')
        .split('\n')
        .filter((line) => line.includes('lease may expire'))
        .map((line) => `${node.name}: ${line}`),
    );
  }

  /** The node whose etcd member leads etcd now, as the members themselves say. */
  etcdLeader(): string | undefined {
    const statuses = this.reachable().map((node) => ({ node, status: this.etcdStatus(node) }));
    const leader = statuses.find((entry) => entry.status)?.status?.leader;
    return statuses.find((entry) => entry.status?.memberId === leader)?.node.name;
  }

  /** etcd's members as the node's own member lists them. */
  etcdMembers(node: LabNode): Array<{ name: string; isLearner?: boolean }> {
    const result = this.etcdctl(node, ['-w', 'json', 'member', 'list']);
    if (result.status !== 0) return [];
    return (JSON.parse(result.stdout) as { members: Array<{ name: string; isLearner?: boolean }> }).members;
  }

  /** Runs etcdctl on a node against its own member, with or without the cluster's credentials. */
  etcdctl(node: LabNode, args: string[], withCredentials = true): { status: number | null; stdout: string; stderr: string } {
    const { caCert, cert, key } = this.credentials;
    const tls = withCredentials ? [`--cacert=${caCert}`, `--cert=${cert}`, `--key=${key}`] : [`--cacert=${caCert}`];
    return spawnSync('ip', ['netns', 'exec', node.namespace, 'etcdctl', `--endpoints=https://127.0.0.1:${etcdClientPort}`, '--command-timeout=2s', ...tls, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  }

  /** A member's id and its leader's, as text: they are 64-bit numbers. */
  private etcdStatus(node: LabNode): { memberId: string; leader: string } | undefined {
    const result = this.etcdctl(node, ['-w', 'json', 'endpoint', 'status']);
    const memberId = /"member_id":(\d+)/.exec(result.stdout)?.[1];
    const leader = /"leader":(\d+)/.exec(result.stdout)?.[1];
    return result.status === 0 && memberId && leader ? { memberId, leader } : undefined;
  }

  /** Where an address is configured now (node names), on the nodes that are powered on. */
  holdersOf(address: string): string[] {
    return this.nodes.filter((node) => !node.poweredOff && this.network.addresses(node).includes(address)).map((node) => node.name);
  }

  /** Runs the HTTP probe from the client host. */
  startProbe(address: string, port: number, intervalMs: number, limitMs: number): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.client.namespace, process.execPath, probeScript, address, String(port), String(intervalMs), String(limitMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  }

  waitFor(what: string, condition: () => boolean, limitMs = startLimitMs): Promise<void> {
    return waitFor(what, condition, limitMs);
  }

  strike(name: string, fault: Fault): void {
    const node = this.nodes.find((candidate) => candidate.name === name)!;
    if (fault === 'kill') this.killHard(node);
    else this.cut(node);
  }

  /**
   * Stops every node (SIGTERM: tandem stops its resources, then its etcd member), kills an
   * etcd member that outlived its tandem, then removes the hosts with whatever still runs there.
   */
  async destroy(keepDir = false): Promise<void> {
    const etcdPids = this.nodes.map((node) => this.etcdPid(node));
    await Promise.all(this.nodes.map((node) => (node.daemon ? stopProcess(node.daemon, 'SIGTERM', 10_000) : Promise.resolve())));
    etcdPids.forEach(killEtcd);
    await Promise.all(this.watchdogs.map((watchdog) => stopProcess(watchdog, 'SIGTERM', 2_000)));
    this.network.destroy();
    if (this.ownDir && !keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnIn(host: LabHost, logName: string, command: string[]): ChildProcess {
    const log = openSync(join(this.dir, logName), 'a');
    const child = spawn('ip', ['netns', 'exec', host.namespace, ...command], { stdio: ['ignore', log, log] });
    closeSync(log);
    return child;
  }
}

export interface LabStatus {
  node: string;
  view: { resources: Array<{ kind: string; id?: string; role?: string; nodes?: string[]; members?: Array<{ id: string; role: string; nodes: string[] }>; byRole?: Record<string, string[]> }> };
  pending: string[];
  cluster: { dc?: string; leaseId?: string; members?: Array<{ name: string; addresses: string[]; leaseId?: string }> };
}

export type TandemResult = { status: number | null; stdout: string; stderr: string };

/** Runs `tandem ARGS` against the daemon whose data directory is `dataDir`. */
export function tandemAt(dataDir: string, args: string[]): TandemResult {
  return spawnSync(process.execPath, [cli, ...args, '--data-dir', dataDir], { encoding: 'utf8' });
}

/** The status as the first of `nodes` whose daemon answers sees it. */
export function firstStatus(nodes: ReadonlyArray<{ dataDir: string }>): LabStatus | undefined {
  for (const node of nodes) {
    const result = tandemAt(node.dataDir, ['status', '--json']);
    if (result.status !== 0) continue;
    try {
      return JSON.parse(result.stdout) as LabStatus;
    } catch {
      // A daemon that went away in the middle of its answer.
    }
  }
  return undefined;
}

export function memberNames(status: LabStatus | undefined): string[] {
  return (status?.cluster.members ?? []).map((member) => member.name);
}

/** Sends a signal and waits for the exit; SIGKILL when it takes longer than `limitMs`. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals, limitMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export const labVip = `${labSubnet}.50`;
