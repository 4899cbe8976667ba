// The seed's own stack for bench/failover: Pacemaker + Corosync (Debian's packages, with
// Debian's corosync.conf but for the nodelist, stonith off) moving the same VIP with
// ocf:heartbeat:IPaddr2 between the same hosts, with the same service running on every
// node all along.
//
// Three Pacemaker nodes on one machine: each node is a network namespace (as in tandem's
// lab; Corosync's knet traffic goes over the lab's bridge, and libqb's abstract unix
// sockets are per network namespace) and, inside it, a private mount namespace (with its
// own UTS name) where a per-node directory under /dev/shm/tandem-pcmk-XXXX/<node>/ is
// bind-mounted over /etc/corosync, /var/lib/corosync, /var/lib/pacemaker,
// /var/log/corosync, /var/log/pacemaker, /run (corosync's lock file, resource agents'
// state) and /dev/shm (libqb's IPC ring buffers). Nothing is written outside that
// directory and the namespaces. The command-line tools (crm_mon, cibadmin, ...) enter a
// node's namespaces with nsenter. Every process of a node lives in its network namespace,
// so a kill reaches all of them and only them; the mount namespaces go away with their
// processes, and the directory is removed at the end.
//
// What a failover takes here: Corosync notices the loss after its token timeout (Debian
// sets none: 3000 ms, plus token_coefficient 650 ms for the third node = 3650 ms), forms
// the new membership after the consensus timeout (1.2 × token = 4380 ms), then Pacemaker
// elects a DC if the DC was lost, runs its scheduler and starts IPaddr2 (about 1 s, with
// gratuitous ARPs). With stonith off, a node cut off stops the VIP only once its own
// scheduler has run for its lost quorum (no-quorum-policy=stop), which can be after the
// majority started it: the bench shows that as the VIP on two nodes.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, chownSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { helloScript, labVip, probeScript } from '../../src/lab/cluster.js';
import type { DrillHosts, Fault } from '../../src/lab/drill.js';
import { LabNetwork, type LabHost } from '../../src/lab/netns.js';
import { waitFor } from '../../src/lab/wait.js';

/** A first start: corosync membership, then Pacemaker's DC election and joins (dc-deadtime is 20 s). */
const startLimitMs = 120_000;
/** A node back after a drill: membership, join, probes, and the cluster at rest. */
const rejoinLimitMs = 90_000;
/** Polls of the cluster tools are costly (a process each): not more often than this. */
const statusPollMs = 500;

/** As Debian ships /etc/corosync/corosync.conf (knet, no crypto, votequorum, default timeouts), with the lab's nodelist. */
function corosyncConfiguration(hosts: LabHost[]): string {
  const nodes = hosts
    .map((host, index) => `\tnode {\n\t\tname: ${host.name}\n\t\tnodeid: ${index + 1}\n\t\tring0_addr: ${host.address}\n\t}\n`)
    .join('');
  return `totem {
\tversion: 2
\tcluster_name: debian
\tcrypto_cipher: none
\tcrypto_hash: none
}

logging {
\tfileline: off
\tto_stderr: yes
\tto_logfile: yes
\tlogfile: /var/log/corosync/corosync.log
\tto_syslog: yes
\tdebug: off
\tlogger_subsys {
\t\tsubsys: QUORUM
\t\tdebug: off
\t}
}

quorum {
\tprovider: corosync_votequorum
}

nodelist {
${nodes}}
`;
}

/**
 * The cluster's configuration, as the seed writes it for its API VIP (crm syntax there):
 * stonith off, IPaddr2 with a 30 s monitor (the seed's p_api-ip, and examples/lab/vip.crm
 * for tandem), and a resource stickiness so that a node that comes back takes nothing back.
 */
const properties = `<cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/></cluster_property_set>`;
const rscDefaults = `<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>`;
const vipResource = `<primitive id="p_api-ip" class="ocf" provider="heartbeat" type="IPaddr2">
  <instance_attributes id="p_api-ip-params">
    <nvpair id="p_api-ip-ip" name="ip" value="${labVip}"/>
    <nvpair id="p_api-ip-cidr_netmask" name="cidr_netmask" value="24"/>
    <nvpair id="p_api-ip-nic" name="nic" value="eth0"/>
  </instance_attributes>
  <operations><op id="p_api-ip-monitor-30s" name="monitor" interval="30s"/></operations>
</primitive>`;

/** The script each node boots with, inside `ip netns exec NODE unshare --mount --uts`: its own state, then corosync, then pacemakerd. */
const nodeScript = `set -e
dir=$1
mount --bind "$dir/etc-corosync" /etc/corosync
mount --bind "$dir/lib-corosync" /var/lib/corosync
mount --bind "$dir/lib-pacemaker" /var/lib/pacemaker
mount --bind "$dir/log-corosync" /var/log/corosync
mount --bind "$dir/log-pacemaker" /var/log/pacemaker
mount --bind "$dir/run" /run
# Last: the sources above are under /dev/shm.
mount --bind "$dir/shm" /dev/shm
hostname "$2"
corosync -f &
tries=0
until corosync-cfgtool -s >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ $tries -gt 300 ]; then echo "corosync did not start" >&2; exit 1; fi
  sleep 0.1
done
exec pacemakerd
`;

