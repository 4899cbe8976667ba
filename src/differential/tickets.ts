// Tickets layered on a generated case, from a stream of their own (so cases without them,
// and everything else in cases with them, stay as they were): rsc_ticket constraints on
// primitives, groups, group members, clones and promotable clones, now and then as resource
// sets, with each loss-policy (fence with fencing on, and off) and roles; and each ticket
// granted, revoked, in standby or never mentioned in the status.

import type { Cib } from '../model/cib.js';
import type { LossPolicy, Resource, ResourceSet, Role, TicketConstraint } from '../model/config.js';
import type { TicketState } from '../model/status.js';
import { historyTimeS } from './features.js';
import type { Random } from './generate.js';

const ticketIds = ['ticketA', 'ticketB', 'ticketC'] as const;
// 'none' stands for leaving the attribute out (Random.pick refuses undefined).
const policies: Array<LossPolicy | 'none'> = ['none', 'stop', 'demote', 'fence', 'freeze'];
const promotableRoles: Array<Role | 'none'> = ['none', 'Promoted', 'Promoted', 'Unpromoted', 'Started'];
const setRoles: Array<Role | 'none'> = ['none', 'none', 'Promoted', 'Started'];

interface Target {
  id: string;
  promotable: boolean;
}

/** What a constraint may name: any resource, a group's member, or a clone by its child's id. */
function targetsOf(resources: Resource[]): Target[] {
  const targets: Target[] = [];
  for (const resource of resources) {
    if (resource.kind === 'primitive' && resource.agent.class === 'stonith') continue;
    const promotable = resource.kind === 'clone' && resource.promotable;
    targets.push({ id: resource.id, promotable });
    if (resource.kind === 'group') for (const member of resource.children) targets.push({ id: member.id, promotable: false });
    if (resource.kind === 'clone') targets.push({ id: resource.child.id, promotable });
  }
  return targets;
}

function roleFor(target: Target, tickets: Random): Role | undefined {
  if (target.promotable) {
    const role = tickets.pick(promotableRoles);
    return role === 'none' ? undefined : role;
  }
  return tickets.chance(0.1) ? 'Started' : undefined;
}

/**
 * Resource sets that read back the same from crm syntax: a sequential set of two, then
 * maybe a parenthesised (non-sequential) one, so consecutive sets never merge.
 */
function ticketSets(id: string, targets: Target[], tickets: Random): ResourceSet[] | undefined {
  const ids = [...new Set(targets.map((target) => target.id))];
  if (ids.length < 2) return undefined;
  const first = tickets.pick(ids);
  const second = tickets.pick(ids.filter((other) => other !== first));
  const role = tickets.pick(setRoles);
  const sets: ResourceSet[] = [{ id: `${id}-set0`, resources: [first, second], sequential: true, requireAll: true, ...(role !== 'none' ? { role } : {}) }];
  const rest = ids.filter((other) => other !== first && other !== second);
  if (rest.length > 0 && tickets.chance(0.4)) sets.push({ id: `${id}-set1`, resources: [tickets.pick(rest)], sequential: false, requireAll: true });
  return sets;
}

function ticketConstraint(index: number, targets: Target[], tickets: Random): TicketConstraint {
  const id = `t${index}`;
  const constraint: TicketConstraint = { type: 'ticket', id, ticket: tickets.pick(ticketIds), extra: {} };
  const sets = tickets.chance(0.2) ? ticketSets(id, targets, tickets) : undefined;
  if (sets) constraint.sets = sets;
  else {
    const target = tickets.pick(targets);
    const role = roleFor(target, tickets);
    constraint.rsc = role ? { id: target.id, role } : { id: target.id };
  }
  const policy = tickets.pick(policies);
  if (policy !== 'none') constraint.lossPolicy = policy;
  return constraint;
}

/** A ticket's state here: granted, revoked, in standby (granted or not), or none at all. */
function ticketState(id: string, tickets: Random): TicketState | undefined {
  const kind = tickets.pick(['absent', 'granted', 'granted', 'revoked', 'revoked', 'standby', 'revoked-standby'] as const);
  if (kind === 'absent') return undefined;
  const state: TicketState = { id, granted: kind === 'granted' || kind === 'standby', standby: kind === 'standby' || kind === 'revoked-standby', extra: {} };
  if (kind !== 'revoked-standby') state.lastGranted = historyTimeS;
  return state;
}

/** Tickets in about a third of the cases; fence with a fencing device half the time it is drawn. */
export function ticketFeatures(cib: Cib, tickets: Random): void {
  const targets = targetsOf(cib.configuration.resources);
  if (targets.length === 0 || !tickets.chance(0.35)) return;
  const constraints = Array.from({ length: tickets.int(1, 3) }, (_, index) => ticketConstraint(index, targets, tickets));
  cib.configuration.constraints.push(...constraints);
  const used = [...new Set(constraints.map((constraint) => constraint.ticket))];
  const states = used.flatMap((id) => ticketState(id, tickets) ?? []);
  if (states.length > 0 || tickets.chance(0.3)) cib.status.tickets = states;
  const properties = cib.configuration.properties;
  if (constraints.some((constraint) => constraint.lossPolicy === 'fence') && properties['stonith-enabled'] !== 'true' && tickets.chance(0.5)) {
    properties['stonith-enabled'] = 'true';
    cib.configuration.resources.push({ kind: 'primitive', id: 'fencer', agent: { class: 'stonith', type: 'fence_dummy' }, params: {}, meta: {}, utilization: {}, ops: [], extra: {} });
  }
}
