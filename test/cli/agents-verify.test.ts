// A configuration is checked against the OCF agents installed here (the real ones of
// resource-agents): their meta-data says which parameters exist and which are required,
// their validate-all judges a resource's parameters.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createAgentDescriber } from '../../src/agents/ocf-metadata.js';
import { cli, TestNode, waitFor } from '../support/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-verify-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function verify(text: string) {
  const file = join(dir, 'config.crm');
  writeFileSync(file, text);
  return { file, ...spawnSync(process.execPath, [cli, 'configure', 'verify', file], { encoding: 'utf8' }) };
}

test('the meta-data of Dummy and IPaddr2 is read: parameters, required ones, advised timeouts', () => {
  const describe = createAgentDescriber();
  const ipaddr = describe({ class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' });
  assert.ok(ipaddr.installed && ipaddr.description);
  assert.deepEqual(ipaddr.description.parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name), ['ip']);
  assert.ok(ipaddr.description.parameters.some((parameter) => parameter.name === 'cidr_netmask'));
  const dummy = describe({ class: 'ocf', provider: 'heartbeat', type: 'Dummy' });
  assert.ok(dummy.installed && dummy.description);
  assert.equal(dummy.description.actions.find((action) => action.name === 'start')?.timeoutMs, 20_000);
  assert.equal(dummy.description.actions.find((action) => action.name === 'monitor')?.intervalMs, 10_000);
  assert.deepEqual(describe({ class: 'ocf', provider: 'heartbeat', type: 'NoSuchAgent' }), { installed: false, path: '/usr/lib/ocf/resource.d/heartbeat/NoSuchAgent' });
});

test('verify: an agent that is not installed is an error naming the resource, file and line', () => {
  const result = verify('primitive d ocf:heartbeat:Dummy\nprimitive gone ocf:heartbeat:NoSuchAgent\n');
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim(), `tandem: ${result.file}:2:11: primitive gone: agent ocf:heartbeat:NoSuchAgent is not installed (no /usr/lib/ocf/resource.d/heartbeat/NoSuchAgent)`);
});

test('verify: a required parameter missing is an error; one the agent does not declare a warning', () => {
  const missing = verify('primitive vip ocf:heartbeat:IPaddr2 \\\n  params cidr_netmask=24\n');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /config\.crm:1:11: primitive vip: required parameter ip of ocf:heartbeat:IPaddr2 is not set/);
  const unknown = verify(`primitive d ocf:heartbeat:Dummy params state=${join(dir, 'd.state')} colour=blue\n`);
  assert.equal(unknown.status, 0, unknown.stderr);
  assert.match(unknown.stderr, /config\.crm:1:11: primitive d: ocf:heartbeat:Dummy has no parameter colour/);
  assert.doesNotMatch(unknown.stderr, /validate-all/);
});

test("verify: the agent's validate-all failing is a warning naming the resource", () => {
  const result = verify('primitive d ocf:heartbeat:Dummy params state=/nonexistent/tandem/d.state\n');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /config\.crm:1:11: primitive d: validate-all failed: rc 2 \(invalid argument\)/);
});

const node = new TestNode();
after(() => node.close());

test('configure load refuses an agent that is not installed, and changes nothing', async () => {
  node.start('node.log');
  await waitFor('the control socket', () => node.status() !== undefined);
  const file = join(node.dir, 'bad.crm');
  writeFileSync(file, 'primitive gone ocf:heartbeat:NoSuchAgent\nproperty stonith-enabled=false\n');
  const refused = node.tandem('configure', 'load', file);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /bad\.crm:1:11: primitive gone: agent ocf:heartbeat:NoSuchAgent is not installed/);
  assert.doesNotMatch(node.tandem('configure', 'show').stdout, /gone/);
  writeFileSync(file, `primitive d ocf:heartbeat:Dummy params state=${join(node.dir, 'd.state')} colour=blue\nproperty stonith-enabled=false\n`);
  const loaded = node.tandem('configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  assert.match(loaded.stderr, /bad\.crm:1:11: primitive d: ocf:heartbeat:Dummy has no parameter colour/);
});

test('verify: the built-in agents are checked as OCF ones are: an unknown one, a missing or malformed parameter is an error, an undeclared one a warning', () => {
  const cases: Array<[string, RegExp]> = [
    ['primitive p tandem:process params cwd=/tmp', /:1:11: primitive p: tandem:process: the "command" parameter is required/],
    ['primitive v tandem:vip params ip=10.213.0.300', /:1:11: primitive v: tandem:vip: the "ip" parameter must be an IPv4 address, not "10\.213\.0\.300"/],
    ['primitive c tandem:http params url=http://127.0.0.1/ expect_status=600', /:1:11: primitive c: tandem:http: expect_status "600" is not an HTTP status/],
    ['primitive t tandem:tcp params port=70000', /:1:11: primitive t: tandem:tcp: the "port" parameter must be a TCP port/],
    ['primitive x tandem:nosuch', /:1:11: primitive x: tandem:nosuch is not one of tandem's built-in agents \(tandem:process, tandem:vip, tandem:http, tandem:tcp\)/],
  ];
  for (const [line, expected] of cases) {
    const result = verify(`${line}\nproperty stonith-enabled=false\n`);
    assert.equal(result.status, 1, line);
    assert.match(result.stderr, expected);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  }
  const warned = verify('primitive t tandem:tcp params port=80 colour=red\nproperty stonith-enabled=false\n');
  assert.equal(warned.status, 0, warned.stderr);
  assert.match(warned.stderr, /warning: .*:1:11: primitive t: tandem:tcp has no parameter colour/);
  // Their meta-data is what the check reads, and what the agent itself answers.
  for (const type of ['process', 'vip', 'http', 'tcp']) assert.match(verify(`primitive r tandem:${type}\n`).stderr, new RegExp(`tandem:${type}`));
});
