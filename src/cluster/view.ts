// The cluster as the scheduler must see it: membership comes from the leases, not from
// what a node last wrote about itself. A node without a live lease is out of the cluster;
// it left cleanly if it said so first (expected "down"), otherwise it failed and is
// unclean until fenced. Holding a linearizable view of etcd means being on the side of
// its quorum, so the view has quorum.

import type { Cib } from '../model/cib.js';

export function withMembership(cib: Cib, members: ReadonlySet<string>): Cib {
  const next = structuredClone(cib);
  next.haveQuorum = true;
  for (const state of next.status.nodes) {
    const member = members.has(state.uname);
    state.inCluster = member;
    state.controllerOnline = member;
    state.join = member ? 'member' : 'down';
  }
  return next;
}
