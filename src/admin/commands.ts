// What operators change by hand, as pure functions on the CIB, with crm's meanings:
// start/stop/promote/demote set target-role; move and ban add cli-prefer-/cli-ban-
// location constraints, clear removes them; cleanup forgets a resource's history and
// failures so it is probed again; standby/online/maintenance set node attributes;
// grant/revoke/standby/activate change a ticket's state as crm_ticket does.

import type { Cib } from '../model/cib.js';
import type { Resource } from '../model/config.js';
import type { TicketState } from '../model/status.js';
import { InputError } from '../model/errors.js';

export type ResourceAction = 'start' | 'stop' | 'promote' | 'demote' | 'move' | 'ban' | 'clear' | 'cleanup';
export type NodeAction = 'standby' | 'online' | 'maintenance' | 'ready';
export type TicketAction = 'grant' | 'revoke' | 'standby' | 'activate';

function allResources(resources: Resource[]): Resource[] {
  return resources.flatMap((resource) => {
    if (resource.kind === 'primitive') return [resource];
    if (resource.kind === 'group') return [resource, ...resource.children];
    return [resource, ...allResources([resource.child])];
  });
}

function findResource(cib: Cib, id: string): Resource {
  const resource = allResources(cib.configuration.resources).find((candidate) => candidate.id === id);
  if (!resource) throw new InputError(`no resource named "${id}" in the configuration`);
  return resource;
}

function requireNode(cib: Cib, name: string | undefined, what: string): string {
  if (name === undefined) throw new InputError(`${what} needs a node name`);
  if (!cib.configuration.nodes.some((node) => node.uname === name)) throw new InputError(`no node named "${name}" (known: ${cib.configuration.nodes.map((node) => node.uname).join(', ')})`);
  return name;
}

const targetRoles: Partial<Record<ResourceAction, string>> = { start: 'Started', stop: 'Stopped', promote: 'Promoted', demote: 'Unpromoted' };

/** The one node a resource runs on, for a move or ban that names none (crm_resource bans it from there). */
function currentNode(id: string, activeOn: readonly string[], action: ResourceAction): string {
  if (activeOn.length === 1) return activeOn[0]!;
  if (activeOn.length === 0) throw new InputError(`${id} is not running anywhere: name the node to ${action} it ${action === 'move' ? 'to' : 'from'}`);
  throw new InputError(`${id} is active on several nodes (${activeOn.join(', ')}): name the node to ${action} it ${action === 'move' ? 'to' : 'from'}`);
}

/** A resource's configured target-role, if it has one. */
export function targetRoleOf(cib: Cib, id: string): string | undefined {
  return findResource(cib, id).meta['target-role'];
}

/** Sets a resource's target-role, or removes it (undefined), as crm_resource --meta does. */
export function setTargetRole(cib: Cib, id: string, value: string | undefined): Cib {
  const resource = findResource(cib, id);
  if (value === undefined) delete resource.meta['target-role'];
  else resource.meta['target-role'] = value;
  return cib;
}

/**
 * An operator's change to a resource. A move or ban that names no node bans the resource
 * from the one node it runs on (`activeOn`), as crm_resource --move/--ban without --node.
 */
export function changeResource(cib: Cib, action: ResourceAction, id: string, node?: string, activeOn: readonly string[] = []): Cib {
  const resource = findResource(cib, id);
  const constraints = cib.configuration.constraints;
  switch (action) {
    case 'start':
    case 'stop':
    case 'promote':
    case 'demote':
      resource.meta['target-role'] = targetRoles[action]!;
      break;
    case 'move': {
      if (node === undefined) return changeResource(cib, 'ban', id, currentNode(id, activeOn, action));
      const target = requireNode(cib, node, 'move');
      cib.configuration.constraints = constraints.filter((constraint) => constraint.id !== `cli-prefer-${id}`);
      cib.configuration.constraints.push({ type: 'location', id: `cli-prefer-${id}`, rsc: id, score: 'INFINITY', node: target, rules: [], extra: {} });
      break;
    }
    case 'ban': {
      const target = node === undefined ? currentNode(id, activeOn, action) : requireNode(cib, node, 'ban');
      const banId = `cli-ban-${id}-on-${target}`;
      cib.configuration.constraints = constraints.filter((constraint) => constraint.id !== banId);
      cib.configuration.constraints.push({ type: 'location', id: banId, rsc: id, score: '-INFINITY', node: target, rules: [], extra: {} });
      break;
    }
    case 'clear':
      cib.configuration.constraints = constraints.filter((constraint) => constraint.id !== `cli-prefer-${id}` && !constraint.id.startsWith(`cli-ban-${id}-on-`));
      break;
    case 'cleanup':
      cleanup(cib, resource);
      break;
  }
  return cib;
}

