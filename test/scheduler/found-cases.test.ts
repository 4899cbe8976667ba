// Clusters where the differential search once found tandem deciding otherwise than
// Pacemaker, kept small: each is run through Debian's crm_simulate and tandem (summary and
// resource actions compared, as the harness does), and the decision at stake is asserted.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runSimulation } from '../../src/cli/simulate.js';
import { compareCase } from '../../src/differential/compare.js';
import { caseTimeS, historyRecord, type DifferentialCase } from '../../src/differential/generate.js';
import { parseCibText } from '../../src/formats/index.js';
import type { Transition } from '../../src/scheduler/index.js';

interface Ran {
  node: string;
  historyId: string;
  operation: string;
  agent: string;
}

let callId = 1;

function caseOf(crm: string, ran: Ran[], opInject: string[] = [], transient: Record<string, Record<string, string>> = {}, nodeFail: string[] = []): DifferentialCase {
  const cib = parseCibText(crm, 'case.crm').cib;
  cib.haveQuorum = true;
  cib.status.nodes = cib.configuration.nodes.map(({ id, uname }) => ({ id, uname, inCluster: true, controllerOnline: true, join: 'member', expected: 'member', transientAttributes: { ...transient[uname] }, resources: [], extra: {} }));
  for (const { node, historyId, operation, agent } of ran) {
    const [klass, provider, type] = agent.split(':') as [string, string, string];
    cib.status.nodes.find((state) => state.uname === node)!.resources.push({ id: historyId, class: klass, provider, type, ops: [historyRecord(historyId, operation, 0, callId++)], extra: {} });
  }
  return { seed: 0, cib, nodeUp: [], nodeDown: [], nodeFail, opInject };
}

function agreed(testCase: DifferentialCase): Transition {
  const result = compareCase(testCase, caseTimeS);
  assert.ok(!result.skipped, 'crm_simulate ran the case');
  assert.ok(result.match, `tandem and crm_simulate differ:\npacemaker:\n${result.pacemaker.join('\n')}\ntandem:\n${result.tandem.join('\n')}`);
  const { nodeUp, nodeDown, nodeFail, opInject } = testCase;
  return runSimulation(testCase.cib, { nodeUp, nodeDown, nodeFail, standby: [], opInject }, caseTimeS).transition;
}

/** Where each instance of a primitive is started or promoted: { 'd:0': 'node2', ... }. */
function wherePlaced(transition: Transition, id: string, task: 'start' | 'promote' = 'start'): Record<string, string> {
  const placed: Record<string, string> = {};
  for (const action of transition.actions) {
    if (action.task === task && action.resource.startsWith(`${id}:`) && action.node !== undefined) placed[action.resource] = action.node;
  }
  return placed;
}

const dummy = 'ocf:pacemaker:Dummy';
const dummyRan = (node: string, historyId: string): Ran => ({ node, historyId, operation: 'start', agent: dummy });
const statefulOps = 'op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted';

test('a stop done by fencing is announced after the fencing to every instance whose stop was optional then, even one that restarts later', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive a ocf:pacemaker:Dummy op monitor interval=10s
primitive b ocf:pacemaker:Dummy op monitor interval=10s
group g a b
clone cl g meta notify=true
primitive fencer stonith:fence_dummy
property cib-bootstrap-options: stonith-enabled=true
`,
      [{ node: 'node1', historyId: 'b', operation: 'start', agent: 'ocf:pacemaker:Dummy' }],
      ['b_stop_0@node2=1'],
    ),
  );
  assert.deepEqual(transition.fencing.map((fencing) => fencing.node), ['node2']);
  const restarted = transition.actions.filter((action) => action.resource.startsWith('b:') && action.node === 'node1' && (action.task === 'stop' || action.task === 'start'));
  assert.deepEqual(restarted.map((action) => action.task).sort(), ['start', 'stop'], 'b restarts on node1 after a starts before it');
  const told = transition.actions.find((action) => action.task === 'notify' && action.node === 'node1' && action.meta?.notify_type === 'post' && action.meta.notify_operation === 'stop');
  assert.ok(told, 'b on node1 hears of the stop fencing did');
  assert.match(told.meta!.notify_stop_uname!, /^node2$/);
});

const unpromotedWith = (primary: string) => `node $id=1 node1
node $id=2 node2
primitive s ocf:pacemaker:Stateful ${statefulOps}
clone ms s meta promotable=true clone-max=1
primitive d ocf:pacemaker:Dummy
${primary}
property cib-bootstrap-options: stonith-enabled=false
`;

test('an INFINITY colocation of the Unpromoted role with a clone restricts where instances go, not which is promoted; with a primitive it forbids the promotion', () => {
  const promotes = (transition: Transition) => transition.actions.some((action) => action.task === 'promote');
  const preference = { node1: { 'master-s': '100' } };
  const withClone = agreed(caseOf(`${unpromotedWith('clone dc d')}colocation c INFINITY: ms:Unpromoted dc\n`, [], [], preference));
  assert.ok(promotes(withClone), 'beside a clone, the instance is promoted');
  const withPrimitive = agreed(caseOf(`${unpromotedWith('')}colocation c INFINITY: ms:Unpromoted d\n`, [], [], preference));
  assert.ok(!promotes(withPrimitive), 'beside a primitive, the instance stays unpromoted');
  assert.ok(withPrimitive.actions.some((action) => action.task === 'start' && action.resource.startsWith('s')), 'it still starts');
});

test('an interleaved cloned group pairs with the one instance of the other clone its node would take, even against it', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Dummy
primitive b ocf:pacemaker:Dummy
group g a b
clone cg g meta clone-max=1 interleave=true
primitive d ocf:pacemaker:Dummy
clone cd d
colocation apart -INFINITY: cg cd
property cib-bootstrap-options: stonith-enabled=false
`,
      [],
    ),
  );
  // cd runs on every node; the pairing makes the anti-colocation bar only one of them.
  const starts = (id: string) => transition.actions.filter((action) => action.task === 'start' && action.resource.startsWith(`${id}:`)).map((action) => action.node);
  assert.equal(starts('d').length, 3);
  assert.equal(starts('a').length, 1, 'the group starts despite d on every node');
  assert.deepEqual(starts('b'), starts('a'));
});