export class PacemakerLab implements DrillHosts {
  readonly network: LabNetwork;
  readonly hosts: LabHost[] = [];
  readonly client: LabHost;
  readonly dir = mkdtempSync('/dev/shm/tandem-pcmk-');
  /** The first process of each node running: in the node's network, mount and UTS namespaces. */
  private readonly roots = new Map<string, number>();
  private readonly off = new Set<string>();
  private readonly hacluster: { uid: number; gid: number };

  constructor(nodes: number, private readonly servicePort: number) {
    this.hacluster = { uid: idOf('-u'), gid: idOf('-g') };
    this.network = new LabNetwork(`pcmk${process.pid % 100_000}`);
    for (let index = 1; index <= nodes; index++) this.hosts.push(this.network.addHost(`node${index}`, 10 + index));
    this.client = this.network.addHost('client', 100);
  }

  async start(): Promise<void> {
    for (const host of this.hosts) {
      this.prepare(host);
      this.boot(host);
    }
    const first = this.hosts[0]!;
    await this.waitForStatus('the Pacemaker cluster to form (all nodes online, a DC)', first, (status) => status.online.length === this.hosts.length && status.dc, startLimitMs);
    this.tool(first, 'cibadmin', '--modify', '--scope', 'crm_config', '--xml-text', properties);
    this.tool(first, 'cibadmin', '--create', '--scope', 'configuration', '--xml-text', rscDefaults);
    this.tool(first, 'cibadmin', '--create', '--scope', 'resources', '--xml-text', vipResource);
    await waitFor('Pacemaker to start the VIP', () => this.holdersOf(labVip).length === 1, startLimitMs);
    await this.settle(first);
  }

  /** Corosync's token timeout as it runs (token + token_coefficient per node beyond two) and its consensus timeout, in ms. */
  timeouts(): { token: number; consensus: number } {
    const host = this.hosts.find((candidate) => !this.off.has(candidate.name))!;
    const read = (key: string) => Number(/=\s*(\d+)/.exec(this.tool(host, 'corosync-cmapctl', '-g', key))?.[1]);
    return { token: read('runtime.config.totem.token'), consensus: read('runtime.config.totem.consensus') };
  }

  holdersOf(address: string): string[] {
    return this.hosts.filter((host) => !this.off.has(host.name) && this.network.addresses(host).includes(address)).map((host) => host.name);
  }

  strike(name: string, fault: Fault): void {
    const host = this.host(name);
    if (fault === 'kill') {
      this.network.powerOff(host);
      this.off.add(name);
      this.roots.delete(name);
      this.killLeftovers(host);
    } else {
      this.network.cut(host);
    }
  }

  /** Back after a strike (rebooted after a power-off, reconnected after a cut), and the cluster at rest with it as a member. */
  async restore(name: string): Promise<void> {
    const host = this.host(name);
    if (this.off.delete(name)) {
      this.network.reboot(host);
      this.reboot(host);
      this.boot(host);
    } else {
      this.network.reconnect(host);
    }
    const other = this.hosts.find((candidate) => candidate.name !== name)!;
    const everyone = (status: Status) => status.online.length === this.hosts.length && status.dc;
    await this.waitForStatus(`${name} to rejoin`, host, everyone, rejoinLimitMs);
    await this.waitForStatus(`${name} to rejoin (seen from ${other.name})`, other, everyone, rejoinLimitMs);
    await this.settle(other);
    await waitFor('one VIP holder again', () => this.holdersOf(labVip).length === 1, rejoinLimitMs);
    // As for keepalived: the client forgets which node answered for the VIP before.
    spawnSync('ip', ['-n', this.client.namespace, 'neigh', 'flush', 'all']);
  }

  startProbe(address: string, port: number, intervalMs: number, limitMs: number): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.client.namespace, process.execPath, probeScript, address, String(port), String(intervalMs), String(limitMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  }

  /**
   * Removes everything: processes, namespaces (the mounts went with the mount namespaces'
   * last processes) and files. With `keepLogs`, the logs and the CIBs stay in `dir` for a
   * look (not /run and /dev/shm: corosync's blackbox alone is 8 MB a node).
   */
  destroy(keepLogs = false): void {
    try {
      for (const host of this.hosts) this.killLeftovers(host);
    } finally {
      this.network.destroy();
      if (keepLogs) {
        for (const host of this.hosts) for (const sub of ['run', 'shm']) rmSync(join(this.nodeDir(host), sub), { recursive: true, force: true });
      } else {
        rmSync(this.dir, { recursive: true, force: true });
      }
    }
  }

  /** Runs a cluster tool on a node (in its namespaces), returns its output; throws on failure. */
  tool(host: LabHost, ...command: string[]): string {
    const result = this.run(host, command);
    if (result.status !== 0) throw new Error(`${host.name}: ${command.join(' ')}: ${(result.stderr || result.stdout).trim()}`);
    return result.stdout;
  }

