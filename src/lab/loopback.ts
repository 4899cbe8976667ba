// The lab without root: each node a set of processes on its own loopback address
// (127.0.0.11, .12, ...): tandem, brought up as an operator does (`tandem cluster init`,
// `join`, `start`: members.ts), running its etcd member. No namespaces means no address
// to move and no link to cut: the service holds the "VIP" itself (it listens on
// 127.0.0.100, which one process on the machine can hold at a time), and a power-off
// kills every process of the node at once: tandem, its etcd member, and what tandem
// started (the process groups its pid files name). Each node's etcd takes its own client
// port, since every member also listens on 127.0.0.1.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstStatus, memberNames, stopProcess, tandemAt, type LabStatus, type TandemResult } from './cluster.js';
import type { DrillHosts, Fault } from './drill.js';
import { clusterCommand, etcdPidOf, formCluster, keygen, killEtcd, type LabMember, type LifeStep } from './members.js';
import { waitFor } from './wait.js';

export const loopbackVip = '127.0.0.100';
const probeScript = fileURLToPath(new URL('./probe.js', import.meta.url));
const startLimitMs = 30_000;

export interface LoopbackNode extends LabMember {
  poweredOff?: boolean;
  /** `tandem cluster init|join|start`: the node's tandem, which runs its etcd member as its child. */
  daemon?: ChildProcess;
}

function signalGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

export class LoopbackLab implements DrillHosts {
  readonly nodes: LoopbackNode[] = [];
  readonly dir: string;
  readonly vip = loopbackVip;
  /** Each node's etcd client port, chosen free when the cluster forms (then kept in the node's cluster.json). */
  private readonly clientPorts = new Map<string, number>();

  constructor(count: number, private readonly serviceId: string) {
    this.dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tandem-lab-'));
    for (let index = 1; index <= count; index++) this.nodes.push({ name: `node${index}`, address: `127.0.0.${10 + index}`, dataDir: join(this.dir, `node${index}`) });
    keygen(this.credentialsDir, this.nodes.map((node) => node.address));
  }

  private get credentialsDir(): string {
    return join(this.dir, 'credentials');
  }

  async start(): Promise<void> {
    const ports = await freeLoopbackPorts(this.nodes.length);
    this.nodes.forEach((node, index) => this.clientPorts.set(node.name, ports[index]!));
    const peerOf = (first: LoopbackNode) => `${first.address}:${this.clientPorts.get(first.name)}`;
    await formCluster(this.nodes, peerOf, (node, life) => this.run(node, life), (node) => this.waitFor(`${node.name} to be a member`, () => this.members().includes(node.name)));
  }

  tandem(node: LoopbackNode, ...args: string[]): TandemResult {
    return tandemAt(node.dataDir, args);
  }

  reachable(): LoopbackNode[] {
    return this.nodes.filter((node) => !node.poweredOff);
  }

  clusterStatus(): LabStatus | undefined {
    return firstStatus(this.reachable());
  }

  members(): string[] {
    return memberNames(this.clusterStatus());
  }

  /** The nodes where the service's process lives: it alone can hold the address. */
  holdersOf(address: string): string[] {
    if (address !== this.vip) return [];
    return this.reachable()
      .filter((node) => this.servicePids(node).length > 0)
      .map((node) => node.name);
  }

  startProbe(address: string, port: number, intervalMs: number, limitMs: number): ChildProcess {
    return spawn(process.execPath, [probeScript, address, String(port), String(intervalMs), String(limitMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  }

  strike(name: string, fault: Fault): void {
    if (fault !== 'kill') throw new Error('a network cut needs network namespaces (run the lab as root)');
    this.powerOff(this.nodes.find((node) => node.name === name)!);
  }

  waitFor(what: string, condition: () => boolean, limitMs = startLimitMs): Promise<void> {
    return waitFor(what, condition, limitMs);
  }

  /** Power on after a power-off: what lived in /run gone, then `tandem cluster start` (its data directory kept). */
  async bootAfterKill(node: LoopbackNode): Promise<void> {
    for (const volatile of [this.agentDir(node), join(node.dataDir, 'run')]) rmSync(volatile, { recursive: true, force: true });
    this.run(node, { step: 'start' });
    await this.waitFor(`${node.name} to rejoin`, () => this.members().includes(node.name));
  }

  /** Stops every node (SIGTERM: tandem stops its resources, then its etcd member); kills what outlived that, by PID. */
  async destroy(keepDir: boolean): Promise<void> {
    const etcdPids = this.nodes.map((node) => etcdPidOf(node.daemon?.pid));
    await Promise.all(this.nodes.map((node) => (node.daemon ? stopProcess(node.daemon, 'SIGTERM', 10_000) : Promise.resolve())));
    etcdPids.forEach(killEtcd);
    for (const node of this.nodes) this.servicePids(node).forEach(signalGroup);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private agentDir(node: LoopbackNode): string {
    return join(node.dataDir, 'agents');
  }

  private run(node: LoopbackNode, life: LifeStep): void {
    const agentDir = this.agentDir(node);
    mkdirSync(agentDir, { recursive: true });
    node.poweredOff = false;
    node.daemon = this.spawnLogged(`${node.name}.log`, clusterCommand(node, life, { credentialsDir: this.credentialsDir, agentDir, clientPort: this.clientPorts.get(node.name)! }));
  }

  /** Every process of the node dies at once (kill -9): tandem first, so it starts nothing more, then its etcd member and what it started. */
  private powerOff(node: LoopbackNode): void {
    const etcd = etcdPidOf(node.daemon?.pid);
    node.daemon?.kill('SIGKILL');
    node.daemon = undefined;
    killEtcd(etcd);
    this.startedPids(node).forEach(signalGroup);
    node.poweredOff = true;
  }

  /** The process groups tandem started on the node (its supervised services). */
  private startedPids(node: LoopbackNode): number[] {
    const run = join(node.dataDir, 'run');
    if (!existsSync(run)) return [];
    return readdirSync(run)
      .filter((file) => file.endsWith('.pid'))
      .map((file) => Number.parseInt(readFileSync(join(run, file), 'utf8'), 10))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  }

  private servicePids(node: LoopbackNode): number[] {
    const file = join(node.dataDir, 'run', `${this.serviceId}.pid`);
    if (!existsSync(file)) return [];
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    try {
      process.kill(pid, 0);
      return [pid];
    } catch {
      return [];
    }
  }

  private spawnLogged(logName: string, command: string[]): ChildProcess {
    const log = openSync(join(this.dir, logName), 'a');
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', log, log] });
    closeSync(log);
    return child;
  }
}

/** Ports free on loopback now, all different: each held until all are chosen. */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    }
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
