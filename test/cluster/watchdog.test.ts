// Self-fencing by watchdog, with no fence device (Pacemaker with diskless SBD): every node
// feeds a watchdog (the lab's stand-in for /dev/watchdog), stonith-watchdog-timeout is set.
// A node whose daemon dies stops feeding and is reset by its watchdog; the cluster starts
// its resources elsewhere only once stonith-watchdog-timeout has passed. A node cut off
// stops what it runs, so it goes on feeding and is not reset. Never two holders.

import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LabCluster, type LabNode } from '../../src/lab/cluster.js';

const vip = '10.213.0.50';
const watchdogTimeoutMs = 2_000;
const stonithWatchdogTimeoutMs = 5_000;
let lab: LabCluster;

/** Nodes where the VIP is configured and anything still runs. */
function aliveHolders(): string[] {
  return lab.nodes.filter((node) => lab.alive(node) && lab.network.addresses(node).includes(vip)).map((node) => node.name);
}

/** Watches until `done` holds (bounded); returns the most alive holders seen at once. */
async function watchUntil(what: string, done: () => boolean, limitMs = 40_000): Promise<number> {
  let most = 0;
  const limit = Date.now() + limitMs;
  while (Date.now() < limit) {
    most = Math.max(most, aliveHolders().length);
    if (done()) return most;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function holder(): LabNode {
  const [name] = aliveHolders();
  assert.ok(name, 'the VIP runs somewhere');
  return lab.nodes.find((node) => node.name === name)!;
}

function fencedLines(): string[] {
  return lab.nodes.flatMap((node) => readFileSync(join(lab.dir, `${node.name}.log`), 'utf8').split('\n').filter((line) => line.includes('"msg":"node fenced"')));
}

/** Exactly one live holder, and not `node`. */
function movedAwayFrom(node: LabNode): boolean {
  const holders = aliveHolders();
  return holders.length === 1 && holders[0] !== node.name;
}

const settled = () => {
  const status = lab.clusterStatus();
  return status !== undefined && status.pending.length === 0 && aliveHolders().length === 1;
};

before(async () => {
  lab = new LabCluster({ nodes: 3, watchdogTimeoutMs });
  await lab.start();
  const file = join(lab.dir, 'watchdog.crm');
  writeFileSync(file, `primitive p_vip tandem:vip params ip="${vip}" cidr_netmask="24" op monitor interval="2s"
property stonith-enabled="true" stonith-watchdog-timeout="${stonithWatchdogTimeoutMs / 1000}s"
rsc_defaults resource-stickiness="100"
`);
  const loaded = lab.tandem(lab.nodes[0]!, 'configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  // Fencing is on and there is no device: only the watchdogs let anything start.
  await lab.waitFor('the VIP to start', settled);
});

after(async () => {
  await lab?.destroy(process.env.TANDEM_KEEP_TEST_DIR !== undefined);
});

test('a node whose daemon dies is reset by its watchdog; its VIP starts elsewhere after stonith-watchdog-timeout, never on two nodes', async () => {
  const victim = holder();
  const fencedBefore = fencedLines().length;
  const crashedMs = Date.now();
  lab.crash(victim, 'daemon');
  const most = await watchUntil('the VIP on another node', () => movedAwayFrom(victim));
  assert.equal(most, 1);
  assert.equal(lab.alive(victim), false, 'the watchdog reset the host');
  assert.match(readFileSync(join(lab.dir, `${victim.name}-watchdog.log`), 'utf8'), /not fed for 2000 ms: resetting the host/);
  assert.ok(Date.now() - crashedMs >= stonithWatchdogTimeoutMs, 'nothing started before stonith-watchdog-timeout had passed');
  const fenced = fencedLines().slice(fencedBefore);
  assert.ok(fenced.some((line) => line.includes(`"target":"${victim.name}"`) && line.includes('watchdog')), fenced.join('\n'));
  lab.fencedOff(victim);
  await lab.bootAfterKill(victim);
  await lab.waitFor('the cluster to settle', settled);
});

test('a node cut off stops its VIP, goes on feeding its watchdog and is not reset; the VIP starts elsewhere', async () => {
  const victim = holder();
  const resets = () => (readFileSync(join(lab.dir, `${victim.name}-watchdog.log`), 'utf8').match(/resetting/g) ?? []).length;
  const resetsBefore = resets();
  lab.cut(victim);
  const most = await watchUntil('the VIP on another node', () => movedAwayFrom(victim));
  assert.equal(most, 1);
  // Well past its watchdog's timeout: still running, since it stopped everything it ran.
  await new Promise((resolve) => setTimeout(resolve, 2 * watchdogTimeoutMs));
  assert.ok(lab.alive(victim), 'not reset');
  assert.equal(resets(), resetsBefore);
  lab.reconnect(victim);
  await lab.waitFor(`${victim.name} to rejoin`, () => lab.members().includes(victim.name));
  assert.ok(lab.alive(victim));
});