const blockedStopCase = (extraBanned: string, ran: Ran[]) =>
  caseOf(
    `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Dummy op monitor interval=10s
primitive b ocf:pacemaker:Dummy meta is-managed=false op monitor interval=10s
group g a b
clone cl g meta notify=true
location ban1 cl -inf: node1
${extraBanned}
property cib-bootstrap-options: stonith-enabled=false
`,
    ran,
  );


const notifies = (transition: Transition, type: string, operation: string) =>
  transition.actions
    .filter((action) => action.task === 'notify' && action.meta?.notify_type === type && action.meta.notify_operation === operation)
    .map((action) => `${action.resource}@${action.node}`)
    .sort();

test('a stop required when the clone is planned is announced before even when the unmanaged member after it blocks it', () => {
  // a:0 must leave node1, but its group's unmanaged b stops first and cannot: the stop is
  // blocked, no instance stops at all, and still a:0 hears of the stops beforehand.
  const transition = agreed(blockedStopCase('', [dummyRan('node1', 'a'), dummyRan('node1', 'b')]));
  assert.ok(!transition.actions.some((action) => action.task === 'stop'), 'nothing stops');
  assert.ok(transition.blocked.some((action) => action.task === 'stop' && action.node === 'node1'), 'the stop on node1 is blocked');
  assert.deepEqual(notifies(transition, 'pre', 'stop'), ['a:0@node1']);
  assert.deepEqual(notifies(transition, 'post', 'stop'), []);
});

test('an instance whose stop is required but blocked is told before the stops, not after', () => {
  const transition = agreed(blockedStopCase('location ban2 cl -inf: node2', [dummyRan('node1', 'a'), dummyRan('node1', 'b'), dummyRan('node2', 'a'), dummyRan('node3', 'a')]));
  const stoppedOn = transition.actions.filter((action) => action.task === 'stop').map((action) => action.node);
  assert.deepEqual(stoppedOn, ['node2']);
  assert.equal(notifies(transition, 'pre', 'stop').length, 3, 'every running instance is told before');
  assert.deepEqual(notifies(transition, 'post', 'stop').map((told) => told.split('@')[1]), ['node3'], 'only the instance that stays is told after');
});

const statefulRan = (node: string, operation: string): Ran => ({ node, historyId: 's', operation, agent: 'ocf:pacemaker:Stateful' });

test('no instance is told of stops none of which can run: the clone\'s pre-notification is unrunnable (seed 5840)', () => {
  // s must leave standby node1, but its stop waits for a clone that can start nowhere. The
  // demote goes ahead, announced; the stop, needed from the start, is announced to nobody.
  const transition = agreed(
    caseOf(
      `node $id=1 node1 attributes standby=on
node $id=2 node2
primitive s ocf:pacemaker:Stateful ${statefulOps}
clone ms s meta promotable=true clone-max=1 notify=true
primitive d ocf:pacemaker:Dummy
clone cd d meta clone-max=1
location no-d cd -inf: node2
order o Mandatory: cd:start ms:stop
property cib-bootstrap-options: stonith-enabled=false
`,
      [statefulRan('node1', 'promote')],
      [],
      { node1: { 'master-s': '10' } },
    ),
  );
  assert.ok(transition.blocked.some((action) => action.task === 'stop' && action.node === 'node1'), 'the stop is blocked');
  assert.deepEqual(notifies(transition, 'pre', 'demote'), ['s:0@node1']);
  assert.deepEqual(notifies(transition, 'pre', 'stop'), []);
});

