// The cluster's verdict on each server, from real CIBs through the node's own view and
// scheduler (what `status.watch` sends), and from hand-made snapshots for the rarer states.
// Pure: nothing here opens a socket or resolves a name (node addresses are names under .lab).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { changeNode, changeResource } from '../../src/admin/commands.js';
import type { ClusterSnapshot } from '../../src/api/protocol.js';
import { checkTiedBackends, clusterVerdicts, nodeOf, tiedBackends, type ServerVerdict } from '../../src/balancer/cluster-verdicts.js';
import { planBalancer, type BalancerPlan } from '../../src/balancer/plan.js';
import { ServerState } from '../../src/balancer/server-state.js';
import { serversState } from '../../src/balancer/servers-state.js';
import { rowClass } from '../../src/balancer/stats-page.js';
import { statsRows } from '../../src/balancer/stats.js';
import { Backend } from '../../src/balancer/backend.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import type { Cib } from '../../src/model/cib.js';
import type { Clone, Group } from '../../src/model/config.js';
import { schedule } from '../../src/scheduler/index.js';
import { clusterView, plannedDepartures, type ClusterView } from '../../src/status/view.js';
import { cluster, dummy, ran } from '../support/build.js';

const nowS = 1_700_000_000;
const addresses: Record<string, string> = { node1: 'n1.lab', node2: 'n2.lab', node3: 'n3.lab' };

const haproxy = `defaults
  mode tcp
  timeout connect 1s
backend api
  server n1 n1.lab:80
  server n2 n2.lab:80
  server n3 NODE3:80
  server ext db.example:80
backend web
  server n1 n1.lab:8080
  server n2 n2.lab:8080
backend float
  server vip vip.lab:80
backend local
  server self 127.0.0.1:80
`;
const plan: BalancerPlan = planBalancer(readHaproxy(haproxy, 'haproxy.cfg').config);

/** What the node sends for this CIB: the same functions the daemon's status.watch runs. */
function snapshotOf(cib: Cib, members = ['node1', 'node2', 'node3'], node = 'node1'): ClusterSnapshot {
  return {
    node,
    revision: 1,
    view: clusterView(cib, nowS),
    leaving: plannedDepartures(cib.configuration, schedule({ cib, nowS })),
    members: members.map((name) => ({ name, addresses: [addresses[name]!] })),
  };
}

/** A cluster of three nodes: web runs on node1, ip on node2. */
function running(): Cib {
  const cib = cluster(['node1', 'node2', 'node3'], [dummy('web'), dummy('ip')]);
  ran(cib, 'node1', 'web');
  ran(cib, 'node2', 'ip');
  // Keep each where it is.
  cib.configuration.constraints.push({ type: 'location', id: 'web-on-node1', rsc: 'web', score: '100', node: 'node1', rules: [], extra: {} });
  cib.configuration.constraints.push({ type: 'location', id: 'ip-on-node2', rsc: 'ip', score: '100', node: 'node2', rules: [], extra: {} });
  return cib;
}

/** "backend/server state: reason" for every server, for assertions that show everything at once. */
function verdicts(snapshot: ClusterSnapshot, tied: Record<string, string> = {}, knownAddresses?: Map<string, string[]>): Record<string, string> {
  const input = { snapshot, plan, resources: new Map(Object.entries(tied)), ...(knownAddresses ? { knownAddresses } : {}) };
  return Object.fromEntries(clusterVerdicts(input).map((verdict: ServerVerdict) => [`${verdict.backend}/${verdict.server}`, `${verdict.state}: ${verdict.reason}`]));
}

test('all online: servers on nodes are up, by address, by host name, and loopback as the followed node; others are left alone', () => {
  const snapshot = snapshotOf(running());
  assert.deepEqual(verdicts(snapshot), {
    'api/n1': 'up: node1 is online',
    'api/n2': 'up: node2 is online',
    'api/n3': 'up: node3 is online',
    'api/ext': "up: db.example is not a tandem node's address",
    'web/n1': 'up: node1 is online',
    'web/n2': 'up: node2 is online',
    'float/vip': "up: vip.lab is not a tandem node's address",
    'local/self': 'up: node1 is online',
  });
  const located = clusterVerdicts({ snapshot, plan, resources: new Map() }).map((verdict) => verdict.node ?? '-');
  assert.deepEqual(located, ['node1', 'node2', 'node3', '-', 'node1', 'node2', '-', 'node1']);
});

