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

function caseOf(crm: string, ran: Ran[], opInject: string[] = [], transient: Record<string, Record<string, string>> = {}): DifferentialCase {
  const cib = parseCibText(crm, 'case.crm').cib;
  cib.haveQuorum = true;
  cib.status.nodes = cib.configuration.nodes.map(({ id, uname }) => ({ id, uname, inCluster: true, controllerOnline: true, join: 'member', expected: 'member', transientAttributes: { ...transient[uname] }, resources: [], extra: {} }));
  for (const { node, historyId, operation, agent } of ran) {
    const [klass, provider, type] = agent.split(':') as [string, string, string];
    cib.status.nodes.find((state) => state.uname === node)!.resources.push({ id: historyId, class: klass, provider, type, ops: [historyRecord(historyId, operation, 0, callId++)], extra: {} });
  }
  return { seed: 0, cib, nodeUp: [], nodeDown: [], nodeFail: [], opInject };
}

function agreed(testCase: DifferentialCase): Transition {
  const result = compareCase(testCase, caseTimeS);
  assert.ok(!result.skipped, 'crm_simulate ran the case');
  assert.ok(result.match, `tandem and crm_simulate differ:\npacemaker:\n${result.pacemaker.join('\n')}\ntandem:\n${result.tandem.join('\n')}`);
  return runSimulation(testCase.cib, { nodeUp: [], nodeDown: [], nodeFail: [], standby: [], opInject: testCase.opInject }, caseTimeS).transition;
}

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
primitive s ocf:pacemaker:Stateful op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted
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

test('an interleaved clone ordered after a promotable cloned group waits on its partner group being promoted, which cannot be when nothing promotes', () => {
  const transition = agreed(
    caseOf(
      `node $id=1 node1
node $id=2 node2
primitive d ocf:pacemaker:Dummy op monitor interval=10s
clone cd d meta interleave=true
primitive a ocf:pacemaker:Stateful op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted
primitive b ocf:pacemaker:Stateful op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted
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
primitive a ocf:pacemaker:Stateful op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted
primitive b ocf:pacemaker:Stateful op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted
primitive c ocf:pacemaker:Stateful op monitor interval=10s role=Promoted op monitor interval=11s role=Unpromoted
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
