// How crm_mon shows resources: a primitive's state and flags, a group with its members, a
// clone by roles and nodes or instance by instance. Pure, from the scheduler's reading of
// the status.

import { allPrimitives } from '../scheduler/scores.js';
import { isTrue } from '../scheduler/options.js';
import { inPromotableClone, RoleRank, roleText, type SchedClone, type SchedNode, type SchedPrimitive, type SchedResource } from '../scheduler/types.js';
import { agentText, type CloneView, type PrimitiveView, type ResourceView } from './view.js';

function primitiveView(primitive: SchedPrimitive, orphaned = primitive.orphan, id = primitive.id): PrimitiveView {
  // A promotable clone's instance that is merely started is shown as unpromoted.
  const role = primitive.role === RoleRank.Started && inPromotableClone(primitive) ? RoleRank.Unpromoted : primitive.role;
  return {
    kind: 'primitive',
    id,
    agent: agentText(primitive.definition.agent),
    role: primitive.runningOn.length === 0 ? 'Stopped' : roleText[role],
    nodes: primitive.runningOn.map((node) => node.name),
    failed: primitive.failed,
    managed: primitive.managed,
    orphaned,
    flags: displayFlags(primitive),
  };
}

/**
 * crm_mon's flags: a target-role that holds the resource back (Stopped: disabled; Unpromoted
 * in a promotable clone), then why it is left alone — blocked (a failure a stop cannot fix),
 * its own maintenance (its meta attribute), or otherwise unmanaged (as under maintenance-mode or
 * on a node in maintenance); and whether its failures are ignored (on-fail=ignore).
 */
function displayFlags(primitive: SchedPrimitive): string[] {
  const flags: string[] = [];
  // The configured target-role, as written (an orphan has none; on-fail=stop is not one).
  const targetRole = primitive.orphan ? undefined : primitive.meta['target-role'];
  const limit = targetRole?.toLowerCase();
  if (limit === 'stopped') flags.push('disabled');
  else if ((limit === 'unpromoted' || limit === 'slave') && inPromotableClone(primitive)) flags.push(`target-role:${targetRole}`);
  if (primitive.blocked) flags.push('blocked');
  else if (isTrue(primitive.meta.maintenance)) flags.push('maintenance');
  else if (!primitive.managed) flags.push('unmanaged');
  if (primitive.failuresIgnored) flags.push('failure ignored');
  return flags;
}

export function resourceView(resource: SchedResource, allNodes: SchedNode[], maintenanceMode: boolean, symmetric: boolean): ResourceView {
  if (resource.kind === 'primitive') return primitiveView(resource);
  if (resource.kind === 'group') return { kind: 'group', id: resource.id, attributes: collectiveAttributes(resource.meta, false, maintenanceMode), members: resource.children.map((member) => primitiveView(member)) };
  return cloneView(resource, allNodes, maintenanceMode, symmetric);
}

/** crm_mon's words after a group's or clone's name: disabled, then maintenance (its own) or unmanaged (also under maintenance-mode). */
function collectiveAttributes(meta: Record<string, string>, promotable: boolean, maintenanceMode: boolean): string[] {
  const attributes: string[] = [];
  const targetRole = meta['target-role']?.toLowerCase();
  if (targetRole === 'stopped' || (promotable && (targetRole === 'unpromoted' || targetRole === 'slave'))) attributes.push('disabled');
  if (isTrue(meta.maintenance)) attributes.push('maintenance');
  else if (maintenanceMode || (meta['is-managed'] !== undefined && !isTrue(meta['is-managed']))) attributes.push('unmanaged');
  return attributes;
}

/** crm_mon's words after a clone's name. */
function cloneAttributes(clone: SchedClone, maintenanceMode: boolean): string[] {
  const kinds = [...(clone.promotable ? ['promotable'] : []), ...(isTrue(clone.meta['globally-unique']) ? ['unique'] : [])];
  return [...kinds, ...collectiveAttributes(clone.meta, clone.promotable, maintenanceMode)];
}