test('starts are announced after only when some cloned group instance can complete its start (seed 11067)', () => {
  // a:1 starts on node2 but its unmanaged b cannot follow, and a:0's restart on node1 is
  // blocked by b's stop: no instance's group can be running, so nobody hears of the start.
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive a ocf:pacemaker:Dummy op monitor interval=10s
primitive b ocf:pacemaker:Dummy meta is-managed=false op monitor interval=10s
group g a b
clone cl g meta notify=true
property cib-bootstrap-options: stonith-enabled=false
`,
      [dummyRan('node1', 'a'), dummyRan('node1', 'b')],
      ['a_monitor_10000@node1=1'],
    ),
  );
  assert.deepEqual(wherePlaced(transition, 'a'), { 'a:1': 'node2' });
  assert.deepEqual(notifies(transition, 'pre', 'stop'), ['a:0@node1']);
  assert.deepEqual(notifies(transition, 'post', 'start'), []);
});

test('a promotion an unmanaged instance is required to make, though nobody executes it, is announced to the others (seed 13087)', () => {
  // s:0 stays promoted on node2, in maintenance; the ordering after cd's start makes the
  // clone's promotion required, and with it s:0's: Pacemaker lists it and tells s:1 and s:2.
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2 attributes maintenance=on
node $id=3 node3
primitive s ocf:pacemaker:Stateful ${statefulOps}
clone ms s meta promotable=true notify=true
primitive d ocf:pacemaker:Dummy
clone cd d meta clone-max=1
order o Mandatory: cd:start ms:promote
property cib-bootstrap-options: stonith-enabled=false
`,
      [statefulRan('node2', 'promote')],
      [],
      { node1: { 'master-s': '5' }, node3: { 'master-s': '5' } },
    ),
  );
  assert.ok(!transition.actions.some((action) => action.task === 'promote'), 'nothing is executed to promote');
  assert.deepEqual(notifies(transition, 'pre', 'promote'), ['s:1@node1', 's:2@node3']);
  assert.deepEqual(notifies(transition, 'post', 'promote'), ['s:1@node1', 's:2@node3']);
  const told = transition.actions.find((action) => action.task === 'notify' && action.meta?.notify_operation === 'promote')!;
  assert.equal(told.meta!.notify_promote_resource, 's:0');
  assert.equal(told.meta!.notify_promote_uname, 'node2');
});

const failedInMaintenance = (onFail: string) => ({
  ...caseOf(
    `node $id=1 node1
node $id=2 node2 attributes maintenance=on
primitive r ocf:pacemaker:Dummy op monitor interval=10s${onFail}
primitive fencer stonith:fence_dummy
property cib-bootstrap-options: stonith-enabled=true
`,
    [],
    ['r_monitor_10000@node2=7'],
  ),
  nodeDown: ['node2'],
});

test('a failure to recover by restarting, on a node in maintenance that left cleanly, gets the node fenced: the stop cannot run', () => {
  // Pacemaker plans the recovery's stop as it reads the history, before the node's
  // maintenance leaves the resource unmanaged; the node is offline, so only fencing stops it.
  const restarted = agreed(failedInMaintenance(''));
  assert.deepEqual(restarted.fencing, [{ node: 'node2', reason: 'stop is unrunnable' }]);
  const stopped = agreed(failedInMaintenance(' on-fail=stop'));
  assert.deepEqual(stopped.fencing, [], 'on-fail=stop plans no stop while reading the history');
});

test('an instance whose node failed is placed after one on a standby node: Pacemaker scores an offline current node -INFINITY when ordering instances', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
node $id=4 node4 attributes standby=on
primitive d ocf:pacemaker:Dummy meta resource-stickiness=100 op monitor interval=10s
clone cd d
primitive fencer stonith:fence_dummy
property cib-bootstrap-options: stonith-enabled=true
`,
      [
        dummyRan('node3', 'd'),
        dummyRan('node4', 'd'),
      ],
      [],
      {},
      ['node3'],
    ),
  );
  assert.deepEqual(wherePlaced(transition, 'd'), { 'd:1': 'node1', 'd:0': 'node2' }, 'the instance from the standby node takes node1 first');
});

test('what is colocated with a clone meets its instances in the order they were assigned, so that order decides which score is rolled back', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2 attributes standby=on
node $id=3 node3
node $id=4 node4
node $id=5 node5
primitive a ocf:pacemaker:Dummy op monitor interval=10s
clone ca a
primitive b ocf:pacemaker:Dummy op monitor interval=10s
clone cb b
colocation apart -100: ca cb
property cib-bootstrap-options: stonith-enabled=false
`,
      [
        dummyRan('node2', 'b'),
        dummyRan('node4', 'b'),
        dummyRan('node5', 'b'),
        dummyRan('node4', 'a'),
        dummyRan('node5', 'a'),
      ],
    ),
  );
  // b:0 (on standby node2) is assigned after b:1 and b:2: a:1 meets b on node1 last, where
  // -100 would leave it no node of score 0 or more, so node1 keeps 0 and a:1 moves there.
  assert.deepEqual(wherePlaced(transition, 'a'), { 'a:0': 'node3', 'a:1': 'node1', 'a:2': 'node5', 'a:3': 'node4' });
});

