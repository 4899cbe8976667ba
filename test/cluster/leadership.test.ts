// Where etcd's leadership should go: to the member whose node runs the fewest resources,
// and only when that is fewer than the leader's node runs.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { leadershipTarget } from '../../src/cluster/etcd-leadership.js';

const members = ['node1', 'node2', 'node3'];

test('a leader whose node runs nothing stays', () => {
  assert.equal(leadershipTarget('node2', members, new Map([['node1', 2]])), undefined);
});

test('a leader whose node runs resources hands over to the lightest node, ties by name', () => {
  assert.equal(leadershipTarget('node1', members, new Map([['node1', 2]])), 'node2');
  assert.equal(leadershipTarget('node1', members, new Map([['node1', 2], ['node2', 1]])), 'node3');
});

test('no hand-over when every node runs as much as the leader', () => {
  assert.equal(leadershipTarget('node1', members, new Map([['node1', 1], ['node2', 1], ['node3', 1]])), undefined);
  assert.equal(leadershipTarget('node1', ['node1'], new Map([['node1', 3]])), undefined);
});

test('among equally light members, the one that has been a member longest', () => {
  assert.equal(leadershipTarget('node1', members, new Map([['node1', 2]]), ['node3', 'node1', 'node2']), 'node3');
});

test('etcd\'s leader leaves the DC\'s node for a member running nothing, not for one running resources', () => {
  assert.equal(leadershipTarget('node3', members, new Map([['node1', 1]]), [], 'node3'), 'node2');
  assert.equal(leadershipTarget('node3', members, new Map([['node1', 1], ['node2', 1]]), [], 'node3'), undefined);
});
