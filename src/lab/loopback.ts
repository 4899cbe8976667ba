// The lab without root: each node a set of processes on its own loopback address
// (127.0.0.11, .12, ...), an etcd member and a tandem daemon. No namespaces means no
// address to move and no link to cut: the service holds the "VIP" itself (it listens on
// 127.0.0.100, which one process on the machine can hold at a time), and a power-off
// kills every process of the node at once: tandem, etcd, and what tandem started (the
// process groups its pid files name).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCredentials, type CredentialFiles } from '../cluster/credentials.js';
import { firstStatus, labDaemonCommand, labEtcdCommand, memberNames, stopProcess, tandemAt, type LabStatus, type TandemResult } from './cluster.js';
import type { DrillHosts, Fault } from './drill.js';
import { waitFor } from './wait.js';

export const loopbackVip = '127.0.0.100';
const probeScript = fileURLToPath(new URL('./probe.js', import.meta.url));
const startLimitMs = 30_000;

export interface LoopbackNode {
  name: string;
  address: string;
  dataDir: string;
  poweredOff?: boolean;
  etcd?: ChildProcess;
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
  private readonly credentials: CredentialFiles;

  constructor(count: number, private readonly serviceId: string) {
    this.dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tandem-lab-'));
    for (let index = 1; index <= count; index++) this.nodes.push({ name: `node${index}`, address: `127.0.0.${10 + index}`, dataDir: join(this.dir, `node${index}`) });
    this.credentials = makeCredentials(this.credentialsDir, this.nodes.map((node) => node.address));
  }

  private get credentialsDir(): string {
    return join(this.dir, 'credentials');
  }

  async start(): Promise<void> {
    for (const node of this.nodes) this.powerOn(node);
    await this.waitFor('every node to join', () => this.members().length === this.nodes.length);
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

  /** Power on after a power-off: what lived in /run gone, then etcd and tandem again. */
  async bootAfterKill(node: LoopbackNode): Promise<void> {
    this.powerOn(node);
    await this.waitFor(`${node.name} to rejoin`, () => this.members().includes(node.name));
  }

  async destroy(keepDir: boolean): Promise<void> {
    await Promise.all(this.nodes.map((node) => (node.daemon ? stopProcess(node.daemon, 'SIGTERM', 10_000) : Promise.resolve())));
    await Promise.all(this.nodes.map((node) => (node.etcd ? stopProcess(node.etcd, 'SIGTERM', 5_000) : Promise.resolve())));
    for (const node of this.nodes) this.servicePids(node).forEach(signalGroup);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private powerOn(node: LoopbackNode): void {
    const agentDir = join(node.dataDir, 'agents');
    for (const volatile of [agentDir, join(node.dataDir, 'run')]) rmSync(volatile, { recursive: true, force: true });
    mkdirSync(agentDir, { recursive: true });
    node.poweredOff = false;
    const listen = [`https://${node.address}:2379`];
    node.etcd = this.spawnLogged(`${node.name}-etcd.log`, labEtcdCommand(node, this.nodes, listen, join(this.dir, `${node.name}-etcd`), `tandem-loopback-${process.pid}`, this.credentials));
    node.daemon = this.spawnLogged(`${node.name}.log`, labDaemonCommand(node, `https://${node.address}:2379`, agentDir, this.credentialsDir, undefined));
  }

  /** Every process of the node dies at once (kill -9): tandem first, so it starts nothing more. */
  private powerOff(node: LoopbackNode): void {
    for (const child of [node.daemon, node.etcd]) child?.kill('SIGKILL');
    node.daemon = undefined;
    node.etcd = undefined;
    this.startedPids(node).forEach(signalGroup);
    node.poweredOff = true;
  }

  /** The process groups tandem started on the node (its supervised services). */
  private startedPids(node: LoopbackNode): number[] {
    const run = join(node.dataDir, 'run');
    if (!existsSync(run)) return [];
    return readdirSync(run)
      .filter((file) => file.endsWith('.pid'))
      .map((file) => Number(readFileSync(join(run, file), 'utf8')))
      .filter((pid) => Number.isInteger(pid) && pid > 0);
  }

  private servicePids(node: LoopbackNode): number[] {
    const file = join(node.dataDir, 'run', `${this.serviceId}.pid`);
    if (!existsSync(file)) return [];
    const pid = Number(readFileSync(file, 'utf8'));
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
