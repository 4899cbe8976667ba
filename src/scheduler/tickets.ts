// Ticket constraints (rsc_ticket), as Pacemaker 2.1 applies them: a resource that depends
// on a ticket this site does not hold (or holds in standby) may not run; one that runs when
// its ticket is revoked meets its loss-policy: stop, demote (Promoted role only), fence the
// nodes it runs on, or freeze (left as it is, unmanaged). The role on the constraint
// narrows some of this: see applyToPrimitive.

import type { LossPolicy, Role, TicketConstraint } from '../model/config.js';
import { INFINITY } from '../model/score.js';
import type { TicketState } from '../model/status.js';
import { addLocation } from './scores.js';
import { RoleRank, type SchedClone, type SchedPrimitive, type SchedResource } from './types.js';
import { markUnclean, roleRank, type WorkingSet } from './unpack.js';

interface TicketDependency {
  constraintId: string;
  ticketId: string;
  /** Unknown when the constraint names no role, or Started (Pacemaker reads both alike). */
  role: RoleRank;
  lossPolicy: LossPolicy;
}

type TicketHolding = Pick<TicketState, 'granted' | 'standby'>;

/** A ticket with no state in the status has never been granted here. */
const neverGranted: TicketHolding = { granted: false, standby: false };

function dependencyRole(role: Role | undefined): RoleRank {
  return role === 'Started' ? RoleRank.Unknown : roleRank(role);
}

/** The loss-policy in effect: fence needs fencing; without a policy, Promoted means demote. */
function effectivePolicy(ws: WorkingSet, constraint: TicketConstraint, role: RoleRank): LossPolicy {
  const policy = constraint.lossPolicy;
  if (policy === 'fence' && !ws.options.stonithEnabled) {
    ws.warnings.push(`Resetting 'loss-policy' for ticket '${constraint.ticket}' to 'stop' because fencing is not configured`);
    return 'stop';
  }
  return policy ?? (role === RoleRank.Promoted ? 'demote' : 'stop');
}

/** Each resource a constraint names with its role, in order (sets one after another), and what to say if it is unknown. */
function namedResources(constraint: TicketConstraint): Array<{ id: string; role: Role | undefined; unknown: string }> {
  if (constraint.rsc) {
    const { id, role } = constraint.rsc;
    return [{ id, role, unknown: `Ignoring constraint '${constraint.id}' because '${id}' is not a valid resource or tag` }];
  }
  return (constraint.sets ?? []).flatMap((set) => set.resources.map((id) => ({ id, role: set.role, unknown: `${set.id ?? constraint.id}: No resource found for ${id}` })));
}

/**
 * Applies every rsc_ticket after the status is unpacked (so what runs where is known) and
 * before node scores are used: bans, fencing of the nodes a lost ticket's resources run on,
 * and freezing. Returns the promotable clones that may promote nothing for want of a ticket.
 */
export function applyTickets(ws: WorkingSet, constraints: TicketConstraint[], states: TicketState[]): Set<SchedClone> {
  const held = new Map<string, TicketHolding>(states.map((state) => [state.id, state]));
  const withoutPromotion = new Set<SchedClone>();
  for (const constraint of constraints) {
    const ticket = held.get(constraint.ticket) ?? neverGranted;
    for (const { id, role, unknown } of namedResources(constraint)) {
      const resource = constraintResource(ws, id);
      if (!resource) {
        // Pacemaker gives up on the rest of the constraint at the first unknown resource.
        ws.warnings.push(unknown);
        break;
      }
      const rank = dependencyRole(role);
      const dependency: TicketDependency = { constraintId: constraint.id, ticketId: constraint.ticket, role: rank, lossPolicy: effectivePolicy(ws, constraint, rank) };
      const usable = ticket.granted && !ticket.standby;
      if (usable) continue;
      // Only the clone the constraint names loses its promotions (pcmk__require_promotion_tickets).
      if (rank === RoleRank.Promoted && resource.kind === 'clone' && resource.promotable) withoutPromotion.add(resource);
      applyToResource(ws, resource, dependency, ticket);
    }
  }
  return withoutPromotion;
}

/**
 * The resource a constraint names, as Pacemaker finds it: by its own id, or a clone by the
 * id its instances carry in history; a clone's child named before any history, or a cloned
 * group, is found nowhere.
 */
function constraintResource(ws: WorkingSet, id: string): SchedResource | undefined {
  const resource = ws.byId.get(id);
  if (!resource || resource.id === id) return resource;
  return ws.historyNames.has(id) ? resource : undefined;
}

/** Collective resources pass the dependency down to each primitive they contain, instances included. */
function applyToResource(ws: WorkingSet, resource: SchedResource, dependency: TicketDependency, ticket: TicketHolding): void {
  if (resource.kind === 'group') for (const child of resource.children) applyToResource(ws, child, dependency, ticket);
  else if (resource.kind === 'clone') for (const instance of resource.instances) applyToResource(ws, instance, dependency, ticket);
  else applyToPrimitive(ws, resource, dependency, ticket);
}

/** -INFINITY everywhere, with the constraint named for --explain. */
function ban(ws: WorkingSet, primitive: SchedPrimitive, dependency: TicketDependency, why: string): void {
  const reason = `ticket ${dependency.ticketId} ${why} (${dependency.constraintId})`;
  for (const node of ws.nodes) addLocation(primitive, node, -INFINITY, reason);
}

/**
 * One primitive's fate (Pacemaker's constraints_for_ticket). Revoked while it runs: the
 * loss-policy acts, fence and freeze only on a primitive whose current role is the
 * constraint's (if it names one); demote leaves the Promoted role to the promotion step.
 * Not running, or the ticket in standby: it may not start, unless the constraint is about
 * the Promoted role and its policy is not stop (then it may run, just not be promoted).
 */
function applyToPrimitive(ws: WorkingSet, primitive: SchedPrimitive, dependency: TicketDependency, ticket: TicketHolding): void {
  const { role, lossPolicy } = dependency;
  const roleMatches = role === RoleRank.Unknown || role === primitive.role;
  if (!ticket.granted && primitive.runningOn.length > 0) {
    switch (lossPolicy) {
      case 'stop':
        ban(ws, primitive, dependency, 'was revoked, loss-policy=stop');
        return;
      case 'demote':
        if (role !== RoleRank.Promoted) ban(ws, primitive, dependency, 'was revoked, loss-policy=demote');
        return;
      case 'fence':
        if (!roleMatches) return;
        ban(ws, primitive, dependency, 'was revoked, loss-policy=fence');
        for (const node of primitive.runningOn) markUnclean(ws, node, 'deadman ticket was lost');
        return;
      case 'freeze':
        if (!roleMatches) return;
        // Left exactly as it is, as on-fail=block leaves a resource.
        primitive.managed = false;
        primitive.blocked = true;
        return;
    }
  }
  if (role === RoleRank.Promoted && lossPolicy !== 'stop') return;
  ban(ws, primitive, dependency, ticket.granted ? 'is in standby' : 'is not granted');
}
