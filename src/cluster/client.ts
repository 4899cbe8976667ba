// An etcd client as tandem needs it: every call has a deadline set by its caller, nothing
// is retried blindly (a write that timed out may have committed), a member that failed is
// skipped for a moment, and a broken watch reconnects at once.

import { Etcd3, isRecoverableError, type IOptions } from 'etcd3';
import { ConsecutiveBreaker, ConstantBackoff, circuitBreaker, handleWhen, noop } from 'cockatiel';

/**
 * With several endpoints, a host that failed is skipped for this long before it is tried
 * again. With one, nothing is skipped: blocking the only way to etcd for a while after a
 * failed call (an election in progress) would cost the lease its keepalives.
 */
const hostRecoveryMs = 200;
/** A broken watch reconnects this soon: a DC that misses answers for long would stall. */
const watchReconnectMs = 100;

export function etcdClient(endpoints: string[], credentials?: IOptions['credentials']): Etcd3 {
  return new Etcd3({
    hosts: endpoints,
    ...(credentials ? { credentials } : {}),
    dialTimeout: 1_000,
    // No blind retries: a write that timed out may have committed.
    faultHandling: {
      global: noop,
      host: () => (endpoints.length > 1 ? circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: hostRecoveryMs, breaker: new ConsecutiveBreaker(1) }) : noop),
      watchBackoff: new ConstantBackoff(watchReconnectMs).next(),
    },
  });
}
