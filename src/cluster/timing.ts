// The timings of a cluster that runs its own etcd members, derived from one choice: the
// node lease (an operator may set etcd's own, checked against it). etcd refuses leases shorter than 1.5 x its election timeout (rounded up to
// seconds), and a leader election must fit in a lease less its stop margin, or losing
// etcd's leader would make every node stop what it runs; corosync's `token` (the time
// after which a silent node is declared dead) is the same choice as the lease.

import { InputError } from '../model/errors.js';

export interface EtcdTiming {
  heartbeatMs: number;
  electionMs: number;
}

const fastestElectionMs = 250;
const slowestElectionMs = 5_000;

/**
 * Election a quarter of the lease (whole 50 ms), heartbeat a tenth of that: a 1 s lease gets
 * 25 ms / 250 ms, a 2 s lease etcd's usual 50 ms / 500 ms. A leader elected within twice the
 * election timeout then leaves the nodes time to renew their leases with it; with 500 ms, an
 * election outlasts what a 1 s lease leaves (`bench/failover --fault etcd-leader` counts).
 */
export function etcdTimingFor(leaseTtlMs: number): EtcdTiming {
  const electionMs = Math.min(slowestElectionMs, Math.max(fastestElectionMs, Math.floor(leaseTtlMs / 4 / 50) * 50));
  return { heartbeatMs: electionMs / 10, electionMs };
}

/** corosync's token timeout as a lease: whole seconds, at least one. */
export function leaseForToken(tokenMs: number): number {
  return Math.max(1_000, Math.ceil(tokenMs / 1_000) * 1_000);
}

/** etcd refuses an election timeout longer than this. */
const longestElectionMs = 50_000;

/**
 * etcd's timing as an operator chose it (a missing half derived: the heartbeat a tenth of
 * the election, the election from the lease), checked as etcd checks it and against the
 * lease, which must outlast etcd's own minimum lease of 1.5 election timeouts.
 */
export function chosenEtcdTiming(chosen: Partial<EtcdTiming>, leaseTtlMs: number): EtcdTiming {
  const electionMs = chosen.electionMs ?? etcdTimingFor(leaseTtlMs).electionMs;
  const heartbeatMs = chosen.heartbeatMs ?? Math.max(1, Math.floor(electionMs / 10));
  const shown = `--etcd-heartbeat-ms ${heartbeatMs} --etcd-election-ms ${electionMs}`;
  if (electionMs < 5 * heartbeatMs) throw new InputError(`${shown}: etcd's election timeout must be at least 5 heartbeats`);
  if (electionMs > longestElectionMs) throw new InputError(`${shown}: etcd takes election timeouts up to ${longestElectionMs} ms`);
  const leastLeaseMs = Math.ceil((1.5 * electionMs) / 1_000) * 1_000;
  if (leaseTtlMs < leastLeaseMs) throw new InputError(`${shown}: etcd refuses leases under 1.5 election timeouts, so --lease-ttl-ms ${leaseTtlMs} needs --etcd-election-ms ${Math.floor(leaseTtlMs / 1.5)} or less (or a lease of ${leastLeaseMs} ms)`);
  return { heartbeatMs, electionMs };
}