test('a backend tied to a resource is up only where it is Started; a server on no node follows it wherever it runs', () => {
  const snapshot = snapshotOf(running());
  const result = verdicts(snapshot, { web: 'web', float: 'ip', local: 'nosuch' });
  assert.equal(result['web/n1'], 'up: web is Started on node1');
  assert.equal(result['web/n2'], 'down: web is not Started on node2');
  assert.equal(result['float/vip'], 'up: ip is Started on node2');
  assert.equal(result['local/self'], 'down: the cluster has no resource nosuch');
  assert.equal(result['api/n1'], 'up: node1 is online', 'untied backends keep node-level verdicts');
});

test('resource stop: drained where it still runs, down once stopped; started again: up', () => {
  const cib = running();
  changeResource(cib, 'stop', 'web');
  let result = verdicts(snapshotOf(cib), { web: 'web', float: 'web' });
  assert.equal(result['web/n1'], 'drain: web is being stopped on node1');
  assert.equal(result['float/vip'], 'drain: web is being stopped on node1');
  assert.equal(result['api/n1'], 'up: node1 is online', 'a resource stop is nothing to the node');

  ran(cib, 'node1', 'web', 'stop');
  result = verdicts(snapshotOf(cib), { web: 'web', float: 'web' });
  assert.equal(result['web/n1'], 'down: web is not Started on node1');
  assert.equal(result['float/vip'], 'down: web is not Started anywhere');

  changeResource(cib, 'start', 'web');
  ran(cib, 'node1', 'web', 'start');
  assert.equal(verdicts(snapshotOf(cib), { web: 'web' })['web/n1'], 'up: web is Started on node1');
});

test('resource move: drained on the node it leaves, down where it is not yet, up where it arrives', () => {
  const cib = running();
  changeResource(cib, 'move', 'web', 'node2');
  assert.deepEqual(plannedDepartures(cib.configuration, schedule({ cib, nowS })), { web: ['node1'] });
  let result = verdicts(snapshotOf(cib), { web: 'web' });
  assert.equal(result['web/n1'], 'drain: web is being stopped on node1');
  assert.equal(result['web/n2'], 'down: web is not Started on node2');
  ran(cib, 'node1', 'web', 'stop');
  ran(cib, 'node2', 'web', 'start');
  result = verdicts(snapshotOf(cib), { web: 'web' });
  assert.equal(result['web/n1'], 'down: web is not Started on node1');
  assert.equal(result['web/n2'], 'up: web is Started on node2');
});

test('standby drains every server of the node (the node is why, first); online brings them back', () => {
  const cib = running();
  changeNode(cib, 'standby', 'node1');
  const result = verdicts(snapshotOf(cib), { web: 'web' });
  assert.equal(result['api/n1'], 'drain: node1 is in standby');
  assert.equal(result['local/self'], 'drain: node1 is in standby');
  assert.equal(result['web/n1'], 'drain: node1 is in standby');
  assert.equal(result['api/n2'], 'up: node2 is online');
  changeNode(cib, 'online', 'node1');
  assert.equal(verdicts(snapshotOf(cib), { web: 'web' })['web/n1'], 'up: web is Started on node1');
});

test('a failed resource is down where it failed, before any recovery', () => {
  const cib = running();
  ran(cib, 'node1', 'web', 'monitor', 7, 10_000);
  const snapshot = snapshotOf(cib);
  assert.ok((snapshot.leaving.web ?? []).includes('node1'), 'recovery stops it there');
  const result = verdicts(snapshot, { web: 'web', float: 'web' });
  assert.equal(result['web/n1'], 'down: web failed on node1');
  assert.equal(result['float/vip'], 'down: web failed on node1');
  assert.equal(result['api/n1'], 'up: node1 is online');
});

test('an offline node: its servers are down; a node that left the membership stays known by the addresses seen before', () => {
  const offline = cluster(['node1', 'node2', 'node3'], [dummy('web')], ['node1', 'node3']);
  ran(offline, 'node1', 'web');
  const snapshot = snapshotOf(offline, ['node1', 'node3']);
  // Its address is in no member any more: without memory the server is nobody's.
  assert.equal(verdicts(snapshot)['api/n2'], "up: n2.lab is not a tandem node's address");
  const known = new Map([['node2', ['n2.lab']]]);
  assert.equal(verdicts(snapshot, {}, known)['api/n2'], 'down: node2 is offline');
  assert.equal(verdicts(snapshot, { web: 'web' }, known)['web/n2'], 'down: node2 is offline', 'the node is why, not the resource');
  // Online in the CIB but its lease gone (the view not caught up yet): not a member.
  assert.equal(verdicts(snapshotOf(running(), ['node1', 'node3']), {}, known)['api/n2'], 'down: node2 is not a member of the cluster');
});

