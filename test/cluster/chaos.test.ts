// Randomised fault runs, seeded: power-offs, network cuts, etcd members and tandem daemons
// killed, sometimes two nodes at once (etcd's quorum gone), on a three-node lab fenced by
// a power switch, by each node's watchdog, and not fenced at all. A watcher checks the hosts all along: never
// two holders of the VIP, of a Dummy, or of a Stateful clone's promoted role; at the end
// everything runs where the cluster's status says. `tandem chaos --seed N --steps K` runs
// any seed.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runChaosLab } from '../../src/lab/chaos.js';
import { planFaults } from '../../src/lab/fault-plan.js';

test('a fault plan is the seed\'s: the same seed, the same plan; another seed, another plan', () => {
  const options = { steps: 20, nodes: ['node1', 'node2', 'node3'], faults: ['kill', 'cut', 'etcd', 'daemon'] as const, doubleChance: 0.2 };
  const plan = planFaults({ ...options, faults: [...options.faults], seed: 7 });
  assert.deepEqual(planFaults({ ...options, faults: [...options.faults], seed: 7 }), plan);
  assert.notDeepEqual(planFaults({ ...options, faults: [...options.faults], seed: 8 }), plan);
  assert.deepEqual(new Set(plan.map((step) => step.fault)), new Set(options.faults), 'every fault is drawn in 20 steps');
  assert.ok(plan.some((step) => step.also) && plan.every((step) => step.also?.node !== step.node), 'some steps strike two different nodes');
  assert.ok(plan.every((step) => step.holdMs >= 500 && step.holdMs <= 5_000 && step.restMs >= 0 && step.restMs <= 3_000));
});

// Seeds whose three steps strike two nodes at once at least once, and crash a daemon where fencing is on.
for (const [seed, fencing] of [[43, 'device'], [8, 'off'], [17, 'watchdog']] as const) {
  test(`seed ${seed}, fencing ${fencing}: never two holders, and it settles where the status says`, async () => {
    const lines: string[] = [];
    const report = await runChaosLab({ seed, steps: 3, nodes: 3, fencing, keep: false }, (line) => lines.push(line));
    assert.deepEqual(report.violations, [], lines.join('\n'));
    assert.ok(report.settled, lines.join('\n'));
    assert.equal(report.final.p_vip.length, 1);
    assert.equal(report.final.promoted.length, 1);
  });
}
