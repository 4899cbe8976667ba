// What the cluster says about each server, worked out purely from what the local node
// sends (`status.watch`) and the balancer's plan.
//
// A server is on a node when its address is one of the node's addresses (the members'
// addresses, and those of nodes seen before that are gone now), else when its host name is
// the node's name, else when it is a loopback address (the node the balancer follows).
// On a node:
//   - unclean, offline, not a member, or no longer a node of the cluster: down;
//   - standby or shutting down (planned, the services go away): drain;
//   - online or in maintenance (its services left running): up.
// A backend tied to a resource (`--resource BACKEND=RESOURCE`) also needs the resource
// serving on the server's node: Started (Promoted for a promotable clone); failed there or
// not there: down; about to be stopped or demoted there (resource stop, move, ban, restart):
// drain. A server on no node follows the resource wherever it runs (a floating address).
// The worse verdict of the two wins (down, then drain, then up). Servers of untied backends
// on no node are the cluster's business in no way: up, their health checks alone decide.

import type { ClusterSnapshot } from '../api/protocol.js';
import { InputError } from '../model/errors.js';
import { detailPrimitives, type ClusterView, type PrimitiveView } from '../status/view.js';
import type { BalancerPlan } from './plan.js';
import type { ClusterState } from './server-state.js';

export interface ServerVerdict {
  backend: string;
  server: string;
  state: ClusterState;
  /** The node the server is on, when it is on one. */
  node?: string;
  /** Why, in an operator's words. */
  reason: string;
}

export interface VerdictInput {
  snapshot: ClusterSnapshot;
  plan: BalancerPlan;
  /** Backends tied to a resource (backend name -> resource id). */
  resources: ReadonlyMap<string, string>;
  /** Addresses of nodes seen before, by name: a node that failed and left the membership keeps its servers. */
  knownAddresses?: ReadonlyMap<string, readonly string[]>;
}

interface Opinion {
  state: ClusterState;
  reason: string;
}

const severity: Record<ClusterState, number> = { up: 0, drain: 1, down: 2 };

