// corosync.conf: the guide's file reads as corosync reads it, mistakes are named with their
// line, and what tandem takes from it (name, token as lease, rings, nodes) is right.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { addressesOnNetworks, importCorosync } from '../../src/cluster/corosync-import.js';
import { etcdTimingFor, leaseForToken } from '../../src/cluster/timing.js';
import { readCorosync, sectionsNamed } from '../../src/formats/corosync/index.js';
import { InputError } from '../../src/model/errors.js';

const root = new URL('../../../', import.meta.url);
const seedText = readFileSync(new URL('examples/seed/corosync.conf', root), 'utf8');

test('the guide\'s corosync.conf reads whole: sections, repeated interfaces, values with their lines', () => {
  const top = readCorosync(seedText, 'corosync.conf');
  assert.deepEqual(top.sections.map((section) => section.name), ['totem', 'amf', 'service', 'aisexec', 'logging']);
  const totem = sectionsNamed(top, 'totem')[0]!;
  assert.equal(totem.values.get('token')?.value, '10000');
  assert.equal(sectionsNamed(totem, 'interface').length, 2);
  const tags = sectionsNamed(sectionsNamed(top, 'logging')[0]!, 'logger_subsys')[0]!.values.get('tags');
  assert.equal(tags?.value, 'enter|leave|trace1|trace2|trace3|trace4|trace6');
  const token = totem.values.get('token')!;
  assert.equal(seedText.split('\n')[token.position.line - 1]!.trim(), 'token: 10000');
});

test('the guide\'s token of 10 s becomes a 10 s lease; its rings, networks; its encryption and ring mode, warnings with lines', () => {
  const imported = importCorosync(readCorosync(seedText, 'corosync.conf'));
  assert.equal(imported.tokenMs, 10_000);
  assert.equal(imported.leaseTtlMs, 10_000);
  assert.deepEqual(imported.networks, ['192.168.42.0', '10.0.42.0']);
  assert.deepEqual(imported.nodes, []);
  const warned = imported.warnings.map((warning) => `${warning.position.line}: ${warning.message.split(':')[0]}`);
  const lineOf = (text: string) => seedText.split('\n').findIndex((line) => line.trim().startsWith(text)) + 1;
  assert.ok(warned.includes(`${lineOf('secauth')}: totem secauth`), warned.join('; '));
  assert.ok(warned.includes(`${lineOf('rrp_mode')}: totem rrp_mode`));
  assert.ok(warned.includes(`${lineOf('token_retransmits_before_loss_const')}: totem token_retransmits_before_loss_const`));
});

test('a nodelist gives each node its name and ring addresses; the cluster its name; quorum tricks are warned about', () => {
  const text = `totem {
  version: 2
  cluster_name: openstack
  token: 3000
  secauth: off
}
nodelist {
  node {
    ring1_addr: 10.213.1.11
    ring0_addr: 10.213.0.11
    name: controller1
    nodeid: 1
  }
  node {
    ring0_addr: 10.213.0.12
    name: controller2
    nodeid: 2
  }
}
quorum {
  provider: corosync_votequorum
  two_node: 1
}
`;
  const imported = importCorosync(readCorosync(text, 'c.conf'));
  assert.equal(imported.clusterName, 'openstack');
  assert.equal(imported.leaseTtlMs, 3_000);
  assert.deepEqual(imported.nodes, [
    { name: 'controller1', nodeId: 1, addresses: ['10.213.0.11', '10.213.1.11'] },
    { name: 'controller2', nodeId: 2, addresses: ['10.213.0.12'] },
  ]);
  assert.deepEqual(imported.warnings.map((warning) => [warning.position.line, warning.message.split(':')[0]]), [[22, 'quorum two_node']]);
});

test('mistakes are named with file and line, and what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['totem {\n  token: 1000\n', /^c\.conf:1:1: section 'totem' is never closed$/],
    ['totem {\n}\n}\n', /^c\.conf:3:1: '}' closes no section$/],
    ['token: 1000\n', /^c\.conf:1:1: 'token' must be inside a section/],
    ['totem {\n  token 1000\n}\n', /^c\.conf:2:3: expected 'key: value', 'section \{' or '\}', got 'token 1000'$/],
    ['totem {\n  token: soon\n}\n', /^c\.conf:2:10: token: expected a whole number, got 'soon'$/],
    ['totem {\n}\nnodelist {\n  node {\n    ring0_addr: controller1\n  }\n}\n', /^c\.conf:5:17: expected an IPv4 address, got 'controller1'/],
    ['totem {\n}\nnodelist {\n  node {\n    name: a\n  }\n}\n', /^c\.conf:4:3: a node needs ring0_addr$/],
    ['amf {\n}\n', /^c\.conf:1:1: expected one totem section, found 0$/],
  ];
  for (const [text, expected] of cases) {
    assert.throws(() => importCorosync(readCorosync(text, 'c.conf')), (error: unknown) => error instanceof InputError && expected.test(error.message), text);
  }
});

test('no input makes the reader throw anything but its own error', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom('totem {', '}', 'token: 5', 'node {', 'nodelist {', '# c', '', 'x: y'), fc.string()), { maxLength: 12 }), (lines) => {
      try {
        importCorosync(readCorosync(lines.join('\n'), 'f.conf'));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
      }
    }),
  );
});

test('token to lease to etcd timing: whole seconds; elections fit a lease as etcd demands', () => {
  assert.equal(leaseForToken(1_000), 1_000);
  assert.equal(leaseForToken(1_001), 2_000);
  assert.equal(leaseForToken(300), 1_000);
  assert.deepEqual(etcdTimingFor(1_000), { heartbeatMs: 25, electionMs: 250 });
  assert.deepEqual(etcdTimingFor(2_000), { heartbeatMs: 50, electionMs: 500 });
  assert.deepEqual(etcdTimingFor(10_000), { heartbeatMs: 250, electionMs: 2_500 });
  for (let leaseMs = 1_000; leaseMs <= 60_000; leaseMs += 1_000) {
    const { electionMs, heartbeatMs } = etcdTimingFor(leaseMs);
    // etcd's minimum lease TTL is 1.5 x the election timeout, rounded up to seconds.
    assert.ok(Math.ceil((1.5 * electionMs) / 1_000) * 1_000 <= leaseMs, `lease ${leaseMs}`);
    assert.ok(electionMs >= 5 * heartbeatMs);
  }
});

test('a host\'s addresses on the rings\' networks, ring order kept', () => {
  const local = [
    { address: '127.0.0.1', netmask: '255.0.0.0' },
    { address: '10.0.42.7', netmask: '255.255.255.0' },
    { address: '192.168.42.82', netmask: '255.255.255.0' },
  ];
  assert.deepEqual(addressesOnNetworks(local, ['192.168.42.0', '10.0.42.0']), ['192.168.42.82', '10.0.42.7']);
  assert.deepEqual(addressesOnNetworks(local, ['172.16.0.0']), []);
});
