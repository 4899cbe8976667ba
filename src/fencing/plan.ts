// Which devices fence a node, and in which order (Pacemaker's fencer, decided purely):
// the node's fencing-topology levels by index, each level a set of devices that must all
// succeed; without a topology, each device that can reach the node, one per level, in
// configuration order. A device reaches a node named in its pcmk_host_list or
// pcmk_host_map (which also gives the port the agent is told); a device with neither is
// taken to reach every node, the port being the node's name.

import type { Configuration, FencingLevel, Primitive, Resource } from '../model/config.js';

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

function levelMatches(level: FencingLevel, node: string, attributes: Record<string, string>): boolean {
  if (level.target !== undefined) return level.target === node;
  if (level.targetPattern !== undefined) return new RegExp(level.targetPattern).test(node);
  if (level.targetAttribute !== undefined) return attributes[level.targetAttribute] === level.targetValue;
  return false;
}

export function fencePlan(configuration: Configuration, node: string): FencePlan {
  const devices = stonithDevices(configuration.resources);
  const attributes = configuration.nodes.find((definition) => definition.uname === node)?.attributes ?? {};
  const levels = configuration.fencingTopology.filter((level) => levelMatches(level, node, attributes)).sort((a, b) => a.index - b.index);
  if (levels.length > 0) {
    // A level naming a device that is not configured can never succeed as a whole.
    return levels
      .map((level) => level.devices.map((id) => devices.find((device) => device.id === id)))
      .filter((level): level is Primitive[] => level.length > 0 && level.every((device) => device !== undefined))
      .map((level) => level.map((device) => ({ device, port: portFor(device, node) ?? node })));
  }
  return devices.flatMap((device) => {
    const port = portFor(device, node);
    return port === undefined ? [] : [[{ device, port }]];
  });
}