const isLoopback = (host: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host.toLowerCase() === 'localhost';

/** The node a server's host is on, if any. */
export function nodeOf(host: string, snapshot: ClusterSnapshot, knownAddresses: ReadonlyMap<string, readonly string[]> = new Map()): string | undefined {
  const address = host.toLowerCase();
  const has = (addresses: readonly string[]) => addresses.some((candidate) => candidate.toLowerCase() === address);
  const member = snapshot.members.find((candidate) => has(candidate.addresses));
  if (member) return member.name;
  for (const [name, addresses] of knownAddresses) if (has(addresses)) return name;
  const named = [...snapshot.view.nodes.map((node) => node.name), ...snapshot.members.map((candidate) => candidate.name)].find((name) => name.toLowerCase() === address);
  if (named !== undefined) return named;
  return isLoopback(host) ? snapshot.node : undefined;
}

function nodeOpinion(node: string, snapshot: ClusterSnapshot): Opinion {
  const seen = snapshot.view.nodes.find((candidate) => candidate.name === node);
  if (!seen) return { state: 'down', reason: `${node} is not a node of the cluster` };
  switch (seen.condition) {
    case 'unclean':
      return { state: 'down', reason: `${node} is unclean (lost, not fenced yet)` };
    case 'offline':
      return { state: 'down', reason: `${node} is offline` };
    default:
      break;
  }
  if (!snapshot.members.some((member) => member.name === node)) return { state: 'down', reason: `${node} is not a member of the cluster` };
  switch (seen.condition) {
    case 'standby':
      return { state: 'drain', reason: `${node} is in standby` };
    case 'shutting down':
      return { state: 'drain', reason: `${node} is shutting down` };
    case 'maintenance':
      return { state: 'up', reason: `${node} is in maintenance (what runs there is left alone)` };
    default:
      return { state: 'up', reason: `${node} is online` };
  }
}

/** Where a resource serves (Started; Promoted for a promotable clone) and where it failed. */
interface Presence {
  serving: Set<string>;
  failed: Set<string>;
  /** The role it serves in, for the reasons. */
  role: 'Started' | 'Promoted';
}

function primitivePresence(primitive: PrimitiveView): Presence {
  const serving = primitive.role === 'Started' || primitive.role === 'Promoted';
  return { serving: new Set(serving ? primitive.nodes : []), failed: new Set(primitive.failed ? primitive.nodes : []), role: 'Started' };
}

/** A primitive, a group (every member serving on the node), a group's member, or a clone (by its id or its child's). */
export function presenceOf(view: ClusterView, id: string): Presence | undefined {
  for (const resource of view.resources) {
    if (resource.kind === 'primitive' && resource.id === id) return primitivePresence(resource);
    if (resource.kind === 'group') {
      const member = resource.members.find((candidate) => candidate.id === id);
      if (member) return primitivePresence(member);
      if (resource.id !== id) continue;
      const members = resource.members.map(primitivePresence);
      const serving = members.reduce<Set<string> | undefined>((common, presence) => (common ? new Set([...common].filter((node) => presence.serving.has(node))) : presence.serving), undefined) ?? new Set<string>();
      return { serving, failed: new Set(members.flatMap((presence) => [...presence.failed])), role: 'Started' };
    }
    if (resource.kind === 'clone' && (resource.id === id || resource.childId === id)) {
      const role = resource.promotable ? 'Promoted' : 'Started';
      const failed = detailPrimitives(resource).filter((detail) => detail.failed).flatMap((detail) => detail.nodes);
      return { serving: new Set(resource.byRole[role] ?? []), failed: new Set(failed), role };
    }
  }
  return undefined;
}

function resourceOpinion(id: string, node: string | undefined, snapshot: ClusterSnapshot): Opinion {
  const presence = presenceOf(snapshot.view, id);
  if (!presence) return { state: 'down', reason: `the cluster has no resource ${id}` };
  const leaving = new Set(snapshot.leaving[id] ?? []);
  const stopping = presence.role === 'Promoted' ? 'being stopped or demoted' : 'being stopped';
  if (node !== undefined) {
    if (presence.failed.has(node)) return { state: 'down', reason: `${id} failed on ${node}` };
    if (!presence.serving.has(node)) return { state: 'down', reason: `${id} is not ${presence.role} on ${node}` };
    if (leaving.has(node)) return { state: 'drain', reason: `${id} is ${stopping} on ${node}` };
    return { state: 'up', reason: `${id} is ${presence.role} on ${node}` };
  }
  const live = [...presence.serving].filter((where) => !presence.failed.has(where)).sort();
  if (live.length === 0) return { state: 'down', reason: presence.failed.size > 0 ? `${id} failed on ${[...presence.failed].sort().join(', ')}` : `${id} is not ${presence.role} anywhere` };
  if (live.every((where) => leaving.has(where))) return { state: 'drain', reason: `${id} is ${stopping} on ${live.join(', ')}` };
  return { state: 'up', reason: `${id} is ${presence.role} on ${live.join(', ')}` };
}

/** The cluster's verdict on every server of the plan, in plan order. */
export function clusterVerdicts({ snapshot, plan, resources, knownAddresses }: VerdictInput): ServerVerdict[] {
  const verdicts: ServerVerdict[] = [];
  for (const backend of plan.backends) {
    const resource = resources.get(backend.name);
    for (const server of backend.servers) {
      const node = nodeOf(server.host, snapshot, knownAddresses);
      const opinions: Opinion[] = [];
      if (node !== undefined) opinions.push(nodeOpinion(node, snapshot));
      if (resource !== undefined) opinions.push(resourceOpinion(resource, node, snapshot));
      // The worst opinion wins, the node's first (an offline node is why its resources are not there); when all are up, the resource's says most.
      const worst = Math.max(...opinions.map((opinion) => severity[opinion.state]));
      const chosen = (worst > 0 ? opinions.find((opinion) => severity[opinion.state] === worst) : opinions.at(-1)) ?? { state: 'up', reason: `${server.host} is not a tandem node's address` };
      const verdict: ServerVerdict = { backend: backend.name, server: server.name, state: chosen.state, reason: chosen.reason };
      if (node !== undefined) verdict.node = node;
      verdicts.push(verdict);
    }
  }
  return verdicts;
}

/** `--resource BACKEND=RESOURCE` arguments, checked for form: backend name -> resource id. */
export function tiedBackends(entries: readonly string[]): Map<string, string> {
  const tied = new Map<string, string>();
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const backend = entry.slice(0, equals).trim();
    const resource = entry.slice(equals + 1).trim();
    if (equals < 0 || backend === '' || resource === '') throw new InputError(`--resource ${entry}: expected BACKEND=RESOURCE, e.g. --resource api_servers=p_api`);
    const before = tied.get(backend);
    if (before !== undefined && before !== resource) throw new InputError(`--resource: backend '${backend}' is tied to both ${before} and ${resource}`);
    tied.set(backend, resource);
  }
  return tied;
}

/** Every tied backend must be a backend (or listen section) of the plan. */
export function checkTiedBackends(tied: ReadonlyMap<string, string>, plan: BalancerPlan, file: string): void {
  const names = plan.backends.map((backend) => backend.name);
  for (const [backend, resource] of tied) {
    if (names.includes(backend)) continue;
    throw new InputError(`--resource ${backend}=${resource}: ${file} has no backend or listen section named '${backend}' (it has: ${names.length > 0 ? names.join(', ') : 'none'})`);
  }
}
