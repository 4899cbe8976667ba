// The anchor for bench/failover: keepalived (Debian's package, VRRP with its default
// advert_int 1) moving the same VIP between the same hosts, with the same service running
// on every node, as the seed's HAProxy tier does it. Hosts are network namespaces, as in
// tandem's lab; every process is known by PID and the hosts are removed at the end.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloScript, labVip, probeScript } from '../../src/lab/cluster.js';
import type { DrillHosts, Fault } from '../../src/lab/drill.js';
import { LabNetwork, type LabHost } from '../../src/lab/netns.js';
import { waitFor } from '../../src/lab/wait.js';

const startLimitMs = 30_000;

function configuration(name: string): string {
  // Equal priorities: a node that comes back does not take the address back (no flapping).
  return `global_defs {
  router_id ${name}
}
vrrp_instance api {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${labVip}/24 dev eth0
  }
}
`;
}

export class KeepalivedLab implements DrillHosts {
  readonly network: LabNetwork;
  readonly hosts: LabHost[] = [];
  readonly client: LabHost;
  private readonly dir = mkdtempSync('/dev/shm/tandem-keepalived-');

  constructor(nodes: number, private readonly servicePort: number) {
    this.network = new LabNetwork(`k${process.pid % 100_000}`);
    for (let index = 1; index <= nodes; index++) this.hosts.push(this.network.addHost(`node${index}`, 10 + index));
    this.client = this.network.addHost('client', 100);
  }

  async start(): Promise<void> {
    for (const host of this.hosts) this.boot(host);
    await waitFor('keepalived to place the VIP', () => this.holdersOf(labVip).length === 1, startLimitMs);
  }

  /** Starts the service and keepalived on a host. */
  boot(host: LabHost): void {
    this.spawnIn(host, `${host.name}-hello.log`, [process.execPath, helloScript, String(this.servicePort), host.name]);
    const config = join(this.dir, `${host.name}.conf`);
    writeFileSync(config, configuration(host.name));
    const pid = (what: string) => join(this.dir, `${host.name}-${what}.pid`);
    this.spawnIn(host, `${host.name}-keepalived.log`, ['keepalived', '--dont-fork', '--log-console', '--use-file', config, '--pid', pid('main'), '--vrrp_pid', pid('vrrp'), '--checkers_pid', pid('checkers')]);
  }

  holdersOf(address: string): string[] {
    return this.hosts.filter((host) => !this.off.has(host.name) && this.network.addresses(host).includes(address)).map((host) => host.name);
  }

  private readonly off = new Set<string>();

  strike(name: string, fault: Fault): void {
    const host = this.hosts.find((candidate) => candidate.name === name)!;
    if (fault === 'kill') {
      this.network.powerOff(host);
      this.off.add(name);
    } else {
      this.network.cut(host);
    }
  }

  /** Back after a strike: rebooted after a power-off, reconnected after a cut. */
  async restore(name: string): Promise<void> {
    const host = this.hosts.find((candidate) => candidate.name === name)!;
    if (this.off.delete(name)) {
      this.network.reboot(host);
      this.boot(host);
    } else {
      this.network.reconnect(host);
    }
    // keepalived settles: a node cut off held the VIP too and gives it up on hearing the master.
    await waitFor('one VIP holder again', () => this.holdersOf(labVip).length === 1, startLimitMs);
    // After a split brain the client may still send to the node that gave the address up:
    // the master that stayed sends no new gratuitous ARP. Forget it, so the next drill starts clean.
    spawnSync('ip', ['-n', this.client.namespace, 'neigh', 'flush', 'all']);
  }

  startProbe(address: string, port: number, intervalMs: number, limitMs: number): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.client.namespace, process.execPath, probeScript, address, String(port), String(intervalMs), String(limitMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  }

  destroy(): void {
    this.network.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawnIn(host: LabHost, logName: string, command: string[]): ChildProcess {
    const log = openSync(join(this.dir, logName), 'a');
    const child = spawn('ip', ['netns', 'exec', host.namespace, ...command], { stdio: ['ignore', log, log] });
    closeSync(log);
    return child;
  }
}
