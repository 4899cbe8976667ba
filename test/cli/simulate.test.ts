import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { withTempDir } from '../support/temp.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const seed = fileURLToPath(new URL('../../../examples/seed/openstack.crm', import.meta.url));

function tandem(...args: string[]) {
  const result = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('simulate the seed: the guide leaves fencing on without a device, and tandem says so', () => {
  const { status, stdout } = tandem('simulate', seed);
  assert.equal(status, 0);
  assert.match(stdout, /warning: Resource start-up disabled since no STONITH resources have been defined/);
  assert.match(stdout, /warning: .*openstack\.crm:\d+:1: continuation line without a trailing backslash/);
  assert.match(stdout, /Transition Summary:\n\nRevised Cluster Status:/);
});

test('simulate, save, and simulate again from the saved CIB, as with crm_simulate', () => {
  withTempDir((dir) => {
    const config = join(dir, 'cluster.crm');
    writeFileSync(config, readFileSync(seed, 'utf8') + '\nproperty stonith-enabled=false\n');
    const saved = join(dir, 'after.xml');
    const first = tandem('simulate', config, '--save-output', saved);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /\* Start {6}p_api-ip {23}\( node1 \)/);
    const second = tandem('simulate', saved, '--node-down', 'node1', '--json');
    assert.equal(second.status, 0, second.stderr);
    const facts = JSON.parse(second.stdout) as { summary: Array<{ change: string; resource: string; to?: string }> };
    assert.ok(facts.summary.some((item) => item.change === 'Start' && item.resource === 'p_api-ip' && item.to === 'node2'));
    assert.ok(!facts.summary.some((item) => item.to === 'node1'));
    // Pacemaker itself accepts what tandem saved.
    const pacemaker = spawnSync('crm_simulate', ['-x', saved, '-S'], { encoding: 'utf8' });
    assert.equal(pacemaker.status, 0, pacemaker.stderr);
    const explained = tandem('simulate', saved, '--node-down', 'node1', '--explain', 'p_api-ip');
    // node1 left cleanly, so what ran there is stopped; the explanation says why node2 wins.
    assert.match(explained.stdout, /Explanation for p_api-ip:\n {2}p_api-ip: now stopped; next Started on node2\.\n {4}node1: final score -INFINITY \(offline: cannot run resources\)/);
    assert.match(explained.stdout, / {4}node2 was chosen: it has the highest score/);
  });
});

test('user mistakes give one clear line and exit 1, never a stack trace', () => {
  withTempDir((dir) => {
    const missing = tandem('simulate', join(dir, 'missing.crm'));
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, `tandem: cannot read ${join(dir, 'missing.crm')}: no such file\n`);
    const bad = join(dir, 'bad.crm');
    writeFileSync(bad, 'primitive a ocf:heartbeat:Dummy\ncolocation c inf: a nothing\n');
    const result = tandem('simulate', bad);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `tandem: ${bad}:2:21: constraint names resource "nothing", which is not defined\n`);
    const injected = tandem('simulate', seed, '--op-inject', 'nonsense');
    assert.equal(injected.status, 1);
    assert.match(injected.stderr, /^tandem: invalid operation "nonsense": expected RESOURCE_TASK_INTERVALMS@NODE=RC/);
    assert.doesNotMatch(missing.stderr + result.stderr + injected.stderr, /\n\s+at /);
  });
});

test('configure verify checks a file without a daemon and says where it is wrong', () => {
  // The seed names agents this machine may not have (drbd, rabbitmq-server): checked without them.
  const good = tandem('configure', 'verify', seed, '--without-agents');
  assert.equal(good.status, 0);
  assert.match(good.stdout, /openstack\.crm: valid \(6 top-level resources, 4 constraint\(s\)\)/);
  const network = fileURLToPath(new URL('../../../examples/seed/verbatim/network.crm', import.meta.url));
  const bad = tandem('configure', 'verify', network, '--without-agents');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /network\.crm:14:3: group g_services_network names "p_neutron-metadata_agent", which is not defined \(did you mean "p_neutron-metadata-agent"\?\)/);
});

test('simulate grants, revokes and puts tickets in standby as crm_simulate -g/-r/-b/-e does', () => {
  const fixture = fileURLToPath(new URL('../../../test/fixtures/tickets.xml', import.meta.url));
  const args = ['--ticket-grant', 'site-a', '--ticket-revoke', 'site-d', '--ticket-activate', 'site-b', '--ticket-standby', 'site-e'];
  const { status, stdout } = tandem('simulate', fixture, ...args);
  assert.equal(status, 0);
  const section = (text: string, title: string) => text.slice(text.indexOf(title), text.indexOf('\n\n', text.indexOf(title)));
  const pacemaker = spawnSync('crm_simulate', ['-S', '-x', fixture, ...args], { encoding: 'utf8' });
  assert.equal(pacemaker.status, 0, pacemaker.stderr);
  assert.equal(section(stdout, 'Performing Requested Modifications:'), section(pacemaker.stdout, 'Performing Requested Modifications:'));
  assert.equal(section(stdout, 'Transition Summary:'), section(pacemaker.stdout, 'Transition Summary:'));
  // Before anything is done node3 is a member like any other (crm_mon shows state, not decisions); after, it is fenced.
  assert.equal(section(stdout, 'Current cluster status:'), section(pacemaker.stdout, 'Current cluster status:'));
  assert.match(stdout, /Revised Cluster Status:\n {2}\* Node List:\n {4}\* Online: \[ node1 node2 \]\n {4}\* OFFLINE: \[ node3 \]/);
  // Standby does not grant: site-e is still revoked, so worker's node is fenced all the same.
  assert.match(stdout, /\* Fence \(reboot\) node3 'deadman ticket was lost'/);
  assert.match(stdout, /\* Start {6}b:0 +\( +node1 \)/);
});
