// Hosts on one machine for the lab and the tests: network namespaces joined by veth pairs
// to a bridge that lives in its own "switch" namespace, so nothing is configured in the
// root namespace. Only addresses inside 10.213.0.0/24 are used. Everything made here is
// named with a per-lab suffix and deleted by `destroy`.

import { spawnSync } from 'node:child_process';

export const labSubnet = '10.213.0';

export interface LabHost {
  name: string;
  namespace: string;
  address: string;
  /** The host's interface inside its namespace. */
  nic: string;
  /** Its port on the switch. */
  switchPort: string;
}

function ip(args: string[]): string {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`ip ${args.join(' ')}: ${result.error.message} (is iproute2 installed?)`);
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function canMakeNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).status === 0;
}

export class LabNetwork {
  readonly switchNamespace: string;
  private readonly hosts: LabHost[] = [];

  constructor(readonly suffix: string) {
    this.switchNamespace = `tsw-${suffix}`;
    ip(['netns', 'add', this.switchNamespace]);
    ip(['-n', this.switchNamespace, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', this.switchNamespace, 'link', 'set', 'br0', 'up']);
    ip(['-n', this.switchNamespace, 'link', 'set', 'lo', 'up']);
  }

  /** A host with one interface (eth0) on the switch, at 10.213.0.<lastOctet>/24. */
  addHost(name: string, lastOctet: number): LabHost {
    const namespace = `t${name}-${this.suffix}`;
    const port = `p${this.hosts.length}`;
    ip(['netns', 'add', namespace]);
    ip(['-n', this.switchNamespace, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
    ip(['-n', this.switchNamespace, 'link', 'set', port, 'master', 'br0', 'up']);
    const host: LabHost = { name, namespace, address: `${labSubnet}.${lastOctet}`, nic: 'eth0', switchPort: port };
    this.configure(host);
    this.hosts.push(host);
    return host;
  }

  /**
   * Cuts the host off at the switch: its port leaves the bridge, so its processes live on
   * and its link stays up with carrier (as when a switch or an uplink fails further
   * away), but nothing reaches it.
   */
  cut(host: LabHost): void {
    ip(['-n', this.switchNamespace, 'link', 'set', host.switchPort, 'nomaster']);
  }

  /** As a power cut: the link goes down and every process in the host dies at once. */
  powerOff(host: LabHost): void {
    ip(['-n', host.namespace, 'link', 'set', host.nic, 'down']);
    killAll(this.pids(host));
  }

  /** Undoes a cut: the port joins the bridge again. */
  reconnect(host: LabHost): void {
    ip(['-n', this.switchNamespace, 'link', 'set', host.switchPort, 'master', 'br0']);
  }

  /** As after a reboot: the link comes back with only the host's own address. */
  reboot(host: LabHost): void {
    ip(['-n', host.namespace, 'addr', 'flush', 'dev', host.nic]);
    this.configure(host);
  }

  /** Every address configured on the host's interface. */
  addresses(host: LabHost): string[] {
    return ip(['-n', host.namespace, '-o', '-4', 'addr', 'show', 'dev', host.nic])
      .split('\n')
      .map((line) => /inet (\d+\.\d+\.\d+\.\d+)/.exec(line)?.[1])
      .filter((address): address is string => address !== undefined);
  }

  /** Process ids running in the host's namespace. */
  pids(host: LabHost): number[] {
    return ip(['netns', 'pids', host.namespace])
      .split('\n')
      .filter(Boolean)
      .map(Number);
  }

  destroy(): void {
    for (const host of this.hosts.splice(0)) {
      killAll(this.pids(host));
      spawnSync('ip', ['netns', 'delete', host.namespace]);
    }
    spawnSync('ip', ['netns', 'delete', this.switchNamespace]);
  }

  private configure(host: LabHost): void {
    ip(['-n', host.namespace, 'link', 'set', 'lo', 'up']);
    ip(['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', host.nic]);
    ip(['-n', host.namespace, 'link', 'set', host.nic, 'up']);
  }
}