test('a cloned group with a blocked member counts as active twice on its node, so the instance running cleanly is assigned before it', () => {
  const stateful = 'ocf:pacemaker:Stateful';
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
node $id=4 node4
primitive a ocf:pacemaker:Stateful ${statefulOps}
primitive b ocf:pacemaker:Stateful ${statefulOps}
group g a b
clone cg g meta promotable=true
property cib-bootstrap-options: stonith-enabled=false
rsc_defaults rsc-options: resource-stickiness=100
`,
      [
        { node: 'node1', historyId: 'a', operation: 'start', agent: stateful },
        { node: 'node1', historyId: 'b', operation: 'start', agent: stateful },
        { node: 'node2', historyId: 'a', operation: 'start', agent: stateful },
      ],
      ['b_stop_0@node2=1'],
      { node1: { 'master-a': '10', 'master-b': '10' }, node2: { 'master-a': '100', 'master-b': '100' } },
    ),
  );
  assert.deepEqual(wherePlaced(transition, 'a', 'promote'), { 'a:3': 'node2' });
  assert.equal(wherePlaced(transition, 'a')['a:2'], 'node4');
});

test('an interleaved instance pairs with the other clone on its best node without favouring the node it runs on', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
node $id=4 node4
primitive a ocf:pacemaker:Dummy op monitor interval=10s
clone ca a meta interleave=true
primitive d ocf:pacemaker:Dummy op monitor interval=10s
clone cd d
location prefer ca INFINITY: node3
colocation with INFINITY: ca cd
property cib-bootstrap-options: stonith-enabled=false
rsc_defaults rsc-options: resource-stickiness=INFINITY
`,
      [dummyRan('node4', 'a')],
    ),
  );
  // node3 and node4 both score INFINITY for a:0; it pairs with d on node3, the lower name.
  assert.equal(wherePlaced(transition, 'a')['a:0'], 'node3');
});

test('an interleaved instance does not pair with an instance left blocked by its failure', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Dummy op monitor interval=10s
clone ca a meta interleave=true
primitive d ocf:pacemaker:Dummy op monitor interval=10s on-fail=block
clone cd d
colocation with INFINITY: ca cd
property cib-bootstrap-options: stonith-enabled=false
`,
      [
        dummyRan('node1', 'd'),
        dummyRan('node1', 'a'),
        dummyRan('node2', 'd'),
        dummyRan('node2', 'a'),
      ],
      ['d_monitor_10000@node1=1'],
    ),
  );
  assert.deepEqual(wherePlaced(transition, 'a'), { 'a:0': 'node3' }, 'a:0 leaves node1, where d is blocked');
});

test('an interleaved clone ordered after a promotable cloned group waits on its partner group being promoted, which cannot be when nothing promotes', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive d ocf:pacemaker:Dummy op monitor interval=10s
clone cd d meta interleave=true
primitive a ocf:pacemaker:Stateful ${statefulOps}
primitive b ocf:pacemaker:Stateful ${statefulOps}
group g a b
clone ms g meta promotable=true
order o Mandatory: ms:promote cd:start symmetrical=false
property cib-bootstrap-options: stonith-enabled=false
`,
      [],
    ),
  );
  const started = (id: string) => transition.actions.filter((action) => action.task === 'start' && action.resource.startsWith(`${id}:`));
  assert.equal(started('a').length, 2, 'the group starts, unpromoted');
  assert.equal(started('d').length, 0, 'd waits on a promotion that never comes');
  assert.ok(!transition.actions.some((action) => action.task === 'promote'));
});

test('members after an unmanaged group member take the group\'s mandatory colocations themselves: they cannot follow it away from their primary', () => {
  const crm = (group: string) => `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Dummy meta is-managed=false op monitor interval=10s
primitive b ocf:pacemaker:Dummy op monitor interval=10s
primitive c ocf:pacemaker:Dummy op monitor interval=10s
group g a b c
${group}
primitive p ocf:pacemaker:Dummy op monitor interval=10s
location p-not-on-1 p -INFINITY: node1
property cib-bootstrap-options: stonith-enabled=false
`;
  const ran = [{ node: 'node1', historyId: 'a', operation: 'start', agent: 'ocf:pacemaker:Dummy' }];
  for (const [shape, colocation] of [['plain', 'colocation with-p INFINITY: g p'], ['cloned', 'clone cg g meta clone-max=2\ncolocation with-p INFINITY: cg p']] as const) {
    const transition = agreed(caseOf(crm(colocation), ran));
    assert.ok(transition.actions.some((action) => action.task === 'start' && action.resource === 'p' && action.node !== 'node1'), `${shape}: p starts away from a`);
    const members = transition.actions.filter((action) => action.task === 'start' && /^[bc](:|$)/.test(action.resource));
    assert.deepEqual(members.filter((action) => action.node === 'node1'), [], `${shape}: b and c do not join a on node1, away from p`);
  }
});

