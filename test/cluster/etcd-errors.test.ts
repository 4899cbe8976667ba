// etcd's failures as the operator reads them: a real etcd client asking a port where no etcd
// listens fails the way a node cut off from its store does, and the words say what to do.

import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { explainEtcdError } from '../../src/cluster/deadline.js';

/** A loopback port with nothing behind it: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a call etcd does not answer becomes a sentence about the store, not gRPC\'s status line', async () => {
  const client = new Etcd3({ hosts: `http://127.0.0.1:${await closedPort()}` });
  try {
    const failure = await client.get('cib').options({ deadline: new Date(Date.now() + 300) }).string().then(
      () => assert.fail('a get from no etcd at all succeeded'),
      (error: unknown) => error,
    );
    const explained = explainEtcdError(failure);
    assert.ok(explained instanceof Error);
    assert.match(explained.message, /^the cluster store \(etcd\) (did not answer in time|is unavailable)/);
    assert.doesNotMatch(explained.message, /DEADLINE_EXCEEDED|LB pick/);
  } finally {
    client.close();
  }
});

test('any other error is passed on as it is', () => {
  const error = new Error('resource web not found');
  assert.equal(explainEtcdError(error), error);
});