/** Forgets history and failures of a resource (and what it contains) on every node. */
function cleanup(cib: Cib, resource: Resource): void {
  const ids = new Set(allResources([resource]).filter((item) => item.kind === 'primitive').map((item) => item.id));
  const matches = (historyId: string) => ids.has(historyId.replace(/:\d+$/, ''));
  for (const state of cib.status.nodes) {
    state.resources = state.resources.filter((history) => !matches(history.id));
    for (const name of Object.keys(state.transientAttributes)) {
      const subject = /^(?:fail-count|last-failure)-(.+?)(?:#.*)?$/.exec(name)?.[1];
      if (subject !== undefined && matches(subject)) delete state.transientAttributes[name];
    }
  }
}

export function changeNode(cib: Cib, action: NodeAction, name: string): Cib {
  const node = cib.configuration.nodes.find((candidate) => candidate.uname === requireNode(cib, name, action))!;
  if (action === 'standby') node.attributes.standby = 'on';
  else if (action === 'online') node.attributes.standby = 'off';
  else if (action === 'maintenance') node.attributes.maintenance = 'on';
  else node.attributes.maintenance = 'off';
  return cib;
}

export function setProperty(cib: Cib, name: string, value: string): Cib {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new InputError(`"${name}" is not a property name`);
  cib.configuration.properties[name] = value;
  return cib;
}

/** Sets (or, with null, deletes) a node attribute: transient in the status, or permanent. */
export function setNodeAttribute(cib: Cib, nodeName: string, name: string, value: string | null, permanent: boolean): Cib {
  requireNode(cib, nodeName, 'an attribute');
  if (permanent) {
    const node = cib.configuration.nodes.find((candidate) => candidate.uname === nodeName)!;
    if (value === null) delete node.attributes[name];
    else node.attributes[name] = value;
    return cib;
  }
  const state = cib.status.nodes.find((candidate) => candidate.uname === nodeName);
  if (!state) throw new InputError(`node "${nodeName}" has not joined yet`);
  if (value === null) delete state.transientAttributes[name];
  else state.transientAttributes[name] = value;
  return cib;
}

export function getNodeAttribute(cib: Cib, nodeName: string, name: string): string | null {
  const transient = cib.status.nodes.find((candidate) => candidate.uname === nodeName)?.transientAttributes[name];
  return transient ?? cib.configuration.nodes.find((candidate) => candidate.uname === nodeName)?.attributes[name] ?? null;
}

/**
 * Grants, revokes, puts in standby or activates a ticket at this site (crm_ticket -g/-r/-s/-a):
 * a ticket never seen gets a state of its own; granting stamps last-granted with `nowS`.
 */
export function changeTicket(cib: Cib, action: TicketAction, ticketId: string, nowS: number): Cib {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(ticketId)) throw new InputError(`"${ticketId}" is not a ticket name (a letter or "_", then letters, digits, ".", "-", "_")`);
  const tickets = (cib.status.tickets ??= []);
  let ticket: TicketState | undefined = tickets.find((candidate) => candidate.id === ticketId);
  if (!ticket) {
    ticket = { id: ticketId, granted: false, standby: false, extra: {} };
    tickets.push(ticket);
  }
  if (action === 'grant') {
    ticket.granted = true;
    ticket.lastGranted = nowS;
  } else if (action === 'revoke') ticket.granted = false;
  else ticket.standby = action === 'standby';
  return cib;
}