test('an ordering after a cloned group instance waits on its completion, met first as made: the restart a failed member forces on the next one is required by its own stop, with no reason given', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Stateful ${statefulOps}
primitive b ocf:pacemaker:Stateful ${statefulOps}
primitive c ocf:pacemaker:Stateful ${statefulOps}
group g a b c
clone ms g meta promotable=true ordered=true promoted-node-max=2
property cib-bootstrap-options: stonith-enabled=false
`,
      [
        { node: 'node1', historyId: 'a', operation: 'promote', agent: 'ocf:pacemaker:Stateful' },
        { node: 'node1', historyId: 'b', operation: 'promote', agent: 'ocf:pacemaker:Stateful' },
      ],
      ['a_monitor_10000@node1=1'],
    ),
  );
  const line = transition.summary.find((item) => item.resource.startsWith('b:') && item.from === 'node1');
  assert.equal(line?.change, 'Restart');
  assert.equal(line?.reason, undefined, 'no reason: b restarts because it stops');
});

test('an ordered cloned group walks the next instance again when one changes, as its disabled ordering stays: a member restarted within its group is required by the member before it', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Dummy op monitor interval=10s
primitive b ocf:pacemaker:Dummy op monitor interval=10s
primitive c ocf:pacemaker:Dummy op monitor interval=10s
group g a b c
clone cg g meta interleave=true ordered=true
primitive p ocf:pacemaker:Dummy op monitor interval=10s
order p-first Mandatory: p:start cg:start
property cib-bootstrap-options: stonith-enabled=false
`,
      [
        { node: 'node1', historyId: 'c', operation: 'start', agent: 'ocf:pacemaker:Dummy' },
        { node: 'node3', historyId: 'c', operation: 'start', agent: 'ocf:pacemaker:Dummy' },
      ],
    ),
  );
  // The first instance's members are reached from p's start through the clone's; walking
  // what follows that instance's start meets the next instance's, whose own b comes first.
  const reasons = transition.summary.filter((item) => item.change === 'Restart' && item.resource.startsWith('c:')).map((item) => item.reason);
  assert.deepEqual(reasons, ['due to required p start', 'due to required b:1 start']);
});

test('an anti-colocation of the Promoted role pushes away a promotable instance before its role is chosen: a cloned group leaves the node of what it avoids, to be promoted elsewhere', () => {
  const stateful = `ocf:pacemaker:Stateful ${statefulOps}`;
  const promotable = { 'master-a': '100', 'master-b': '100' };
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive r0 ocf:pacemaker:Dummy meta resource-stickiness=0 op monitor interval=10s
primitive a ${stateful}
primitive b ${stateful}
group g a b
clone ms g meta promotable=true clone-max=1
colocation promoted-away -100: ms:Promoted r0
property cib-bootstrap-options: stonith-enabled=false
rsc_defaults rsc-options: resource-stickiness=1
`,
      [{ node: 'node1', historyId: 'b', operation: 'start', agent: 'ocf:pacemaker:Stateful' }],
      [],
      { node2: promotable, node3: promotable },
    ),
  );
  assert.equal(transition.actions.find((action) => action.task === 'start' && action.resource === 'r0')?.node, 'node1');
  assert.deepEqual(wherePlaced(transition, 'a', 'promote'), { 'a:0': 'node2' }, 'the group is promoted on node2, not kept unpromoted beside r0');
});

test('a promotable clone keeps the promotion totals in its own scores: a clone placed with its Promoted role takes first the instance on the node it scored higher', () => {
  const stateful = `ocf:pacemaker:Stateful ${statefulOps}`;
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
node $id=4 node4
primitive d ${stateful}
clone ms-d d meta promotable=true resource-stickiness=50
primitive p ${stateful}
clone ms-p p meta promotable=true
colocation with-promoted INFINITY: ms-d ms-p:Promoted
property cib-bootstrap-options: stonith-enabled=false
rsc_defaults rsc-options: resource-stickiness=100
`,
      [
        { node: 'node1', historyId: 'd', operation: 'start', agent: 'ocf:pacemaker:Stateful' },
        { node: 'node3', historyId: 'd', operation: 'start', agent: 'ocf:pacemaker:Stateful' },
      ],
      [],
      { node2: { 'master-p': '100' }, node3: { 'master-p': '5' } },
    ),
  );
  assert.deepEqual(wherePlaced(transition, 'p', 'promote'), { 'p:0': 'node2' });
  // ms-p's score on node3 is 5 (its instance's promotion priority there), on node1 0: the
  // instance on node3 is placed first and takes the one node ms-d may use.
  const moved = transition.summary.find((item) => item.resource.startsWith('d:') && item.change === 'Move');
  assert.equal(moved?.from, 'node3');
  assert.ok(transition.summary.some((item) => item.resource.startsWith('d:') && item.change === 'Stop' && item.from === 'node1'));
});