/** Node names as crm_mon sorts them: digits by their value ("node2" before "node10"). */
const byNodeName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });

/** The clone's target-role, or its child's (crm_mon's configured role). */
function configuredRole(clone: SchedClone): string | undefined {
  return (clone.meta['target-role'] ?? clone.definition.child.meta['target-role'])?.toLowerCase();
}

/**
 * As crm_mon lists a clone: an anonymous clone's instance wholly active on one node, managed,
 * not failed and not orphaned, by its role and node; any other active one on its own (a group
 * with its members), its members named without the instance number; every instance of a
 * unique clone on its own. While fewer instances are listed than clone-max, the nodes where
 * none of it runs are listed as Stopped: every node in a symmetric cluster, else those where
 * its state is known.
 */
function cloneView(clone: SchedClone, allNodes: SchedNode[], maintenanceMode: boolean, symmetric: boolean): CloneView {
  const details: CloneView['details'] = [];
  const unique = isTrue(clone.meta['globally-unique']);
  const promoted: string[] = [];
  const started: string[] = [];
  const running = new Set<string>();
  const known = new Set<string>();
  for (const instance of clone.instances) {
    const members = allPrimitives(instance);
    for (const member of members) {
      for (const node of member.knownOn) known.add(node);
      for (const node of member.runningOn) running.add(node.name);
    }
    const nodes = [...new Set(members.flatMap((member) => member.runningOn))];
    const orphaned = clone.orphans.has(instance) || members.some((member) => member.orphan);
    let shownAlone: boolean;
    if (unique) shownAlone = nodes.length > 0 || !orphaned;
    else if (nodes.length === 0) continue;
    else if (orphaned || members.some((member) => !member.managed || member.failed)) shownAlone = true;
    else if (members.some((member) => member.runningOn.length === 0) || nodes.length !== 1 || (!nodes[0]!.online && nodes[0]!.unclean)) shownAlone = true;
    else {
      shownAlone = false;
      const role = Math.max(...members.map((member) => member.role));
      (role > RoleRank.Unpromoted ? promoted : started).push(nodes[0]!.name);
    }
    if (!shownAlone) continue;
    const shown = (member: SchedPrimitive) => primitiveView(member, orphaned || member.orphan, unique ? member.id : member.definition.id);
    details.push(instance.kind === 'primitive' ? shown(instance) : { kind: 'group', id: instance.id, attributes: collectiveAttributes(instance.meta, clone.promotable, maintenanceMode), members: instance.children.map(shown) });
  }
  const byRole: Record<string, string[]> = {};
  const summary: CloneView['summary'] = [];
  const startedRole = clone.promotable ? 'Unpromoted' : 'Started';
  for (const [role, nodes, label] of [['Promoted', promoted, 'Promoted'], [startedRole, started, configuredRole(clone) === 'unpromoted' || configuredRole(clone) === 'slave' ? `${startedRole} (target-role)` : startedRole]] as const) {
    if (nodes.length === 0) continue;
    byRole[role] = [...nodes].sort(byNodeName);
    summary.push({ label, nodes: byRole[role]! });
  }
  if (!unique && clone.cloneMax > promoted.length + started.length) {
    const candidates = symmetric ? allNodes.map((node) => node.name) : [...known];
    const stopped = candidates.filter((name) => !running.has(name)).sort(byNodeName);
    if (stopped.length > 0) {
      byRole.Stopped = stopped;
      summary.push({ label: configuredRole(clone) === 'stopped' ? 'Stopped (disabled)' : 'Stopped', nodes: stopped });
    }
  }
  return { kind: 'clone', id: clone.id, childId: clone.definition.child.id, promotable: clone.promotable, attributes: cloneAttributes(clone, maintenanceMode), byRole, summary, details };
}