/** A snapshot with the node conditions given (the rest as running() has it). */
function withConditions(conditions: Record<string, ClusterView['nodes'][number]['condition']>): ClusterSnapshot {
  const snapshot = snapshotOf(running());
  snapshot.view.nodes = snapshot.view.nodes.map((node) => ({ ...node, condition: conditions[node.name] ?? node.condition }));
  return snapshot;
}

test('unclean and not a node of the cluster: down; shutting down: drain; maintenance: up (what runs is left alone)', () => {
  const result = verdicts(withConditions({ node1: 'unclean', node2: 'shutting down', node3: 'maintenance' }));
  assert.equal(result['api/n1'], 'down: node1 is unclean (lost, not fenced yet)');
  assert.equal(result['api/n2'], 'drain: node2 is shutting down');
  assert.equal(result['api/n3'], 'up: node3 is in maintenance (what runs there is left alone)');
  const forgotten = snapshotOf(running());
  forgotten.view.nodes = forgotten.view.nodes.filter((node) => node.name !== 'node2');
  assert.equal(verdicts(forgotten)['api/n2'], 'down: node2 is not a node of the cluster');
});

test('groups: up where every member runs, a member by its own id; clones by their id or their child id', () => {
  const group: Group = { kind: 'group', id: 'g', children: [dummy('gip'), dummy('gsvc')], meta: {}, params: {}, extra: {} };
  const clone: Clone = { kind: 'clone', id: 'c', promotable: false, legacyMaster: false, child: dummy('csvc'), meta: {}, params: {}, extra: {} };
  const cib = cluster(['node1', 'node2', 'node3'], [group, clone]);
  cib.configuration.constraints.push({ type: 'location', id: 'g-on-node1', rsc: 'g', score: '100', node: 'node1', rules: [], extra: {} });
  ran(cib, 'node1', 'gip');
  ran(cib, 'node1', 'gsvc');
  for (const node of ['node1', 'node2']) ran(cib, node, 'csvc');
  cib.configuration.constraints.push({ type: 'location', id: 'c-not-node3', rsc: 'c', score: '-INFINITY', node: 'node3', rules: [], extra: {} });
  let result = verdicts(snapshotOf(cib), { web: 'g', api: 'csvc', float: 'gsvc' });
  assert.equal(result['web/n1'], 'up: g is Started on node1');
  assert.equal(result['web/n2'], 'down: g is not Started on node2');
  assert.equal(result['api/n1'], 'up: csvc is Started on node1');
  assert.equal(result['api/n3'], 'down: csvc is not Started on node3');
  assert.equal(result['float/vip'], 'up: gsvc is Started on node1');

  // The group stopping: its members' stops count for the group.
  changeResource(cib, 'stop', 'g');
  assert.deepEqual(plannedDepartures(cib.configuration, schedule({ cib, nowS })), { g: ['node1'], gip: ['node1'], gsvc: ['node1'] });
  // A clone stopped: every instance's stop counts for the clone and its child.
  changeResource(cib, 'stop', 'c');
  const leaving = plannedDepartures(cib.configuration, schedule({ cib, nowS }));
  assert.deepEqual([leaving.c, leaving.csvc], [['node1', 'node2'], ['node1', 'node2']]);
  result = verdicts(snapshotOf(cib), { web: 'g', api: 'c' });
  assert.equal(result['web/n1'], 'drain: g is being stopped on node1');
  assert.equal(result['api/n2'], 'drain: c is being stopped on node2');

  // Only part of the group runs: not serving.
  ran(cib, 'node1', 'gsvc', 'stop');
  assert.equal(verdicts(snapshotOf(cib), { web: 'g' })['web/n1'], 'down: g is not Started on node1');
});

test('a promotable clone serves where it is Promoted; a demotion drains', () => {
  const snapshot = snapshotOf(running());
  snapshot.view.resources.push({ kind: 'clone', id: 'db', childId: 'galera', promotable: true, attributes: ['promotable'], summary: [], byRole: { Promoted: ['node1'], Unpromoted: ['node2'], Stopped: ['node3'] }, details: [] });
  let result = verdicts(snapshot, { web: 'db', api: 'galera' });
  assert.equal(result['web/n1'], 'up: db is Promoted on node1');
  assert.equal(result['web/n2'], 'down: db is not Promoted on node2');
  assert.equal(result['api/n3'], 'down: galera is not Promoted on node3');
  snapshot.leaving.db = ['node1'];
  result = verdicts(snapshot, { web: 'db' });
  assert.equal(result['web/n1'], 'drain: db is being stopped or demoted on node1');
  snapshot.view.resources[snapshot.view.resources.length - 1] = { kind: 'clone', id: 'db', childId: 'galera', promotable: true, attributes: ['promotable'], summary: [], byRole: { Promoted: ['node1'] }, details: [{ kind: 'primitive', id: 'galera:0', agent: 'ocf:heartbeat:galera', role: 'Promoted', nodes: ['node1'], failed: true, managed: true, orphaned: false, flags: [] }] };
  assert.equal(verdicts(snapshot, { web: 'db' })['web/n1'], 'down: db failed on node1');
});

