// The meta values an agent is given (OCF_RESKEY_CRM_meta_*) are those Pacemaker's transition
// gives: a clone's limits with their defaults and the instance's number, the node, and a
// recurring monitor's name, interval and role. Checked against what crm_simulate 2.1.5 put in
// its transition graph for the same configuration, and with the real ocf:pacemaker:Stateful
// agent, whose environment dump is read back through resource-agents' own ocf-shellfuncs.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { agentEnvironment } from '../../src/agents/ocf.js';
import { parseCibText } from '../../src/formats/index.js';
import { findPrimitive } from '../../src/model/config.js';
import { agentMeta, type OperationTarget } from '../../src/node/operations.js';
import { TestNode, waitFor } from '../support/daemon.js';

const threeNodes = parseCibText(
  `node $id=1 node1
node $id=2 node2
node $id=3 node3
primitive st ocf:pacemaker:Stateful op monitor interval=10s role=Promoted timeout=33s op monitor interval=11s role=Unpromoted
clone ms st meta promotable=true notify=true
primitive d ocf:heartbeat:Dummy
clone c d
primitive u ocf:heartbeat:Dummy
clone uc u meta globally-unique=true clone-max=4 clone-node-max=2
primitive p ocf:heartbeat:Dummy
`,
  'meta.crm',
).cib;

/** The OCF_RESKEY_CRM_meta_* variables an agent would get, without the prefix. */
function crmMeta(definitionId: string, target: OperationTarget): Record<string, string> {
  const primitive = findPrimitive(threeNodes.configuration.resources, definitionId)!;
  const env = agentEnvironment({ agent: primitive.agent, action: target.task, instance: target.resource, params: {}, meta: agentMeta(threeNodes, primitive, target), timeoutMs: 20_000 });
  const prefix = 'OCF_RESKEY_CRM_meta_';
  return Object.fromEntries(Object.entries(env).flatMap(([name, value]) => (name.startsWith(prefix) && name !== `${prefix}timeout` ? [[name.slice(prefix.length), value!]] : [])));
}

test('an anonymous clone instance is told its number, the clone-max default (the node count), and its node', () => {
  assert.deepEqual(crmMeta('d', { resource: 'd:1', node: 'node2', task: 'start', intervalMs: 0 }), {
    clone: '1',
    clone_max: '3',
    clone_node_max: '1',
    globally_unique: 'false',
    notify: 'false',
    on_node: 'node2',
    on_node_uuid: '2',
  });
});

test('a promotable instance is told promoted-max under both names; a role monitor its name, interval and role', () => {
  assert.deepEqual(crmMeta('st', { resource: 'st:0', node: 'node1', task: 'monitor', intervalMs: 11_000, role: 'Unpromoted' }), {
    clone: '0',
    clone_max: '3',
    clone_node_max: '1',
    globally_unique: 'false',
    interval: '11000',
    master_max: '1',
    master_node_max: '1',
    name: 'monitor',
    notify: 'true',
    on_node: 'node1',
    on_node_uuid: '1',
    promotable: 'true',
    promoted_max: '1',
    promoted_node_max: '1',
    role: 'Unpromoted',
  });
});

test('a unique clone passes its configured limits; a plain primitive is told no clone value', () => {
  const unique = crmMeta('u', { resource: 'u:3', node: 'node3', task: 'stop', intervalMs: 0 });
  assert.equal(unique.clone, '3');
  assert.equal(unique.clone_max, '4');
  assert.equal(unique.clone_node_max, '2');
  assert.equal(unique.globally_unique, 'true');
  assert.deepEqual(crmMeta('p', { resource: 'p', node: 'node3', task: 'start', intervalMs: 0 }), { on_node: 'node3', on_node_uuid: '3' });
});

const node = new TestNode();
after(() => node.close());

/** The environment of each call the agent dumped ("### action @ date ###", then env | sort). */
function dumpedCalls(file: string): Array<{ action: string; env: Record<string, string> }> {
  return readFileSync(file, 'utf8')
    .split(/^### /m)
    .filter(Boolean)
    .map((block) => {
      const [header, ...lines] = block.split('\n');
      const env = Object.fromEntries(lines.filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
      return { action: header!.split(' ')[0]!, env };
    });
}

/** What resource-agents' ocf-shellfuncs concludes from the environment of an agent's call. */
function shellfuncsVerdicts({ action, env }: { action: string; env: Record<string, string> }): string[] {
  const script = '. /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs; ocf_is_clone && echo clone; ocf_is_ms && echo ms; ocf_is_probe && echo probe; true';
  // ocf-shellfuncs takes the action from the agent's first argument.
  const result = spawnSync('sh', ['-c', script, 'agent', action], { env, encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean);
}

test('the real Stateful agent sees its clone values, and ocf-shellfuncs takes it for a clone and a promotable one', async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const envfile = join(node.dir, 'env.log');
  writeFileSync(
    join(node.dir, 'ms.crm'),
    `primitive s ocf:pacemaker:Stateful params state=${join(node.dir, 's.state')} envfile=${envfile} op monitor interval=2s role=Promoted op monitor interval=3s role=Unpromoted
clone ms s meta promotable=true
property stonith-enabled=false
`,
  );
  const loaded = node.tandem('configure', 'load', join(node.dir, 'ms.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  const promotedMonitor = () => (existsSync(envfile) ? dumpedCalls(envfile).find((call) => call.action === 'monitor' && call.env.OCF_RESKEY_CRM_meta_role === 'Promoted') : undefined);
  await waitFor('a monitor of the promoted instance', () => promotedMonitor() !== undefined);
  const calls = dumpedCalls(envfile);
  const startCall = calls.find((call) => call.action === 'start')!;
  const start = startCall.env;
  assert.equal(start.OCF_RESKEY_CRM_meta_clone, '0');
  assert.equal(start.OCF_RESKEY_CRM_meta_clone_max, '1');
  assert.equal(start.OCF_RESKEY_CRM_meta_master_max, '1');
  assert.equal(start.OCF_RESKEY_CRM_meta_on_node, 'node1');
  assert.equal(start.OCF_RESKEY_CRM_meta_interval, undefined);
  assert.deepEqual(shellfuncsVerdicts(startCall), ['clone', 'ms']);
  assert.deepEqual(shellfuncsVerdicts(calls.find((call) => call.action === 'monitor')!), ['clone', 'ms', 'probe']);
  const monitor = promotedMonitor()!;
  assert.equal(monitor.env.OCF_RESKEY_CRM_meta_name, 'monitor');
  assert.equal(monitor.env.OCF_RESKEY_CRM_meta_interval, '2000');
  assert.deepEqual(shellfuncsVerdicts(monitor), ['clone', 'ms']);
});
