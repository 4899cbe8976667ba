// Virtual IPs on a single node for real, inside network namespaces: a `tandem node` runs in
// the "node" host and a "peer" host shares its switch. The real ocf:heartbeat:IPaddr2 from
// resource-agents puts its address on eth0, where the peer reaches it; removed behind
// tandem's back it is recovered, and `resource stop` removes it. Both IPaddr2 and the
// built-in tandem:vip announce the address with gratuitous ARP: a peer holding a stale
// neighbour entry with a wrong MAC learns the node's MAC without sending anything itself.
//
// Peers keep the default arp_accept=0. That is enough: Linux (arp_process in
// net/ipv4/arp.c) only creates entries from unsolicited ARP with arp_accept, but updates an
// entry it already has from any ARP whose sender is that address, overriding the old MAC
// once the entry is older than locktime (1 s by default) or at once for a gratuitous one
// (since Linux 4.12, commit 7d472a59c0e5 "arp: always override existing neigh entries with
// gratuitous ARP"). Adding an address sends nothing by itself: without the announcement
// the planted entry stays wrong.
// A peer that talked to the previous holder has exactly such an entry, which is the case
// that matters in a failover; the test plants it.
//
// Needs root and `ip netns` (CI runs it as root): without them it fails, saying so.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { helloScript, probeScript } from '../../src/lab/cluster.js';
import { canMakeNamespaces, LabNetwork, type LabHost } from '../../src/lab/netns.js';
import { TestNode, waitFor, type Report } from '../support/daemon.js';

const ocfVip = '10.213.0.70';
const builtinVip = '10.213.0.71';
const servicePort = 8080;
const wrongMac = '02:00:00:00:00:01';
/** Longer than the neighbour table's default locktime (1 s), so any ARP could override the planted entry. */
const locktimeWaitMs = 1_100;
/** The daemon does the work; the limit only keeps a broken run from hanging. */
const settleLimitMs = 15_000;

let network: LabNetwork | undefined;
let nodeHost: LabHost;
let peer: LabHost;
let node: TestNode | undefined;
let service: ChildProcess | undefined;

