// Where the balancers' session reports (`sessions.report`) are kept for the DC's drain wait:
// in memory on a single node (the DC is this very process), on a cluster in etcd under the
// reporting node's lease. Reports are transient: they say what is true now, not what must
// survive a restart, so they stay out of the CIB (and out of its revisions and pe-inputs).

import type { SessionReport } from '../api/protocol.js';
import type { LeasedReports } from '../cluster/leased-reports.js';
import { InputError } from '../model/errors.js';

export interface SessionBoard {
  /** Replaces what `balancer`, a balancer following this node, reported before (nothing withdraws it). */
  report(balancer: string, servers: SessionReport[]): Promise<void>;
  /** What every balancer of the cluster reports. */
  all(): Promise<SessionReport[]>;
}

export function localSessionBoard(): SessionBoard {
  const reports = new Map<string, SessionReport[]>();
  return {
    report: async (balancer, servers) => {
      if (servers.length === 0) reports.delete(balancer);
      else reports.set(balancer, servers);
    },
    all: async () => [...reports.values()].flat(),
  };
}

export function leasedSessionBoard(reports: LeasedReports<SessionReport[]>): SessionBoard {
  return {
    report: (balancer, servers) => reports.put(balancer, servers.length > 0 ? servers : undefined),
    all: async () => (await reports.list()).flatMap((entry) => entry.value),
  };
}

/** A `sessions.report` request's servers, checked: they come from another program. */
export function checkedSessionReports(balancer: unknown, servers: unknown): SessionReport[] {
  if (typeof balancer !== 'string' || balancer === '') throw new InputError('sessions.report: expected a balancer id');
  if (!Array.isArray(servers)) throw new InputError(`sessions.report from ${balancer}: expected a list of servers`);
  return servers.map((entry: Partial<SessionReport>, index) => {
    const { resource, node, draining, sessions } = entry ?? {};
    const valid = typeof resource === 'string' && typeof node === 'string' && typeof draining === 'boolean' && Number.isInteger(sessions) && sessions! >= 0;
    if (!valid) throw new InputError(`sessions.report from ${balancer}: server entry ${index + 1} needs resource, node, draining and a session count`);
    return { resource, node, draining, sessions: sessions! };
  });
}