test('a group hands its colocations to its members in configuration order: an anti-colocation that leaves no node is rolled back before a later colocation pulls the group along', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive a0 ocf:pacemaker:Dummy op monitor interval=10s
primitive a1 ocf:pacemaker:Dummy meta resource-stickiness=INFINITY op monitor interval=10s
group r1 a0 a1
primitive b0 ocf:pacemaker:Dummy op monitor interval=10s
primitive b1 ocf:pacemaker:Dummy op monitor interval=10s
group r2 b0 b1
location r1-prefers-2 r1 50: node2
colocation apart -100: r1 r2
colocation together 10: r1 r2
property cib-bootstrap-options: stonith-enabled=false
`,
      [dummyRan('node1', 'a1')],
    ),
  );
  const started = (id: string) => transition.actions.find((action) => action.task === 'start' && action.resource === id)?.node;
  assert.equal(started('b0'), 'node1', 'r2 follows r1 to node1');
  assert.equal(started('b1'), 'node1');
});

test('a start colocated with a clone none of whose instances can start is blocked, named after the instance that failed last', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive p ocf:pacemaker:Dummy meta target-role=Stopped
clone c p
primitive d ocf:pacemaker:Dummy
colocation c-with-d 200: c d
colocation d-with-c INFINITY: d c
property cib-bootstrap-options: stonith-enabled=false
`,
      [],
    ),
  );
  const line = transition.summary.find((item) => item.resource === 'd');
  assert.equal(line?.change, 'Start');
  assert.equal(line?.blocked, true);
  assert.match(line?.reason ?? '', /^due to colocation with p:\d \(blocked\)$/);
  assert.ok(!transition.actions.some((action) => action.resource === 'd' && action.task === 'start'), 'd does not start');
});

test('a start colocated with the Promoted role of a clone none of whose instances can be promoted is blocked by the promotion that failed last', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive x ocf:pacemaker:Dummy meta target-role=Stopped
clone xc x
primitive m ocf:pacemaker:Stateful ${statefulOps}
clone ms m meta promotable=true
location promote-on-1 ms rule role=Promoted 100: #uname eq node1
primitive d ocf:pacemaker:Dummy
order x-first Mandatory: xc ms
colocation d-with-promoted INFINITY: d ms:Promoted
property cib-bootstrap-options: stonith-enabled=false
`,
      [],
    ),
  );
  const line = transition.summary.find((item) => item.resource === 'd');
  assert.equal(line?.blocked, true);
  assert.match(line?.reason ?? '', /^due to colocation with m:\d \(blocked\)$/);
  assert.ok(!transition.actions.some((action) => action.resource === 'd' && action.task === 'start'), 'd does not start');
});

test('an ordering reaches every member of a cloned group with one effect before the next: a member stop is required by the ordering before a blocked stop can require it', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive a ocf:pacemaker:Dummy
primitive b ocf:pacemaker:Dummy
group g a b
location b-nowhere-1 b -INFINITY: node1
location b-nowhere-2 b -INFINITY: node2
primitive m ocf:pacemaker:Dummy op monitor interval=10s
primitive n ocf:pacemaker:Dummy op monitor interval=10s
group h m n
clone hc h meta clone-max=1
order g-then-stop Mandatory: g:start hc:stop
property cib-bootstrap-options: stonith-enabled=false
`,
      [
        { node: 'node2', historyId: 'm', operation: 'start', agent: 'ocf:pacemaker:Dummy' },
        { node: 'node2', historyId: 'n', operation: 'start', agent: 'ocf:pacemaker:Dummy' },
      ],
      ['m_monitor_10000@node2=1'],
    ),
  );
  const reasons = Object.fromEntries(transition.summary.filter((item) => item.change === 'Stop').map((item) => [item.resource.split(':')[0], item.reason]));
  assert.deepEqual(reasons, { m: 'due to unrunnable g running (blocked)', n: 'due to required g running (blocked)' });
});

