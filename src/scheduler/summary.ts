// The Transition Summary, line for line as crm_simulate prints it, including its column
// widths that only grow as longer names are printed.

import type { ActionGraph, SchedAction } from './actions.js';
import { RoleRank, roleText, type SchedNode, type SchedPrimitive } from './types.js';

export interface SummaryItem {
  change: string;
  resource: string;
  from?: string;
  to?: string;
  role?: string;
  nextRole?: string;
  details: string;
  reason?: string;
  blocked: boolean;
  line: string;
}

/**
 * Collects the summary items; lines are formatted at the end because Pacemaker's widths
 * come from a first pass over every item: the resource column grows to a name's length
 * plus 2 whenever a name is longer than it, the (right-aligned) detail column to the
 * longest detail.
 */
export class SummaryPrinter {
  private readonly collected: Array<Omit<SummaryItem, 'line'>> = [];

  item(change: string, primitive: SchedPrimitive, origin: SchedNode | undefined, destination: SchedNode | undefined, action: SchedAction, source?: SchedAction): void {
    const cause = source ?? action;
    const needRole = primitive.role > RoleRank.Started || primitive.nextRole > RoleRank.Unpromoted;
    const sameHost = origin !== undefined && origin === destination;
    const sameRole = primitive.role === primitive.nextRole;
    const role = roleText[primitive.role];
    const nextRole = roleText[primitive.nextRole];
    let details: string;
    if (needRole && origin === undefined) details = `${role} -> ${nextRole} ${destination?.name}`;
    else if (origin === undefined) details = `${destination?.name}`;
    else if (needRole && destination === undefined) details = `${role} ${origin.name}`;
    else if (destination === undefined) details = origin.name;
    else if (needRole && sameRole && sameHost) details = `${role} ${origin.name}`;
    else if (sameRole && sameHost) details = origin.name;
    else if (needRole && sameRole) details = `${origin.name} -> ${destination.name} ${role}`;
    else if (sameRole) details = `${origin.name} -> ${destination.name}`;
    else if (sameHost) details = `${role} -> ${nextRole} ${origin.name}`;
    else details = `${role} ${origin.name} -> ${nextRole} ${destination.name}`;

    let reason: string | undefined;
    if (cause.reason && !action.runnable) reason = `due to ${cause.reason} (blocked)`;
    else if (cause.reason) reason = `due to ${cause.reason}`;
    else if (!action.runnable) reason = 'blocked';
    this.collected.push({ change, resource: primitive.id, from: origin?.name, to: destination?.name, role, nextRole, details, reason, blocked: !action.runnable });
  }

  get items(): SummaryItem[] {
    let resourceWidth = 5;
    let detailWidth = 5;
    for (const item of this.collected) {
      if (item.resource.length > resourceWidth) resourceWidth = item.resource.length + 2;
      detailWidth = Math.max(detailWidth, item.details.length);
    }
    return this.collected.map((item) => ({
      ...item,
      line: `  * ${item.change.padEnd(8)}   ${item.resource.padEnd(resourceWidth)}   ( ${item.details.padStart(detailWidth)} )${item.reason ? '  ' + item.reason : ''}`,
    }));
  }
}

/** The first action made for a task there (or on no node yet), as Pacemaker's pe__resource_actions finds it. */
function firstOf(graph: ActionGraph, primitive: SchedPrimitive, task: 'start' | 'stop' | 'promote' | 'demote', node: SchedNode | undefined): SchedAction | undefined {
  return graph.find(primitive, task).find((action) => node === undefined || action.node === node || action.node === undefined);
}

/** What crm_simulate says about one primitive (Pacemaker's rsc_action_default). */
export function summarisePrimitive(printer: SummaryPrinter, graph: ActionGraph, primitive: SchedPrimitive): void {
  const current = primitive.runningOn[0];
  const next = primitive.assigned;
  if (!primitive.managed || (current === undefined && next === undefined)) return;
  const moving = current !== undefined && next !== undefined && current !== next;
  const start = firstOf(graph, primitive, 'start', next);
  const startNode = start === undefined || !start.runnable ? undefined : current;
  const stop = firstOf(graph, primitive, 'stop', startNode);
  const promote = firstOf(graph, primitive, 'promote', next);
  const demote = firstOf(graph, primitive, 'demote', next);

  if (primitive.role === primitive.nextRole) {
    if (!next) return;
    if (start === undefined || start.optional) {
      if (demote && promote && !demote.optional && !promote.optional) printer.item('Re-promote', primitive, current, next, promote, demote);
    } else if (!start.runnable) {
      if (current) printer.item('Stop', primitive, current, undefined, stop ?? start, stop?.reason ? stop : start);
    } else if (moving && current) {
      printer.item(primitive.failed ? 'Recover' : 'Move', primitive, current, next, stop ?? start);
    } else if (primitive.failed) {
      printer.item('Recover', primitive, current, undefined, stop ?? start);
    } else {
      printer.item('Restart', primitive, current, next, start);
    }
    return;
  }

  if (stop && (primitive.nextRole === RoleRank.Stopped || (start && !start.runnable))) {
    for (const node of primitive.runningOn) {
      const stopHere = firstOf(graph, primitive, 'stop', node);
      const action = stopHere ?? stop;
      printer.item('Stop', primitive, node, undefined, action, stopHere?.reason ? stopHere : start ?? action);
    }
  } else if (stop && primitive.failed) {
    printer.item('Recover', primitive, current, next, stop, start);
  } else if (moving) {
    printer.item('Move', primitive, current, next, stop ?? start!);
  } else if (stop && !stop.optional) {
    printer.item('Restart', primitive, current, next, start ?? stop);
  } else if (primitive.role === RoleRank.Promoted && demote) {
    printer.item('Demote', primitive, current, next, demote);
  } else if (primitive.nextRole === RoleRank.Promoted && promote) {
    printer.item('Promote', primitive, current, next, promote);
  } else if (primitive.role === RoleRank.Stopped && primitive.nextRole > RoleRank.Stopped && start) {
    printer.item('Start', primitive, current, next, start);
  }
}
