// A cluster's life as an operator runs it, on three hosts in network namespaces with only
// tandem started by hand: `cluster init` on the first (tandem runs its etcd member),
// `cluster join` on the others (their etcd members added, caught up, promoted), a killed
// etcd member restarted by its node, `cluster start` after a stop, `cluster leave` (the
// resource moves away, the node and its etcd member are gone, its data directory is free).

import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { credentialFiles, makeCredentials } from '../../src/cluster/credentials.js';
import { LabNetwork, type LabHost } from '../../src/lab/netns.js';
import { waitFor } from '../../src/lab/wait.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const limitMs = 40_000;

interface Host extends LabHost {
  dataDir: string;
  process?: ChildProcess;
}

let network: LabNetwork;
let dir: string;
let credentials: string;
const hosts: Host[] = [];

function tandem(host: Host, ...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args, '--data-dir', host.dataDir], { encoding: 'utf8' });
}

/** Runs `tandem cluster ...` in the host, as its one long-lived process. */
function run(host: Host, ...args: string[]): void {
  const agentDir = join(host.dataDir, 'agents');
  mkdirSync(agentDir, { recursive: true });
  const log = openSync(join(dir, `${host.name}.log`), 'a');
  host.process = spawn('ip', ['netns', 'exec', host.namespace, 'env', `HA_RSCTMP=${agentDir}`, `HA_VARRUN=${agentDir}`, process.execPath, cli, 'cluster', ...args, '--data-dir', host.dataDir], { stdio: ['ignore', log, log] });
  closeSync(log);
}

function memberArgs(host: Host): string[] {
  return ['--name', host.name, '--address', host.address, '--credentials', credentials];
}

interface Status {
  pending: string[];
  view: { resources: Array<{ id?: string; nodes?: string[] }> };
  cluster: { dc?: string; members?: Array<{ name: string }> };
}

function status(host: Host): Status | undefined {
  const result = tandem(host, 'status', '--json');
  if (result.status !== 0) return undefined;
  try {
    return JSON.parse(result.stdout) as Status;
  } catch {
    return undefined;
  }
}

const members = (host: Host) => (status(host)?.cluster.members ?? []).map((member) => member.name).sort();

function etcdMembers(host: Host): Array<{ name: string; isLearner?: boolean }> {
  const { caCert, cert, key } = credentialFiles(credentials);
  const result = spawnSync('ip', ['netns', 'exec', host.namespace, 'etcdctl', '--endpoints=https://127.0.0.1:2379', '--command-timeout=2s', `--cacert=${caCert}`, `--cert=${cert}`, `--key=${key}`, '-w', 'json', 'member', 'list'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  if (result.status !== 0) return [];
  return (JSON.parse(result.stdout) as { members: Array<{ name: string; isLearner?: boolean }> }).members;
}

/** The etcd process in the host's namespace (tandem's child). */
function etcdPid(host: Host): number | undefined {
  const pids = spawnSync('ip', ['netns', 'pids', host.namespace], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'etcd';
    } catch {
      return false;
    }
  });
}

function whereDummyRuns(host: Host): string[] {
  const current = status(host);
  if (!current || current.pending.length > 0) return [];
  return current.view.resources.find((resource) => resource.id === 'p_dummy')?.nodes ?? [];
}

function exited(child: ChildProcess | undefined, limit: number): Promise<number | null> {
  if (!child) return Promise.resolve(null);
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), limit);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

before(async () => {
  dir = mkdtempSync('/dev/shm/tandem-lifecycle-');
  network = new LabNetwork(`lc${process.pid % 10_000}`);
  for (let index = 1; index <= 3; index++) {
    const host = network.addHost(`node${index}`, 20 + index);
    hosts.push({ ...host, dataDir: join(dir, host.name) });
  }
  credentials = join(dir, 'credentials');
  makeCredentials(credentials, hosts.map((host) => host.address));
});

after(async () => {
  for (const host of hosts) {
    host.process?.kill('SIGTERM');
    if ((await exited(host.process, 15_000)) === null) host.process?.kill('SIGKILL');
  }
  network?.destroy();
  if (process.env.TANDEM_KEEP_TEST_DIR === undefined) rmSync(dir, { recursive: true, force: true });
});