test('with no node to probe, a clone\'s instances are summarised in the order assignment sorted them', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Dummy op monitor interval=10s
primitive b ocf:pacemaker:Dummy op monitor interval=10s
group g a b
clone cl g
primitive fencer stonith:fence_dummy
rsc_ticket needs-c ticketC: cl loss-policy=fence
property cib-bootstrap-options: stonith-enabled=true
`,
      [
        { node: 'node1', historyId: 'a', operation: 'start', agent: 'ocf:pacemaker:Dummy' },
        { node: 'node2', historyId: 'b', operation: 'start', agent: 'ocf:pacemaker:Dummy' },
        { node: 'node3', historyId: 'b', operation: 'start', agent: 'ocf:pacemaker:Dummy' },
      ],
      ['a_monitor_10000@node1=1'],
    ),
  );
  assert.equal(transition.fencing.length, 3, 'every node is fenced: none is probed');
  // The failed instance on node1 is assigned last, and summarised last.
  assert.deepEqual(transition.summary.filter((item) => item.change === 'Stop').map((item) => item.from), ['node2', 'node3', 'node1']);
});

test('a role colocation with a group counts through its last member (INFINITY): one left unplaced changes no promotion', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive a ocf:pacemaker:Dummy
primitive b ocf:pacemaker:Dummy meta is-managed=false
group g a b
primitive s ocf:pacemaker:Stateful ${statefulOps}
clone p s meta promotable=true
colocation unpromoted-with-g INFINITY: p:Unpromoted g
property stonith-enabled=false`,
      [],
      [],
      { node1: { 'master-s': '100' }, node2: { 'master-s': '1' } },
    ),
  );
  // b, unmanaged and stopped, is placed nowhere: the colocation asks nothing of s's roles.
  assert.deepEqual(Object.values(wherePlaced(transition, 's', 'promote')), ['node1']);
});

test('on-fail=stop holds where the failed node is fenced: the resource is not started elsewhere', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive r ocf:pacemaker:Dummy op monitor interval=10s on-fail=stop
primitive fencer stonith:fence_dummy
property stonith-enabled=true`,
      [dummyRan('node1', 'r')],
      ['r_monitor_10000@node1=1'],
      {},
      ['node1'],
    ),
  );
  assert.ok(transition.summary.some((item) => /Stop\s+r\s+\( node1 \)/.test(item.line)), transition.summary.map((item) => item.line).join('\n'));
  assert.ok(!transition.actions.some((action) => action.resource === 'r' && action.task === 'start'));
});

test('an ordering between clones pairs instances by the interleave of the clone that waits: before a stop, the first clone\'s', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Dummy op monitor interval=10s
clone ca a
primitive b ocf:pacemaker:Dummy op monitor interval=10s
clone cb b meta interleave=true
primitive fencer stonith:fence_dummy
order a-stops-first Mandatory: ca:stop cb:stop
property stonith-enabled=true`,
      [
        dummyRan('node2', 'a'),
        dummyRan('node3', 'b'),
      ],
      [],
      {},
      ['node2'],
    ),
  );
  // ca is not interleaved: its stop on the fenced node2 is a stop of the whole clone, which cb's stops must follow.
  assert.ok(transition.summary.some((item) => /Restart\s+b:\d+\s+\(\s+node3 \)/.test(item.line)), transition.summary.map((item) => item.line).join('\n'));
});

test('placing a resource a group is colocated with: what is colocated with the group itself brings no preference', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive r0 ocf:pacemaker:Dummy
primitive m0 ocf:pacemaker:Dummy
primitive m1 ocf:pacemaker:Dummy
group g m0 m1
primitive r5 ocf:pacemaker:Dummy
location r5-on-node3 r5 INFINITY: node3
colocation r5-with-g INFINITY: r5 g
colocation g-with-r0 100: g r0
property stonith-enabled=false`,
      [],
    ),
  );
  // r5's INFINITY for node3 does not reach r0 through g: r0 takes the first node, and g and r5 stay on node3.
  const starts = Object.fromEntries(transition.actions.filter((action) => action.task === 'start').map((action) => [action.resource, action.node]));
  assert.deepEqual(starts, { r0: 'node1', m0: 'node3', m1: 'node3', r5: 'node3' });
});

test('clones interleave only when configured for as many instances per node: an anonymous clone-node-max=2 (run as 1) does not', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive a ocf:pacemaker:Dummy op monitor interval=10s
clone ca a meta interleave=true
primitive b ocf:pacemaker:Dummy op monitor interval=10s
clone cb b meta clone-max=4 clone-node-max=2
colocation a-apart-from-b -INFINITY: ca cb
property stonith-enabled=false`,
      [],
    ),
  );
  // Not paired instance by instance: every node with an instance of cb is closed to ca, so ca runs nowhere.
  assert.deepEqual(wherePlaced(transition, 'a'), {});
  assert.equal(Object.keys(wherePlaced(transition, 'b')).length, 2);
});

