// A planned stop waits a while first, so that the balancers following the cluster drain the
// resource's servers: they see the stop coming the moment it is decided (status.watch's
// `leaving`), take no new connections there and let the running ones finish, as an HAProxy
// operator drains a server before stopping it. The wait is the resource's `drain-delay`
// meta attribute (tandem's own; Pacemaker ignores it), for stops and demotes that are
// planned: not a recovery (what failed has nothing left to drain), and only on a node that is
// an online member (standby and shutting down included). A node losing its lease never
// waits: it must stop before the lease may expire.

import type { Cib } from '../model/cib.js';
import { findPrimitive } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';
import { drainDelayAttribute } from '../model/tandem-meta.js';
import type { PlannedAction } from '../scheduler/index.js';
import type { ClusterView } from '../status/view.js';
import { effectiveMeta } from './operations.js';

const drainedConditions = new Set(['online', 'standby', 'shutting down']);

/** The primitive (or a clone instance of it) failed on the node. */
function failedOn(view: ClusterView, definitionId: string, node: string): boolean {
  const primitives = view.resources.flatMap((resource) => (resource.kind === 'primitive' ? [resource] : resource.kind === 'group' ? resource.members : resource.details));
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