test('init the first node, join two more: one cluster of three, in tandem and in etcd', async () => {
  const [first, second, third] = hosts as [Host, Host, Host];
  // The first node takes its name, address, cluster name and lease from a corosync.conf.
  const corosyncConf = join(dir, 'corosync.conf');
  const nodelist = hosts.map((host, index) => `  node {\n    ring0_addr: ${host.address}\n    name: ${host.name}\n    nodeid: ${index + 1}\n  }`).join('\n');
  writeFileSync(corosyncConf, `totem {\n  version: 2\n  cluster_name: life\n  token: 2000\n}\nnodelist {\n${nodelist}\n}\n`);
  run(first, 'init', '--credentials', credentials, '--from-corosync', corosyncConf);
  await waitFor('node1 to form the cluster', () => members(first).join() === 'node1', limitMs);
  // While node1 runs, its data directory is its own: a second tandem there is refused.
  const again = tandem(first, 'cluster', 'init', ...memberArgs(first));
  assert.equal(again.status, 1);
  assert.match(again.stderr, /node1 is in use by another tandem process \(pid \d+, lock .*tandem\.lock\): stop it first/);
  assert.doesNotMatch(again.stderr, /\n\s+at /, 'no stack trace');

  const settings = JSON.parse(readFileSync(join(first.dataDir, 'cluster.json'), 'utf8')) as { clusterName: string; nodeName: string; addresses: string[]; leaseTtlMs: number };
  assert.deepEqual([settings.clusterName, settings.nodeName, settings.addresses, settings.leaseTtlMs], ['life', 'node1', [first.address], 2_000]);

  // The others learn the cluster's name and lease from it.
  run(second, 'join', ...memberArgs(second), '--peer', first.address);
  await waitFor('node2 to join', () => members(first).join() === 'node1,node2', limitMs);
  run(third, 'join', ...memberArgs(third), '--peer', second.address);
  await waitFor('node3 to join', () => members(first).join() === 'node1,node2,node3', limitMs);
  const etcd = etcdMembers(third);
  assert.deepEqual(etcd.map((member) => member.name).sort(), ['node1', 'node2', 'node3']);
  assert.ok(etcd.every((member) => !member.isLearner), 'every joined member was promoted');
  assert.match(readFileSync(join(third.dataDir, 'cluster.json'), 'utf8'), /"clusterName": "life"/);

  const file = join(dir, 'dummy.crm');
  writeFileSync(file, 'primitive p_dummy ocf:heartbeat:Dummy op monitor interval=2s\nproperty stonith-enabled=false\nrsc_defaults resource-stickiness=100\n');
  const loaded = tandem(third, 'configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('p_dummy to run', () => whereDummyRuns(first).length === 1, limitMs);
});

test('a killed etcd member is started again by its node', async () => {
  const host = hosts[1]!;
  const before = etcdPid(host);
  assert.ok(before, 'tandem runs an etcd member in node2');
  process.kill(before, 'SIGKILL');
  await waitFor('a new etcd member in node2', () => {
    const now = etcdPid(host);
    return now !== undefined && now !== before;
  }, limitMs);
  await waitFor('node2 to be a member again', () => members(hosts[0]!).includes('node2') && etcdMembers(host).length === 3, limitMs);
  assert.equal(host.process!.exitCode, null, 'the node itself lived on');
});

test('a stopped node starts again as the same member with cluster start', async () => {
  const host = hosts[2]!;
  host.process!.kill('SIGTERM');
  assert.equal(await exited(host.process, limitMs), 0);
  assert.equal(etcdPid(host), undefined, 'its etcd member stopped with it');
  await waitFor('node3 to be out', () => !members(hosts[0]!).includes('node3'), limitMs);
  // Stopped, it is still a member: init again is refused, start is the way back.
  const again = tandem(host, 'cluster', 'init', ...memberArgs(host));
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds node3, a member of cluster life: run tandem cluster start/);
  assert.doesNotMatch(again.stderr, /\n\s+at /, 'no stack trace');
  run(host, 'start');
  await waitFor('node3 to be back', () => members(hosts[0]!).includes('node3'), limitMs);
  assert.equal(etcdMembers(hosts[0]!).length, 3);
});

test('cluster leave: the resource moves away, the node and its etcd member are gone', async () => {
  const holderName = whereDummyRuns(hosts[0]!)[0];
  assert.ok(holderName);
  const holder = hosts.find((host) => host.name === holderName)!;
  const observer = hosts.find((host) => host !== holder)!;
  const left = tandem(holder, 'cluster', 'leave');
  assert.equal(left.status, 0, left.stderr);
  assert.match(left.stdout, new RegExp(`${holder.name} left cluster life`));
  assert.equal(await exited(holder.process, limitMs), 0);
  await waitFor('p_dummy to run elsewhere', () => {
    const where = whereDummyRuns(observer);
    return where.length === 1 && where[0] !== holder.name;
  }, limitMs);
  assert.ok(!members(observer).includes(holder.name));
  assert.deepEqual(etcdMembers(observer).map((member) => member.name).sort(), hosts.filter((host) => host !== holder).map((host) => host.name).sort());
  assert.ok(!existsSync(join(holder.dataDir, 'cluster.json')) && !existsSync(join(holder.dataDir, 'etcd')), 'its data directory holds no member');
  const shown = tandem(observer, 'configure', 'show');
  assert.doesNotMatch(shown.stdout, new RegExp(`node ${holder.name}\\b`), 'the node is forgotten in the configuration');
});
