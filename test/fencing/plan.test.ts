// Which devices fence a node and in which order, the fencer trying levels in turn, and
// fencing by a node's own watchdog where no device reaches it.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { fenceNode, type FenceAgentCall } from '../../src/fencing/fencer.js';
import { fencePlan } from '../../src/fencing/plan.js';
import { everyMemberHasWatchdog, selfFenceWait, watchdogAttribute } from '../../src/fencing/watchdog.js';
import { emptyCib } from '../../src/model/cib.js';
import { readCib } from '../../src/formats/cib/index.js';

const cib = readCib(
  `<cib><configuration><crm_config/><nodes><node id="1" uname="node1"/><node id="2" uname="node2"><instance_attributes id="a"><nvpair id="a1" name="rack" value="r2"/></instance_attributes></node><node id="3" uname="node3"/></nodes>
<resources>
  <primitive id="ipmi1" class="stonith" type="fence_ipmilan"><instance_attributes id="i1"><nvpair id="i1a" name="pcmk_host_list" value="node1"/><nvpair id="i1b" name="ip" value="10.213.0.201"/></instance_attributes></primitive>
  <primitive id="pdu" class="stonith" type="fence_apc"><instance_attributes id="p"><nvpair id="pa" name="pcmk_host_map" value="node1:4;node2:5"/></instance_attributes></primitive>
  <primitive id="anything" class="stonith" type="fence_tandem_lab"/>
  <primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>
</resources><constraints/>
<fencing-topology>
  <fencing-level id="l2" target="node1" index="2" devices="pdu"/>
  <fencing-level id="l1" target="node1" index="1" devices="ipmi1"/>
  <fencing-level id="r" target-attribute="rack" target-value="r2" index="1" devices="pdu,anything"/>
</fencing-topology></configuration><status/></cib>`,
  'fencing.xml',
);
const configuration = cib.configuration;
const steps = (node: string) => fencePlan(configuration, node).map((level) => level.map((step) => `${step.device.id}:${step.port}`));

test('topology levels are tried by index; a level may need several devices', () => {
  assert.deepEqual(steps('node1'), [['ipmi1:node1'], ['pdu:4']]);
  assert.deepEqual(steps('node2'), [['pdu:5', 'anything:node2']]);
});

test('without a topology: each device that reaches the node, in configuration order', () => {
  // node3 is in no list or map: only the device with neither reaches it.
  assert.deepEqual(steps('node3'), [['anything:node3']]);
});

test('the fencer goes to the next level when one fails, and says what failed', async () => {
  const calls: string[] = [];
  const run = async (call: FenceAgentCall) => {
    calls.push(`${call.type} ${call.action} ${call.port}`);
    return { ok: call.type === 'fence_apc', output: call.type === 'fence_apc' ? '' : 'no answer from the BMC' };
  };
  const outcome = await fenceNode(configuration, 'node1', run);
  assert.deepEqual(outcome, { ok: true, method: 'device', detail: 'pdu' });
  assert.deepEqual(calls, ['fence_ipmilan reboot node1', 'fence_apc reboot 4']);
  const nobody = await fenceNode({ ...configuration, resources: [] }, 'node1', run);
  assert.deepEqual(nobody, { ok: false, detail: 'no fencing device can reach node1' });
});

test('watchdog fencing: only with stonith-watchdog-timeout set, for a node that runs a watchdog, never shorter than its timeout', async () => {
  const noDevices = { ...emptyCib().configuration, properties: { 'stonith-watchdog-timeout': '10s' } };
  const waited: number[] = [];
  const selfFence = (nodeWatchdogMs: number | undefined) => ({ nodeWatchdogMs, wait: async (ms: number) => void waited.push(ms) });
  const run = async () => ({ ok: true, output: '' });
  assert.deepEqual(await fenceNode(noDevices, 'node1', run, { selfFence: selfFence(5_000) }), { ok: true, method: 'watchdog', detail: 'watchdog (node1 has reset or stopped everything: 10000 ms since it was lost)' });
  assert.deepEqual(waited, [10_000]);
  assert.match((await fenceNode(noDevices, 'node1', run, { selfFence: selfFence(undefined) })).detail, /node1 runs no watchdog/);
  assert.match((await fenceNode(noDevices, 'node1', run, { selfFence: selfFence(20_000) })).detail, /shorter than node1's watchdog timeout \(20000 ms\)/);
  assert.match((await fenceNode({ ...noDevices, properties: {} }, 'node1', run, { selfFence: selfFence(5_000) })).detail, /stonith-watchdog-timeout is not set/);
  assert.deepEqual(selfFenceWait({ 'stonith-watchdog-timeout': '-1' }, 'node1', 3_000), { ok: true, waitMs: 6_000 });
  assert.equal(waited.length, 1, 'nothing waited for where watchdog fencing does not apply');
  const members = new Set(['node1', 'node2']);
  const states = (second: Record<string, string>) => [
    { uname: 'node1', transientAttributes: { [watchdogAttribute]: '5000' } },
    { uname: 'node2', transientAttributes: second },
    { uname: 'node3', transientAttributes: {} },
  ];
  assert.equal(everyMemberHasWatchdog(states({ [watchdogAttribute]: '5000' }), members), true);
  assert.equal(everyMemberHasWatchdog(states({}), members), false);
});