function ip(args: string[]): string {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `ip ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function macOf(host: LabHost): string {
  const [link] = JSON.parse(ip(['-n', host.namespace, '-j', 'link', 'show', 'dev', host.nic])) as Array<{ address: string }>;
  return link!.address;
}

/** The MAC the peer's neighbour table holds for `address`, if any. */
function peerNeighbourMac(address: string): string | undefined {
  const entries = JSON.parse(ip(['-n', peer.namespace, '-j', 'neigh', 'show', address, 'dev', peer.nic])) as Array<{ lladdr?: string }>;
  return entries[0]?.lladdr;
}

/** As a peer that last talked to another holder: a stale entry for `address` with someone else's MAC. */
async function plantStaleNeighbour(address: string): Promise<void> {
  ip(['-n', peer.namespace, 'neigh', 'replace', address, 'lladdr', wrongMac, 'dev', peer.nic, 'nud', 'stale']);
  assert.equal(peerNeighbourMac(address), wrongMac);
  await new Promise((resolve) => setTimeout(resolve, locktimeWaitMs));
}

/** One HTTP request from the peer to `address`: the name of the host that answered, or undefined. */
function askFromPeer(address: string): string | undefined {
  // One attempt: the probe's time limit (100 ms) has passed when its interval (200 ms) ends.
  const probe = spawnSync('ip', ['netns', 'exec', peer.namespace, process.execPath, probeScript, address, String(servicePort), '200', '100'], { encoding: 'utf8', timeout: 10_000 });
  const [line] = probe.stdout.split('\n');
  assert.ok(line, `the probe from the peer reported nothing: ${probe.stderr || probe.error?.message}`);
  const result = JSON.parse(line) as { ok: boolean; answer?: string };
  return result.ok ? result.answer : undefined;
}

const primitive = (report: Report | undefined, id: string) => report?.view.resources.find((resource) => resource.id === id);
const isStarted = (id: string) => {
  const view = primitive(node!.status(), id);
  return view?.role === 'Started' && view.nodes?.join() === 'node1';
};
const isStopped = (id: string) => primitive(node!.status(), id)?.role === 'Stopped';
const failCount = (id: string) => node!.status()?.failCounts.find((entry) => entry.resource === id)?.count ?? 0;
const settled = () => node!.status()?.pending.length === 0;
const holds = (address: string) => network!.addresses(nodeHost).includes(address);

before(async () => {
  assert.ok(canMakeNamespaces(), 'this test moves addresses between network namespaces: run it as root on Linux with iproute2 (`ip netns`)');
  network = new LabNetwork(`a${process.pid % 100_000}`);
  nodeHost = network.addHost('node', 61);
  peer = network.addHost('peer', 62);
  node = new TestNode(['ip', 'netns', 'exec', nodeHost.namespace]);
  node.start('node.log');
  // The service behind the VIPs listens on every address, so it answers on a VIP exactly while the node holds it.
  service = spawn('ip', ['netns', 'exec', nodeHost.namespace, process.execPath, helloScript, String(servicePort), 'node'], { stdio: 'ignore' });
  await waitFor('the control socket', () => node!.status() !== undefined);
});

after(async () => {
  if (service?.exitCode === null && service.signalCode === null) {
    const exited = new Promise((resolve) => service!.once('exit', resolve));
    service.kill('SIGTERM');
    await exited;
  }
  try {
    await node?.close();
  } finally {
    network?.destroy();
  }
});

test('ocf:heartbeat:IPaddr2 puts its address on eth0, announces it by gratuitous ARP, and the peer reaches the node there', async () => {
  await plantStaleNeighbour(ocfVip);
  const file = join(node!.dir, 'vips.crm');
  writeFileSync(file, [
    `primitive vip1 ocf:heartbeat:IPaddr2 params ip=${ocfVip} cidr_netmask=24 nic=eth0 op monitor interval=2s`,
    `primitive vip2 tandem:vip params ip=${builtinVip} cidr_netmask=24 nic=eth0 meta target-role=Stopped`,
    'property stonith-enabled=false',
    '',
  ].join('\n'));
  const loaded = node!.tandem('configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('vip1 to start', () => isStarted('vip1') && settled(), settleLimitMs, () => node!.status());
  assert.ok(holds(ocfVip), `eth0 of the node holds ${network!.addresses(nodeHost).join(', ')}`);
  assert.equal(holds(builtinVip), false, 'vip2 is not started');

  // Before the peer sends anything to the address: only the announcement can have corrected its entry.
  const nodeMac = macOf(nodeHost);
  await waitFor(`the peer to learn ${ocfVip} is at ${nodeMac}`, () => peerNeighbourMac(ocfVip) === nodeMac, settleLimitMs, () => peerNeighbourMac(ocfVip));

  assert.equal(askFromPeer(ocfVip), 'node');
  const text = node!.tandem('status');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /\* vip1\t\(ocf:heartbeat:IPaddr2\):\t Started node1\n/);
});

test('IPaddr2: an address removed behind tandem\'s back is seen by the monitor and put back', async () => {
  ip(['-n', nodeHost.namespace, 'addr', 'del', `${ocfVip}/24`, 'dev', nodeHost.nic]);
  await waitFor('vip1 to be recovered', () => failCount('vip1') === 1 && holds(ocfVip) && isStarted('vip1') && settled(), settleLimitMs, () => node!.status());
  assert.ok(node!.status()!.failedActions.some((action) => action.resource === 'vip1' && action.operation === 'monitor' && action.rc === 7));
  assert.deepEqual(node!.operations('node.log', 'stop').filter((entry) => entry.startsWith('vip1=')), ['vip1=0']);
  assert.equal(askFromPeer(ocfVip), 'node');
});

test('IPaddr2: resource stop removes the address', async () => {
  const stopped = node!.tandem('resource', 'stop', 'vip1');
  assert.equal(stopped.status, 0, stopped.stderr);
  await waitFor('vip1 to stop', () => isStopped('vip1') && settled(), settleLimitMs, () => node!.status());
  assert.equal(holds(ocfVip), false);
  assert.equal(askFromPeer(ocfVip), undefined);
});

test('tandem:vip announces its address by gratuitous ARP: the peer learns the node\'s MAC without asking', async () => {
  await plantStaleNeighbour(builtinVip);
  const started = node!.tandem('resource', 'start', 'vip2');
  assert.equal(started.status, 0, started.stderr);
  await waitFor('vip2 to start', () => isStarted('vip2') && settled(), settleLimitMs, () => node!.status());
  assert.ok(holds(builtinVip));
  const nodeMac = macOf(nodeHost);
  await waitFor(`the peer to learn ${builtinVip} is at ${nodeMac}`, () => peerNeighbourMac(builtinVip) === nodeMac, settleLimitMs, () => peerNeighbourMac(builtinVip));
  assert.equal(askFromPeer(builtinVip), 'node');
});
