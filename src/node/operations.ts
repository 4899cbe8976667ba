// What an operation needs beyond the resource's own definition: the meta values its agent
// sees and its timeout.

import type { Cib } from '../model/cib.js';
import type { Primitive, Resource } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';

const defaultTimeoutMs = 20_000;

/** Meta values an agent sees: rsc_defaults, then its clone's and group's, then its own. */
export function effectiveMeta(cib: Cib, primitive: Primitive): Record<string, string> {
  const containers: Array<Record<string, string>> = [];
  const visit = (resource: Resource, trail: Array<Record<string, string>>): boolean => {
    if (resource === primitive) {
      containers.push(...trail);
      return true;
    }
    if (resource.kind === 'group') return resource.children.some((child) => visit(child, [...trail, resource.meta]));
    if (resource.kind === 'clone') return visit(resource.child, [...trail, { ...resource.meta, ...(resource.promotable ? { promotable: 'true' } : {}) }]);
    return false;
  };
  cib.configuration.resources.some((resource) => visit(resource, []));
  return Object.assign({}, cib.configuration.rscDefaults, ...containers, primitive.meta) as Record<string, string>;
}

/** The timeout of an operation: its own, else op_defaults, else 20 s. */
export function operationTimeoutMs(cib: Cib, primitive: Primitive | undefined, task: string, intervalMs: number): number {
  const own = primitive?.ops.find((op) => op.name === task && op.intervalMs === intervalMs)?.timeout ?? primitive?.ops.find((op) => op.name === task)?.timeout;
  const fallback = cib.configuration.opDefaults.timeout;
  return parseDurationMs(own ?? fallback ?? '') ?? defaultTimeoutMs;
}
