// Which devices fence a node, and in which order (Pacemaker's fencer, decided purely):
// the node's fencing-topology levels by index, each level a set of devices that must all
// succeed; without a topology, each device that can reach the node, one per level, in
// configuration order. A device reaches a node named in its pcmk_host_list or
// pcmk_host_map (which also gives the port the agent is told); a device with neither is
// taken to reach every node, the port being the node's name.

import type { Configuration, Primitive, Resource, UnknownElement } from '../model/config.js';

export interface FenceStep {
  device: Primitive;
  /** What the agent is told to act on (its `port`/`plug`). */
  port: string;
}

/** Levels in the order they are tried; a level succeeds when all its steps do. */
export type FencePlan = FenceStep[][];

function stonithDevices(resources: Resource[]): Primitive[] {
  return resources.flatMap((resource): Primitive[] => {
    if (resource.kind === 'primitive') return resource.agent.class === 'stonith' ? [resource] : [];
    if (resource.kind === 'group') return stonithDevices(resource.children);
    if (resource.kind === 'clone') return stonithDevices([resource.child]);
    return [];
  });
}

function hostMap(device: Primitive): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of (device.params.pcmk_host_map ?? '').split(/[;\s,]+/).filter(Boolean)) {
    const [node, port] = entry.split(':');
    if (node) map.set(node, port || node);
  }
  return map;
}

/** The port a device is told for the node, or undefined when it cannot reach it. */
function portFor(device: Primitive, node: string): string | undefined {
  const map = hostMap(device);
  if (map.has(node)) return map.get(node);
  const list = (device.params.pcmk_host_list ?? '').split(/[\s,]+/).filter(Boolean);
  if (list.includes(node)) return node;
  return map.size === 0 && list.length === 0 ? node : undefined;
}

function levelMatches(level: UnknownElement, node: string, attributes: Record<string, string>): boolean {
  const { target, 'target-pattern': pattern, 'target-attribute': attribute, 'target-value': value } = level.attributes;
  if (target !== undefined) return target === node;
  if (pattern !== undefined) return new RegExp(pattern).test(node);
  if (attribute !== undefined) return attributes[attribute] === value;
  return false;
}

export function fencePlan(configuration: Configuration, node: string): FencePlan {
  const devices = stonithDevices(configuration.resources);
  const attributes = configuration.nodes.find((definition) => definition.uname === node)?.attributes ?? {};
  const topology = configuration.unknown.find((element) => element.tag === 'fencing-topology');
  const levels = (topology?.children ?? [])
    .filter((level) => level.tag === 'fencing-level' && levelMatches(level, node, attributes))
    .sort((a, b) => Number(a.attributes.index) - Number(b.attributes.index));
  if (levels.length > 0) {
    return levels.map((level) =>
      (level.attributes.devices ?? '')
        .split(',')
        .map((id) => devices.find((device) => device.id === id.trim()))
        .filter((device): device is Primitive => device !== undefined)
        .map((device) => ({ device, port: portFor(device, node) ?? node })),
    );
  }
  return devices.flatMap((device) => {
    const port = portFor(device, node);
    return port === undefined ? [] : [[{ device, port }]];
  });
}