test('a notifying clone\'s own promotions wait on its "running", not on its notifications: the blocked promote says so', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=3 node3
primitive a ocf:pacemaker:Stateful ${statefulOps}
primitive b ocf:pacemaker:Stateful ${statefulOps}
group pg a b
clone p pg meta promotable=true notify=true
primitive m0 ocf:pacemaker:Dummy meta target-role=Stopped
primitive m1 ocf:pacemaker:Dummy
group g m0 m1
order g-then-p Mandatory: g:start p:start
property stonith-enabled=false`,
      [],
      [],
      { node1: { 'master-a': '1', 'master-b': '1' }, node3: { 'master-a': '10', 'master-b': '10' } },
    ),
  );
  const promotes = transition.summary.filter((item) => /Promote\s+[ab]:\d+/.test(item.line));
  assert.equal(promotes.length, 2, transition.summary.map((item) => item.line).join('\n'));
  for (const promote of promotes) assert.match(promote.line, /due to unrunnable p running \(blocked\)/);
});

test('without quorum, an unpromoted instance whose group member is blocked stays as it is: its stop would wait on that member', () => {
  const testCase = caseOf(
    `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive a ocf:pacemaker:Stateful ${statefulOps}
primitive b ocf:pacemaker:Stateful op monitor interval=10s role=Promoted on-fail=block op monitor interval=11s role=Unpromoted on-fail=block
primitive c ocf:pacemaker:Stateful ${statefulOps}
group g a b c
clone p g meta promotable=true clone-max=2
property stonith-enabled=false no-quorum-policy=stop`,
    [
      { node: 'node1', historyId: 'a', operation: 'start', agent: 'ocf:pacemaker:Stateful' },
      { node: 'node1', historyId: 'b', operation: 'start', agent: 'ocf:pacemaker:Stateful' },
    ],
    [],
    { node1: { 'fail-count-b#monitor_10000': '1', 'last-failure-b#monitor_10000': String(caseTimeS - 60) } },
  );
  testCase.cib.haveQuorum = false;
  // The monitor was expected to succeed (rc 0 in its transition key) and found an error.
  const monitor = historyRecord('b', 'monitor', 0, callId++, 10_000);
  const failed = { ...monitor, rc: 1, transitionMagic: monitor.transitionMagic?.replace(/^0:0;/, '0:1;') };
  testCase.cib.status.nodes.find((state) => state.uname === 'node1')!.resources.find((history) => history.id === 'b')!.ops.push(failed);
  const transition = agreed(testCase);
  const lines = transition.summary.map((item) => item.line);
  assert.ok(!lines.some((line) => /Stop\s+a:/.test(line)), lines.join('\n'));
  assert.ok(lines.some((line) => /Start\s+c:\d+\s+\(\s*node1 \)\s+due to no quorum \(blocked\)/.test(line)), lines.join('\n'));
});

test('an interleaved clone that must run with a clone placed nowhere runs nowhere itself, even for a colocation in the Promoted role', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive s ocf:pacemaker:Stateful ${statefulOps}
clone p s meta promotable=true clone-max=2 interleave=true
primitive d ocf:pacemaker:Dummy op monitor interval=10s meta target-role=Stopped
clone cd d
colocation p-promoted-with-cd INFINITY: p:Promoted cd
property stonith-enabled=false`,
      [],
      [],
      { node1: { 'master-s': '5' }, node2: { 'master-s': '10' } },
    ),
  );
  // No instance of cd to pair with: each instance of p is left unassigned outright, which the
  // roll-back of a Promoted-role colocation that leaves no node does not undo.
  assert.deepEqual(wherePlaced(transition, 's'), {});
  assert.deepEqual(wherePlaced(transition, 's', 'promote'), {});
});

test('an Unpromoted dependent kept away from a clone\'s Promoted role is promoted where that role is: its colocation counts against staying unpromoted there', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive a ocf:pacemaker:Stateful ${statefulOps}
clone pa a meta promotable=true
primitive b ocf:pacemaker:Stateful ${statefulOps}
clone pb b meta promotable=true
colocation b-unpromoted-away-from-a -100: pb:Unpromoted pa:Promoted
property stonith-enabled=false`,
      [],
      [],
      { node1: { 'master-a': '10', 'master-b': '1' }, node2: { 'master-a': '1', 'master-b': '5' } },
    ),
  );
  assert.deepEqual(Object.values(wherePlaced(transition, 'a', 'promote')), ['node1']);
  // b scores higher on node2, but staying Unpromoted on node1, where a is promoted, would cost 100.
  assert.deepEqual(Object.values(wherePlaced(transition, 'b', 'promote')), ['node1']);
});

test('what is colocated with a group counts twice toward the group\'s primary once the group is being placed: through its first member\'s chain and through its last member', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive c ocf:pacemaker:Dummy op monitor interval=10s
clone cc c
primitive m0 ocf:pacemaker:Dummy op monitor interval=10s
primitive m1 ocf:pacemaker:Dummy op monitor interval=10s
group g m0 m1
primitive p ocf:pacemaker:Dummy op monitor interval=10s
location cc-avoids-node2 cc -100: node2
colocation cc-with-g 10: cc g
colocation g-with-p 100: g p
property stonith-enabled=false
rsc_defaults resource-stickiness=1`,
      [dummyRan('node1', 'p')],
    ),
  );
  // cc is placed first and places g, which places p: cc's -100, scaled down to the least
  // nonzero score (+1, by the sign of the factor), reaches p twice and outweighs p's stickiness.
  const lines = transition.summary.map((item) => item.line);
  assert.ok(lines.some((line) => /^\s*\* Move\s+p\s+\( node1 -> node2 \)/.test(line)), lines.join('\n'));
});
