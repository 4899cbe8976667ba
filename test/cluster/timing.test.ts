// etcd's timing as an operator sets it on `tandem cluster init`: a missing half derived,
// and what etcd itself would refuse (or a lease it would refuse) named with the options.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { chosenEtcdTiming } from '../../src/cluster/timing.js';
import { InputError } from '../../src/model/errors.js';

test('nothing chosen: the timing the lease gives; half chosen: the other half derived', () => {
  assert.deepEqual(chosenEtcdTiming({}, 2_000), { heartbeatMs: 50, electionMs: 500 });
  assert.deepEqual(chosenEtcdTiming({ electionMs: 1_000 }, 2_000), { heartbeatMs: 100, electionMs: 1_000 });
  assert.deepEqual(chosenEtcdTiming({ heartbeatMs: 20 }, 1_000), { heartbeatMs: 20, electionMs: 250 });
  assert.deepEqual(chosenEtcdTiming({}, 1_000), { heartbeatMs: 25, electionMs: 250 });
  assert.deepEqual(chosenEtcdTiming({ heartbeatMs: 50, electionMs: 500 }, 1_000), { heartbeatMs: 50, electionMs: 500 });
});

test('what etcd refuses is refused first, naming the options', () => {
  assert.throws(() => chosenEtcdTiming({ heartbeatMs: 200, electionMs: 500 }, 2_000), (error: Error) => error instanceof InputError && /--etcd-heartbeat-ms 200 --etcd-election-ms 500: etcd's election timeout must be at least 5 heartbeats/.test(error.message));
  assert.throws(() => chosenEtcdTiming({ electionMs: 60_000 }, 120_000), /up to 50000 ms/);
});

test('a lease shorter than etcd\'s minimum (1.5 election timeouts, whole seconds) is refused with what would do', () => {
  assert.throws(() => chosenEtcdTiming({ electionMs: 1_000 }, 1_000), (error: Error) => error instanceof InputError && /--lease-ttl-ms 1000 needs --etcd-election-ms 666 or less \(or a lease of 2000 ms\)/.test(error.message));
  assert.deepEqual(chosenEtcdTiming({ electionMs: 1_000 }, 2_000).electionMs, 1_000);
});
