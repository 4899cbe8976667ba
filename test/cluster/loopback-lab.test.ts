// tandem lab without network namespaces (what a user who is not root gets): three nodes as
// processes on 127.0.0.11-13, the service holding 127.0.0.100 itself; the active node is
// powered off (every process of it killed at once) and another node answers.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { cli } from '../../src/lab/cluster.js';

test('tandem lab --hosts loopback: the service fails over to another node, never on two at once, and the node comes back', () => {
  const result = spawnSync(process.execPath, [cli, 'lab', '--hosts', 'loopback', '--drills', '1', '--fault', 'both'], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /a network cut needs network namespaces \(run as root\): every drill powers the node off/);
  const drill = /(node\d) -> (node\d): the client saw (\d+) ms of downtime \(\d+ failed attempts, one every 20 ms\); VIP seen on at most (\d) node\(s\) at once/.exec(result.stdout);
  assert.ok(drill, result.stdout);
  assert.notEqual(drill[1], drill[2]);
  assert.ok(Number(drill[3]) > 0);
  assert.equal(drill[4], '1');
  // Brought up as an operator would, and back after the power-off the same way.
  assert.match(result.stdout, /node1: tandem cluster init; node2, node3: tandem cluster join --peer node1; members: node1, node2, node3\n/);
  assert.match(result.stdout, new RegExp(`${drill[1]} is back in the cluster \\(tandem cluster start, its data directory kept\\)`));
  assert.match(result.stdout, /Resource Group: g_services_api:\n\s+\* p_api-service\t\(tandem:process\):\t Started node\d/);
});
