// What a balancer tells its node of the servers of backends tied to a resource, so that the
// DC's drain before a planned stop ends once no session is left (src/node/drain.ts): per
// resource and node, whether the cluster keeps new sessions from those servers (drain, or
// down: a group's later members stop after its servers went down) and the sessions still
// open on them. Servers on no node are left out. Pure: verdicts and session counts in, the
// report out, in a stable order so that an unchanged report is seen as such.

import type { SessionReport } from '../api/protocol.js';
import type { ServerVerdict } from './cluster-verdicts.js';

export function sessionReport(verdicts: readonly ServerVerdict[], resources: ReadonlyMap<string, string>, sessionsOf: (backend: string, server: string) => number | undefined): SessionReport[] {
  const reports = new Map<string, SessionReport>();
  for (const verdict of verdicts) {
    const resource = resources.get(verdict.backend);
    if (resource === undefined || verdict.node === undefined) continue;
    const key = JSON.stringify([resource, verdict.node]);
    const report = reports.get(key) ?? { resource, node: verdict.node, draining: true, sessions: 0 };
    report.draining &&= verdict.state !== 'up';
    // Only drained servers' sessions count: a serving server's change all the time, and reporting them would say nothing.
    if (verdict.state !== 'up') report.sessions += sessionsOf(verdict.backend, verdict.server) ?? 0;
    reports.set(key, report);
  }
  return [...reports.values()].sort((a, b) => a.resource.localeCompare(b.resource) || a.node.localeCompare(b.node));
}
