// Operators' resource changes as crm_resource makes them: a move or ban that names no node
// bans the resource from the one node it runs on; with none or several, it asks for one.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { changeResource } from '../../src/admin/commands.js';
import { InputError } from '../../src/model/errors.js';
import { cluster, dummy } from '../support/build.js';

const locations = (cib: ReturnType<typeof cluster>) => cib.configuration.constraints.flatMap((constraint) => (constraint.type === 'location' ? [`${constraint.id} ${constraint.score} ${constraint.node}`] : []));

test('ban and move with no node ban the resource from the node it runs on', () => {
  assert.deepEqual(locations(changeResource(cluster(['node1', 'node2'], [dummy('web')]), 'ban', 'web', undefined, ['node2'])), ['cli-ban-web-on-node2 -INFINITY node2']);
  assert.deepEqual(locations(changeResource(cluster(['node1', 'node2'], [dummy('web')]), 'move', 'web', undefined, ['node1'])), ['cli-ban-web-on-node1 -INFINITY node1']);
});

test('a move to a named node prefers it; a ban from one names it', () => {
  assert.deepEqual(locations(changeResource(cluster(['node1', 'node2'], [dummy('web')]), 'move', 'web', 'node2', ['node1'])), ['cli-prefer-web INFINITY node2']);
  assert.deepEqual(locations(changeResource(cluster(['node1', 'node2'], [dummy('web')]), 'ban', 'web', 'node1')), ['cli-ban-web-on-node1 -INFINITY node1']);
});

test('with no node named, a resource running nowhere or on several nodes is refused with what to do', () => {
  assert.throws(() => changeResource(cluster(['node1', 'node2'], [dummy('web')]), 'ban', 'web', undefined, []), (error: unknown) => error instanceof InputError && /web is not running anywhere: name the node to ban it from/.test(error.message));
  assert.throws(() => changeResource(cluster(['node1', 'node2'], [dummy('web')]), 'move', 'web', undefined, ['node1', 'node2']), (error: unknown) => error instanceof InputError && /web is active on several nodes \(node1, node2\): name the node to move it to/.test(error.message));
});
