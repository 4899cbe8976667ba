// The timings of a cluster that runs its own etcd members, derived from one choice: the
// node lease. etcd refuses leases shorter than 1.5 x its election timeout (rounded up to
// seconds), and a leader election must fit in a lease less its stop margin, or losing
// etcd's leader would make every node stop what it runs; corosync's `token` (the time
// after which a silent node is declared dead) is the same choice as the lease.

export interface EtcdTiming {
  heartbeatMs: number;
  electionMs: number;
}

const fastestElectionMs = 500;
const slowestElectionMs = 5_000;

/** Election a quarter of the lease (whole 100 ms), 500 ms at least: 1 s and 2 s leases get etcd's 50 ms / 500 ms. */
export function etcdTimingFor(leaseTtlMs: number): EtcdTiming {
  const electionMs = Math.min(slowestElectionMs, Math.max(fastestElectionMs, Math.floor(leaseTtlMs / 4 / 100) * 100));
  return { heartbeatMs: electionMs / 10, electionMs };
}

/** corosync's token timeout as a lease: whole seconds, at least one. */
export function leaseForToken(tokenMs: number): number {
  return Math.max(1_000, Math.ceil(tokenMs / 1_000) * 1_000);
}
