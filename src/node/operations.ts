// What an operation needs beyond the resource's own definition: the meta values its agent
// sees (as Pacemaker's transition gives them) and its timeout.

import type { Cib } from '../model/cib.js';
import type { Clone, Primitive, Resource } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';
import { cloneLimits } from '../scheduler/clone-limits.js';
import { isTrue } from '../scheduler/options.js';

const defaultTimeoutMs = 20_000;

/** Where an operation runs and which one it is. */
export interface OperationTarget {
  /** The instance's name in the scheduler: `db:2` is a clone's instance number 2. */
  resource: string;
  node: string;
  task: string;
  intervalMs: number;
  /** The role a role-specific recurring monitor checks (op role=...). */
  role?: string;
}

/** The groups and clone around a primitive, outermost first. */
function containersOf(cib: Cib, primitive: Primitive): Resource[] {
  const found: Resource[] = [];
  const visit = (resource: Resource, trail: Resource[]): boolean => {
    if (resource === primitive) {
      found.push(...trail);
      return true;
    }
    if (resource.kind === 'group') return resource.children.some((child) => visit(child, [...trail, resource]));
    if (resource.kind === 'clone') return visit(resource.child, [...trail, resource]);
    return false;
  };
  cib.configuration.resources.some((resource) => visit(resource, []));
  return found;
}

/** Meta values an agent sees: rsc_defaults, then its clone's and group's, then its own. */
export function effectiveMeta(cib: Cib, primitive: Primitive): Record<string, string> {
  const containers = containersOf(cib, primitive).map((container) => (container.kind === 'clone' && container.promotable ? { ...container.meta, promotable: 'true' } : container.meta));
  return Object.assign({}, cib.configuration.rscDefaults, ...containers, primitive.meta) as Record<string, string>;
}

/**
 * Everything Pacemaker tells an agent about one operation beyond the resource's meta values:
 * the recurring operation's name, interval and role, the node, and for a clone's instance
 * its number and the clone's limits with their defaults (an agent's `ocf_is_clone` and
 * `ocf_is_ms` read clone_max and master_max). The timeout is added by the agent runner.
 */
export function agentMeta(cib: Cib, primitive: Primitive, target: OperationTarget): Record<string, string> {
  const clone = containersOf(cib, primitive).find((container): container is Clone => container.kind === 'clone');
  return { ...effectiveMeta(cib, primitive), ...operationMeta(target), ...(clone ? cloneMeta(cib, clone, target.resource) : {}), ...nodeMeta(cib, target.node) };
}

function operationMeta(target: OperationTarget): Record<string, string> {
  // As in Pacemaker's transitions: a one-time operation carries neither (ocf-shellfuncs takes interval 0).
  if (target.intervalMs <= 0) return {};
  return { name: target.task, interval: String(target.intervalMs), ...(target.role ? { role: target.role } : {}) };
}

function cloneMeta(cib: Cib, clone: Clone, instanceName: string): Record<string, string> {
  const meta = { ...cib.configuration.rscDefaults, ...clone.meta };
  const limits = cloneLimits(meta, cib.configuration.nodes.length);
  const promotable = clone.promotable || isTrue(meta.promotable);
  return {
    // An anonymous clone's probe names no instance: it is the first one.
    clone: /:(\d+)$/.exec(instanceName)?.[1] ?? '0',
    'clone-max': String(limits.cloneMax),
    'clone-node-max': String(limits.cloneNodeMax),
    'globally-unique': String(limits.globallyUnique),
    notify: String(isTrue(meta.notify)),
    ...(promotable
      ? {
          'promoted-max': String(limits.promotedMax),
          'promoted-node-max': String(limits.promotedNodeMax),
          // The names before Pacemaker 2.0, which agents still read.
          'master-max': String(limits.promotedMax),
          'master-node-max': String(limits.promotedNodeMax),
        }
      : {}),
  };
}

function nodeMeta(cib: Cib, node: string): Record<string, string> {
  return { on_node: node, on_node_uuid: cib.configuration.nodes.find((candidate) => candidate.uname === node)?.id ?? node };
}

/** The timeout of an operation: its own, else op_defaults, else 20 s. */
export function operationTimeoutMs(cib: Cib, primitive: Primitive | undefined, task: string, intervalMs: number): number {
  const own = primitive?.ops.find((op) => op.name === task && op.intervalMs === intervalMs)?.timeout ?? primitive?.ops.find((op) => op.name === task)?.timeout;
  const fallback = cib.configuration.opDefaults.timeout;
  return parseDurationMs(own ?? fallback ?? '') ?? defaultTimeoutMs;
}