test('which node a server is on: a member address first, then addresses seen before, then a node name (any case), then loopback', () => {
  const snapshot = snapshotOf(running());
  snapshot.members.push({ name: 'node4', addresses: ['node2'] }); // an address that is also a node's name
  assert.equal(nodeOf('node2', snapshot), 'node4');
  assert.equal(nodeOf('NODE3', snapshot), 'node3');
  assert.equal(nodeOf('seen.lab', snapshot, new Map([['node5', ['seen.lab']]])), 'node5');
  assert.equal(nodeOf('127.0.0.1', snapshot), 'node1');
  assert.equal(nodeOf('localhost', { ...snapshot, node: 'node2' }), 'node2');
  assert.equal(nodeOf('::1', snapshot), 'node1');
  assert.equal(nodeOf('elsewhere.lab', snapshot), undefined);
  assert.equal(nodeOf('N1.LAB', snapshot), 'node1', 'addresses compare without case (host names)');
});

test('--resource: BACKEND=RESOURCE, one resource per backend, and only backends of the file', () => {
  assert.deepEqual([...tiedBackends(['web=p_web', 'api = g_api', 'web=p_web'])], [['web', 'p_web'], ['api', 'g_api']]);
  assert.throws(() => tiedBackends(['web']), /^InputError: --resource web: expected BACKEND=RESOURCE/);
  assert.throws(() => tiedBackends(['=p_web']), /^InputError: --resource =p_web: expected BACKEND=RESOURCE/);
  assert.throws(() => tiedBackends(['web=']), /expected BACKEND=RESOURCE/);
  assert.throws(() => tiedBackends(['web=a', 'web=b']), /^InputError: --resource: backend 'web' is tied to both a and b$/);
  assert.doesNotThrow(() => checkTiedBackends(tiedBackends(['web=p_web', 'local=x']), plan, 'haproxy.cfg'));
  assert.throws(() => checkTiedBackends(tiedBackends(['wbe=p_web']), plan, 'haproxy.cfg'), /^InputError: --resource wbe=p_web: haproxy.cfg has no backend or listen section named 'wbe' \(it has: api, web, float, local\)$/);
});

test("a server's cluster verdict: drain and down take no new connections, shown as HAProxy shows an agent's; leaving down needs a passing check", () => {
  const backend = new Backend(planBalancer(readHaproxy(`defaults\n  mode tcp\nbackend b\n  server s 127.0.0.2:80 check rise 2 fall 3\n  server t 127.0.0.3:80\n`, 'x.cfg').config).backends[0]!);
  const [checked, unchecked] = backend.servers as [ServerState, ServerState];
  const row = () => statsRows([{ name: 'b', backend }]).find((candidate) => candidate.svname === 's')!;
  const opState = () => serversState([{ backend }]).split('\n')[2]!.split(' ')[5];

  checked.setCluster('drain');
  assert.deepEqual([checked.usable, checked.status, rowClass(row()), opState()], [false, 'DRAIN (cluster)', 'active_draining', '3']);
  checked.setCluster('up');
  assert.deepEqual([checked.usable, checked.status, opState()], [true, 'UP', '2'], 'drain to up: it never stopped, no check needed');

  checked.setCluster('down');
  assert.deepEqual([checked.usable, checked.status, rowClass(row()), opState()], [false, 'DOWN (cluster)', 'active_down', '0']);
  checked.setCluster('up');
  assert.deepEqual([checked.usable, checked.status, rowClass(row())], [false, 'DOWN 1/2', 'active_going_up']);
  checked.recordCheck(true, 'L4OK');
  assert.deepEqual([checked.usable, checked.status], [true, 'UP']);

  // Admin states still win where HAProxy's do.
  checked.setCluster('drain');
  checked.setAdmin('maint');
  assert.equal(checked.status, 'MAINT');
  checked.setAdmin('drain');
  assert.equal(checked.status, 'DRAIN');

  unchecked.setCluster('down');
  unchecked.setCluster('up');
  assert.deepEqual([unchecked.usable, unchecked.status], [true, 'no check'], 'without a check, up at once');
});