  private run(host: LabHost, command: string[], timeoutMs = 20_000) {
    const root = this.roots.get(host.name);
    if (root === undefined) throw new Error(`${host.name} is not running`);
    return spawnSync('nsenter', ['--target', String(root), '--net', '--mount', '--uts', '--', ...command], { encoding: 'utf8', timeout: timeoutMs });
  }

  /**
   * pacemakerd restarts a child that dies: one started between the listing of a node's
   * processes and pacemakerd's own death would outlive the kill (and the namespace). Kill
   * until the node's network namespace holds no process.
   */
  private killLeftovers(host: LabHost): void {
    for (let round = 0; round < 50; round++) {
      const pids = this.network.pids(host);
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      spawnSync('sleep', ['0.02']);
    }
    throw new Error(`${host.name}: processes left in ${host.namespace} after 50 rounds of kill -9`);
  }

  private host(name: string): LabHost {
    return this.hosts.find((candidate) => candidate.name === name)!;
  }

  private nodeDir(host: LabHost): string {
    return join(this.dir, host.name);
  }

  /** A node's disk: Corosync's configuration and the empty state directories as the packages leave them. */
  private prepare(host: LabHost): void {
    const dir = this.nodeDir(host);
    const { uid, gid } = this.hacluster;
    mkdirSync(join(dir, 'etc-corosync', 'uidgid.d'), { recursive: true });
    writeFileSync(join(dir, 'etc-corosync', 'corosync.conf'), corosyncConfiguration(this.hosts));
    mkdirSync(join(dir, 'lib-corosync'), { recursive: true });
    for (const sub of ['cib', 'pengine', 'blackbox', 'cores']) {
      const path = join(dir, 'lib-pacemaker', sub);
      mkdirSync(path, { recursive: true, mode: 0o750 });
      chownSync(path, uid, gid);
    }
    mkdirSync(join(dir, 'log-corosync'), { recursive: true });
    mkdirSync(join(dir, 'log-pacemaker', 'bundles'), { recursive: true, mode: 0o770 });
    chownSync(join(dir, 'log-pacemaker'), uid, gid);
    chownSync(join(dir, 'log-pacemaker', 'bundles'), uid, gid);
    this.reboot(host);
  }

  /** What a reboot clears (tmpfs): /run and /dev/shm start empty. */
  private reboot(host: LabHost): void {
    const dir = this.nodeDir(host);
    for (const sub of ['run', 'shm']) rmSync(join(dir, sub), { recursive: true, force: true });
    mkdirSync(join(dir, 'run', 'lock'), { recursive: true });
    mkdirSync(join(dir, 'run', 'resource-agents'), { recursive: true });
    mkdirSync(join(dir, 'shm'), { recursive: true });
    // mkdir's mode is masked by the umask; /dev/shm is world-writable and sticky.
    spawnSync('chmod', ['1777', join(dir, 'shm'), join(dir, 'run', 'lock')]);
  }

  /** Starts the service and the node's corosync and pacemakerd. */
  private boot(host: LabHost): void {
    this.spawnIn(host, `${host.name}-hello.log`, [process.execPath, helloScript, String(this.servicePort), host.name]);
    const node = this.spawnIn(host, `${host.name}-node.log`, ['unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', nodeScript, 'node', this.nodeDir(host), host.name]);
    this.roots.set(host.name, node.pid!);
  }

  private spawnIn(host: LabHost, logName: string, command: string[]): ChildProcess {
    const log = openSync(join(this.dir, logName), 'a');
    const child = spawn('ip', ['netns', 'exec', host.namespace, ...command], { stdio: ['ignore', log, log] });
    closeSync(log);
    return child;
  }

  /** crm_mon's view from a node: its online nodes, and whether there is a DC; undefined while it cannot tell. */
  status(host: LabHost): Status | undefined {
    if (!this.roots.has(host.name)) return undefined;
    const result = this.run(host, ['crm_mon', '--one-shot', '--output-as=xml']);
    if (result.status !== 0) return undefined;
    const online = [...result.stdout.matchAll(/<node name="([^"]+)"[^>]*\bonline="true"/g)].map((match) => match[1]!);
    return { online, dc: /<current_dc [^>]*present="true"/.test(result.stdout) };
  }

  private async waitForStatus(what: string, host: LabHost, condition: (status: Status) => boolean, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      const status = this.status(host);
      if (status && condition(status)) return;
      await new Promise((resolve) => setTimeout(resolve, statusPollMs));
    }
    throw new Error(`timed out after ${limitMs} ms waiting for ${what} (logs in ${this.dir})`);
  }

  /** Waits until the cluster has nothing left to do (crm_resource --wait). */
  private async settle(host: LabHost): Promise<void> {
    const result = this.run(host, ['crm_resource', '--wait', '--timeout', '60s'], 70_000);
    if (result.status !== 0) throw new Error(`the cluster did not settle: ${(result.stderr || result.stdout).trim()}`);
  }
}

interface Status {
  online: string[];
  dc: boolean;
}

function idOf(flag: '-u' | '-g'): number {
  const result = spawnSync('id', [flag, 'hacluster'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error('the hacluster user is missing: apt-get install pacemaker corosync');
  return Number(result.stdout.trim());
}
