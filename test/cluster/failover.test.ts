// Three tandem nodes on etcd, each in its own network namespace (made by tandem cluster
// init and join, brought back by cluster start), and a client host: the guide's API VIP
// with a service behind it fails over for real. Power off the active node: the VIP
// answers from another. Cut the active node off: it stops the VIP on its own before
// anyone else starts it (an observer never sees two holders). Bring nodes back: no
// flapping. Kill the DC: a new one takes over and restarts nothing.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LabCluster, labVip, type LabNode } from '../../src/lab/cluster.js';
import { failoverDrill } from '../../src/lab/drill.js';
import { labConfiguration, labServicePort, serviceHolder, serviceRunning } from '../../src/lab/main.js';

let lab: LabCluster;
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** How often each node started a resource, from the daemons' own logs. */
function starts(resource: string): number {
  let count = 0;
  for (const node of lab.nodes) {
    for (const line of readFileSync(join(lab.dir, `${node.name}.log`), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as { msg: string; operation?: string; resource?: string };
      if (entry.msg === 'operation finished' && entry.operation === 'start' && entry.resource === resource) count += 1;
    }
  }
  return count;
}

/** The service runs, on a node other than `node`. */
function isHeldElsewhere(node: LabNode): boolean {
  const holder = serviceHolder(lab);
  return holder !== undefined && holder !== node.name;
}

function byName(name: string): LabNode {
  return lab.nodes.find((node) => node.name === name)!;
}

/** Watches where the VIP is for `durationMs`; returns every distinct holder list seen. */
async function watchHolders(durationMs: number): Promise<string[]> {
  const seen = new Set<string>();
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline) {
    seen.add(lab.holdersOf(labVip).join(','));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [...seen];
}

before(async () => {
  lab = new LabCluster({ nodes: 3 });
  await lab.start();
  const file = join(lab.dir, 'api.crm');
  writeFileSync(file, labConfiguration());
  const loaded = lab.tandem(lab.nodes[0]!, 'configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await lab.waitFor('the API group to start', () => serviceRunning(lab));
});

after(async () => {
  await lab?.destroy(process.env.TANDEM_KEEP_TEST_DIR !== undefined);
});

test('without the cluster\'s credentials nothing can be read, and a node cannot join', async () => {
  const node = lab.nodes[0]!;
  const refused = lab.etcdctl(node, ['get', '--prefix', 'tandem/', '--keys-only'], false);
  assert.notEqual(refused.status, 0);
  // A client without the cluster's certificate never gets through the TLS handshake.
  assert.match(refused.stderr, /certificate|tls|handshake|deadline/i);
  assert.doesNotMatch(refused.stdout, /tandem\//);
  const allowed = lab.etcdctl(node, ['get', '--prefix', 'tandem/', '--keys-only']);
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.match(allowed.stdout, /tandem\/tandem\/members\/node1/);
  // Membership as corosync-cfgtool and crm_mon show it: the DC, each member's address and lease.
  const status = lab.tandem(node, 'status');
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /Current DC: node\d/);
  for (const member of lab.nodes) assert.match(status.stdout, new RegExp(`${member.name} \\(${member.address.replace(/\./g, '\\.')}, lease (\\d|under 1) s left, member for \\d+ s\\)`));

  // A tandem node on the client host, with the cluster's addresses but not its credentials.
  const intruder = spawn('ip', ['netns', 'exec', lab.client.namespace, process.execPath, cli, 'node', '--data-dir', join(lab.dir, 'intruder'), '--name', 'intruder', '--etcd', lab.etcdEndpoints[0]!], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(intruder.exitCode, null, 'the intruder keeps trying, as a node waiting for its cluster does');
    assert.ok(!lab.members().includes('intruder'));
  } finally {
    intruder.kill('SIGKILL');
  }
});

test('the lab\'s nodes were made as an operator makes them: cluster init on node1, cluster join through it on the others', () => {
  const settings = lab.nodes.map((node) => JSON.parse(readFileSync(join(node.dataDir, 'cluster.json'), 'utf8')) as { nodeName: string; clusterName: string; etcd: { initialState: string; timing: unknown } });
  assert.deepEqual(settings.map((entry) => [entry.nodeName, entry.clusterName, entry.etcd.initialState]), [['node1', 'tandem', 'new'], ['node2', 'tandem', 'existing'], ['node3', 'tandem', 'existing']]);
  // etcd's timing, chosen on init from the (default, 1 s) lease, taken from the cluster by every node that joined.
  for (const entry of settings) assert.deepEqual(entry.etcd.timing, { heartbeatMs: 25, electionMs: 250 });
  const etcd = lab.etcdMembers(lab.nodes[2]!);
  assert.deepEqual(etcd.map((member) => member.name).sort(), ['node1', 'node2', 'node3']);
  assert.ok(etcd.every((member) => !member.isLearner), 'every joined member was promoted');
  for (const node of lab.nodes) assert.ok(lab.etcdPid(node), `${node.name}'s etcd member runs as its tandem's child`);
});

test('power off the node holding the VIP: it answers from another node, never from two', async () => {
  const drill = await failoverDrill(lab, labVip, labServicePort, 'kill');
  assert.notEqual(drill.to, drill.from);
  assert.equal(drill.mostHolders, 1);
  assert.deepEqual(lab.holdersOf(labVip), [drill.to]);
  await lab.waitFor('the group to run again', () => serviceRunning(lab));

  const startsBefore = starts('p_api-service');
  await lab.bootAfterKill(byName(drill.from));
  // Back in the cluster, the node takes nothing back: the VIP stays put, nothing restarts.
  assert.deepEqual(await watchHolders(3_000), [drill.to]);
  assert.equal(starts('p_api-service'), startsBefore);
});

test('cut the active node off: it stops the VIP itself before another node starts it', async () => {
  const drill = await failoverDrill(lab, labVip, labServicePort, 'cut');
  const cut = byName(drill.from);
  assert.equal(drill.mostHolders, 1, 'the VIP was seen on two nodes at once');
  // The isolated node, still running, no longer holds the address.
  assert.deepEqual(lab.network.addresses(cut).filter((address) => address === labVip), []);
  await lab.waitFor('the group to run again', () => serviceRunning(lab));

  const startsBefore = starts('p_api-service');
  lab.reconnect(cut);
  await lab.waitFor(`${cut.name} to rejoin`, () => lab.members().includes(cut.name));
  assert.deepEqual(await watchHolders(3_000), [drill.to]);
  assert.equal(starts('p_api-service'), startsBefore);
});

test('kill the DC: a new DC takes over and restarts nothing', async () => {
  const dc = lab.clusterStatus()!.cluster.dc!;
  // The service must run elsewhere than on the DC, so that any restart would be needless.
  const target = lab.reachable().find((node) => node.name !== dc)!;
  if (lab.holdersOf(labVip)[0] !== target.name) {
    const moved = lab.tandem(target, 'resource', 'move', 'g_services_api', target.name);
    assert.equal(moved.status, 0, moved.stderr);
    await lab.waitFor('the group to move', () => serviceHolder(lab) === target.name);
  }
  const startsBefore = starts('p_api-service');
  const victim = byName(dc);
  lab.killHard(victim);
  await lab.waitFor('a new DC', () => {
    const now = lab.clusterStatus()?.cluster.dc;
    return now !== undefined && now !== victim.name;
  });
  await lab.waitFor('the cluster to settle', () => serviceRunning(lab) && !lab.members().includes(victim.name));
  assert.deepEqual(await watchHolders(2_000), [target.name]);
  assert.equal(starts('p_api-service'), startsBefore, `restarted; lease losses: ${lab.leaseLosses().join('\n')}`);
  await lab.bootAfterKill(victim);
  assert.deepEqual(lab.holdersOf(labVip), [target.name]);
});

test('power off the node of etcd\'s leader: etcd elects another, and the other nodes keep their leases and what they run', async () => {
  const leaderName = lab.etcdLeader()!;
  if (serviceHolder(lab) === leaderName) {
    const target = lab.nodes.find((node) => node.name !== leaderName)!;
    const moved = lab.tandem(target, 'resource', 'move', 'g_services_api', target.name);
    assert.equal(moved.status, 0, moved.stderr);
    await lab.waitFor('the group to move', () => serviceHolder(lab) === target.name);
  }
  // The DC keeps etcd's leadership on the node that runs least: away from the group.
  await lab.waitFor('etcd\'s leader away from the group', () => lab.etcdLeader() !== undefined && lab.etcdLeader() !== serviceHolder(lab));
  const leader = byName(lab.etcdLeader()!);
  const holder = serviceHolder(lab)!;
  const lossesBefore = lab.leaseLosses().length;
  const startsBefore = starts('p_api-service');
  lab.killHard(leader);
  await lab.waitFor('etcd to elect another leader', () => ![undefined, leader.name].includes(lab.etcdLeader()));
  await lab.waitFor('the cluster to settle', () => serviceRunning(lab) && !lab.members().includes(leader.name));
  assert.deepEqual(await watchHolders(2_000), [holder]);
  assert.deepEqual(lab.leaseLosses().slice(lossesBefore), []);
  assert.equal(starts('p_api-service'), startsBefore);
  await lab.bootAfterKill(leader);
});

test('kill etcd\'s leader during a failover: the cluster converges, the VIP never on two nodes', async () => {
  const holder = byName(lab.holdersOf(labVip)[0]!);
  const leader = byName(lab.etcdLeader()!);
  let mostHolders = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      mostHolders = Math.max(mostHolders, lab.holdersOf(labVip).length);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    lab.killHard(holder);
    if (leader !== holder) {
      // Its node lives on, but loses its only way to etcd until its tandem starts the member again.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const killed = lab.etcdPid(leader);
      assert.ok(killed, `${leader.name}'s tandem runs its etcd member`);
      lab.crash(leader, 'etcd');
      await lab.waitFor(`${leader.name}'s tandem to start its etcd member again`, () => ![undefined, killed].includes(lab.etcdPid(leader)));
    }
    await lab.waitFor('the VIP to run again', () => serviceRunning(lab));
  } finally {
    watching = false;
    await watcher;
  }
  assert.equal(mostHolders <= 1, true, `the VIP was seen on ${mostHolders} nodes at once`);
  assert.notEqual(lab.holdersOf(labVip)[0], holder.name);
  await lab.bootAfterKill(holder);
});

test('with fencing on, a node cut off is fenced (powered off) before its VIP starts elsewhere', async () => {
  const file = join(lab.dir, 'fenced.crm');
  writeFileSync(file, `${labConfiguration().replace('property stonith-enabled=false', 'property stonith-enabled=true')}\n${lab.fencingDevice('lab-power')}\n`);
  const loaded = lab.tandem(lab.reachable()[0]!, 'configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await lab.waitFor('the group and the fencing device to run', () => serviceRunning(lab) && lab.clusterStatus()?.view.resources.some((resource) => resource.id === 'lab-power' && resource.role === 'Started') === true);
  const victim = byName(lab.holdersOf(labVip)[0]!);
  lab.cut(victim);
  await lab.waitFor(`${victim.name} to be fenced`, () => lab.network.pids(victim).length === 0, 20_000);
  lab.fencedOff(victim);
  await lab.waitFor('the VIP on another node', () => serviceRunning(lab));
  const fenced = lab.reachable().flatMap((node) =>
    readFileSync(join(lab.dir, `${node.name}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"node fenced"'))
      .map((line) => (JSON.parse(line) as { target: string; detail: string }).target),
  );
  assert.ok(fenced.includes(victim.name), `no "node fenced" for ${victim.name}: ${fenced.join(', ')}`);
  // Started elsewhere only after the fencing: the start is logged after the fencing.
  assert.notEqual(lab.holdersOf(labVip)[0], victim.name);
  await lab.bootAfterKill(victim);
});

/** `tandem drill` from the client host, through the control socket of a running node that does not hold the VIP. */
function drill(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const node = lab.reachable().find((candidate) => !lab.holdersOf(labVip).includes(candidate.name))!;
  return spawnSync('ip', ['netns', 'exec', lab.client.namespace, process.execPath, cli, 'drill', '--data-dir', node.dataDir, '--probe', `${labVip}:${labServicePort}`, '--http', ...args], { encoding: 'utf8' });
}

const downtimeOf = (output: string) => Number(/the client saw (\d+) ms of downtime/.exec(output)?.[1] ?? Number.NaN);

test('tandem drill kill-process: the supervised service is killed, restarted where it was, the downtime reported', async (t) => {
  const holder = lab.holdersOf(labVip)[0]!;
  const result = drill('--fault', 'kill-process', '--resource', 'p_api-service');
  assert.equal(result.status, 0, result.stderr);
  t.diagnostic(result.stdout.trim());
  assert.match(result.stdout, /drill: killing p_api-service's process group \d+/);
  assert.ok(downtimeOf(result.stdout) > 0, result.stdout);
  assert.match(result.stdout, new RegExp(`answered by "${holder}" before, "${holder}" after`));
  await lab.waitFor('the group to run', () => serviceRunning(lab));
});

test('tandem drill cut and kill-node: the node holding the VIP is cut off, then powered off; another node answers each time', async (t) => {
  for (const fault of ['cut', 'kill-node']) {
    const holder = byName(lab.holdersOf(labVip)[0]!);
    const result = drill('--fault', fault, '--resource', 'p_api-ip', '--cut-s', '8');
    assert.equal(result.status, 0, result.stderr);
    t.diagnostic(result.stdout.trim());
    assert.match(result.stdout, fault === 'cut' ? /drill: cutting eth0 \(10\.213\.0\.\d+\) for 8\.000 s/ : new RegExp(`drill: ${holder.name} powered off by lab-power`));
    assert.ok(downtimeOf(result.stdout) > 0, result.stdout);
    assert.match(result.stdout, new RegExp(`answered by "${holder.name}" before, "(?!${holder.name})node\\d" after`));
    // Fencing is on: cut off, the node is fenced too; either way it is off now, and boots again.
    await lab.waitFor(`${holder.name} to be off`, () => !lab.alive(holder), 20_000);
    lab.fencedOff(holder);
    await lab.bootAfterKill(holder);
    await lab.waitFor('the group to run', () => serviceRunning(lab));
  }
  const bad = drill('--fault', 'kill-process', '--target', 'node9', '--resource', 'p_api-service');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^tandem: no node named node9\n$/);
});

test('a real fence agent from Debian\'s fence-agents (fence_dummy): run with the cluster\'s stonith-action before the VIP starts elsewhere', async () => {
  const statusFile = join(lab.dir, 'fence_dummy.status');
  writeFileSync(statusFile, 'on');
  const file = join(lab.dir, 'fence-dummy.crm');
  const configuration = labConfiguration().replace('property stonith-enabled=false', 'property stonith-enabled=true stonith-action=off');
  writeFileSync(file, `${configuration}\nprimitive dummy-power stonith:fence_dummy params type=file status_file="${statusFile}"\n`);
  const loaded = lab.tandem(lab.reachable()[0]!, 'configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await lab.waitFor('the group and the fencing device to run', () => serviceRunning(lab) && lab.clusterStatus()?.view.resources.some((resource) => resource.id === 'dummy-power' && resource.role === 'Started') === true);
  const victim = byName(lab.holdersOf(labVip)[0]!);
  lab.cut(victim);
  // fence_dummy powers nothing off: the cut node stops the VIP itself when its lease goes.
  await lab.waitFor('the VIP on another node', () => isHeldElsewhere(victim));
  assert.equal(readFileSync(statusFile, 'utf8'), 'off', 'the agent was told to power the node off');
  const fenced = lab.reachable().flatMap((node) =>
    readFileSync(join(lab.dir, `${node.name}.log`), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"msg":"node fenced"'))
      .map((line) => JSON.parse(line) as { target: string; detail: string }),
  );
  assert.ok(fenced.some((entry) => entry.target === victim.name && entry.detail === 'dummy-power'), JSON.stringify(fenced));
  lab.reconnect(victim);
  await lab.waitFor(`${victim.name} to rejoin`, () => lab.members().includes(victim.name));
});

test('on-fail=fence: a failed monitor gets its node fenced (powered off), and the service runs elsewhere', async () => {
  const file = join(lab.dir, 'on-fail-fence.crm');
  const configuration = labConfiguration()
    .replace('property stonith-enabled=false', 'property stonith-enabled=true')
    .replace('op monitor interval="30s" timeout="30s"', 'op monitor interval="30s" timeout="30s" on-fail="fence"');
  assert.match(configuration, /on-fail="fence"/);
  writeFileSync(file, `${configuration}\n${lab.fencingDevice('lab-power')}\n`);
  const loaded = lab.tandem(lab.reachable()[0]!, 'configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await lab.waitFor('the group and the fencing device to run', () => serviceRunning(lab) && lab.clusterStatus()?.view.resources.some((resource) => resource.id === 'lab-power' && resource.role === 'Started') === true);
  const victim = byName(lab.holdersOf(labVip)[0]!);
  const pid = Number.parseInt(readFileSync(join(victim.dataDir, 'run', 'p_api-service.pid'), 'utf8'), 10);
  process.kill(-pid, 'SIGKILL');
  await lab.waitFor(`${victim.name} to be fenced`, () => !lab.alive(victim), 20_000);
  lab.fencedOff(victim);
  await lab.waitFor('the group on another node', () => isHeldElsewhere(victim));
  await lab.bootAfterKill(victim);
});

test('a node leaves (tandem cluster leave) and joins again through another (tandem cluster join); the service stays up', async () => {
  const holder = lab.holdersOf(labVip)[0];
  const leaving = lab.reachable().find((node) => node.name !== holder)!;
  const peer = lab.reachable().find((node) => node !== leaving)!;
  const left = lab.leave(leaving);
  assert.equal(left.status, 0, left.stderr);
  assert.match(left.stdout, new RegExp(`${leaving.name} left cluster tandem`));
  await lab.waitFor(`${leaving.name}'s tandem to end`, () => leaving.daemon?.exitCode !== null);
  assert.ok(!lab.members().includes(leaving.name));
  assert.deepEqual(lab.etcdMembers(peer).map((member) => member.name).sort(), lab.nodes.filter((node) => node !== leaving).map((node) => node.name).sort());
  assert.ok(!existsSync(join(leaving.dataDir, 'cluster.json')), 'its data directory holds no member');

  lab.join(leaving, peer);
  await lab.waitFor(`${leaving.name} to be a member again`, () => lab.members().includes(leaving.name));
  const etcd = lab.etcdMembers(peer);
  assert.deepEqual(etcd.map((member) => member.name).sort(), lab.nodes.map((node) => node.name).sort());
  assert.ok(etcd.every((member) => !member.isLearner));
  await lab.waitFor('the group to run', () => serviceRunning(lab));
});
