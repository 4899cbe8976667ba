// A planned stop waits a while first, so that the balancers following the cluster drain the
// resource's servers: they see the stop coming the moment it is decided (status.watch's
// `leaving`), take no new connections there and let the running ones finish, as an HAProxy
// operator drains a server before stopping it. The wait is the resource's `drain-delay`
// meta attribute (tandem's own; Pacemaker ignores it), for stops and demotes that are
// planned: not a recovery (what failed has nothing left to drain), and only on a node that is
// an online member (standby and shutting down included). A node losing its lease never
// waits: it must stop before the lease may expire. The delay is an upper bound: the balancers
// report the sessions left on the servers they drain, and the wait ends once none is left,
// as an operator watches scur fall to 0 before stopping the service.

import type { SessionReport } from '../api/protocol.js';
import type { Cib } from '../model/cib.js';
import { findPrimitive } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';
import { drainDelayAttribute } from '../model/tandem-meta.js';
import type { PlannedAction } from '../scheduler/index.js';
import { detailPrimitives, type ClusterView } from '../status/view.js';
import { effectiveMeta } from './operations.js';

const drainedConditions = new Set(['online', 'standby', 'shutting down']);

/** The primitive (or a clone instance of it) failed on the node. */
function failedOn(view: ClusterView, definitionId: string, node: string): boolean {
  const primitives = view.resources.flatMap((resource) => (resource.kind === 'primitive' ? [resource] : resource.kind === 'group' ? resource.members : detailPrimitives(resource)));
  return primitives.some((primitive) => primitive.failed && primitive.nodes.includes(node) && (primitive.id === definitionId || primitive.id.startsWith(`${definitionId}:`)));
}

/** How long to wait before running `action`: 0 for anything but a planned stop or demote of a resource with a drain-delay. */
export function drainDelayMs(cib: Cib, view: () => ClusterView, action: PlannedAction): number {
  if ((action.task !== 'stop' && action.task !== 'demote') || action.node === undefined) return 0;
  const primitive = findPrimitive(cib.configuration.resources, action.definitionId);
  const delay = primitive && effectiveMeta(cib, primitive)[drainDelayAttribute];
  const delayMs = delay === undefined ? 0 : (parseDurationMs(delay) ?? 0);
  if (delayMs <= 0) return 0;
  const seen = view();
  const condition = seen.nodes.find((node) => node.name === action.node)?.condition;
  if (condition === undefined || !drainedConditions.has(condition)) return 0;
  return failedOn(seen, action.definitionId, action.node) ? 0 : delayMs;
}

export type DrainProgress = { done: false } | { done: true; reason: 'sessions gone' | 'delay elapsed'; elapsedMs: number };

export interface DrainInput {
  /** What the balancers following the cluster report, from every node. */
  reports: readonly SessionReport[];
  /** The primitive being stopped and the group and clone holding it: a balancer's backend may be tied to any of them. */
  resourceIds: readonly string[];
  node: string;
  startedAtMs: number;
  nowMs: number;
  delayMs: number;
}

/**
 * Whether the wait before a planned stop is over: at the latest when drain-delay has passed;
 * sooner once every balancer reporting servers of the resource on the node drains them and
 * has no session left there. With no report at all the full delay stands: a balancer that
 * has not been heard from yet cannot be told from none.
 */
export function drainProgress({ reports, resourceIds, node, startedAtMs, nowMs, delayMs }: DrainInput): DrainProgress {
  const elapsedMs = Math.max(0, nowMs - startedAtMs);
  if (elapsedMs >= delayMs) return { done: true, reason: 'delay elapsed', elapsedMs };
  const concerned = reports.filter((report) => report.node === node && resourceIds.includes(report.resource));
  if (concerned.length > 0 && concerned.every((report) => report.draining && report.sessions === 0)) return { done: true, reason: 'sessions gone', elapsedMs };
  return { done: false };
}
