// Renders a ClusterView as crm_mon / crm_simulate print cluster status.

import type { ClusterView, PrimitiveView, ResourceView } from './view.js';

const nodeHeadings: Array<[string, string]> = [
  ['online', 'Online'],
  ['standby', 'Node standby'],
  ['maintenance', 'Node maintenance'],
  ['shutting down', 'Shutting down'],
  ['unclean online', 'UNCLEAN (online)'],
  ['unclean', 'UNCLEAN (offline)'],
  ['offline', 'OFFLINE'],
];

/** An unclean node still in the membership (to be fenced all the same) is told apart, as crm_mon does. */
function headingKey(node: ClusterView['nodes'][number]): string {
  return node.condition === 'unclean' && node.online === true ? 'unclean online' : node.condition;
}

function primitiveLine(view: PrimitiveView, indent: string): string {
  const where = view.nodes.length === 0 ? 'Stopped' : view.nodes.length > 1 ? `${view.role} [ ${view.nodes.join(' ')} ]` : `${view.role} ${view.nodes[0]}`;
  const state = view.failed && view.nodes.length === 1 ? `FAILED ${view.nodes[0]}` : where;
  return `${indent}* ${view.id}\t(${view.agent}):\t ${state}${view.flags.length > 0 ? ` (${view.flags.join(', ')})` : ''}`;
}

function resourceLines(view: ResourceView): string[] {
  if (view.kind === 'primitive') return [primitiveLine(view, '    ')];
  if (view.kind === 'group') return [`    * Resource Group: ${view.id}:`, ...view.members.map((member) => primitiveLine(member, '      '))];
  const lines = [`    * Clone Set: ${view.id} [${view.childId}]${view.promotable ? ' (promotable)' : ''}:`];
  for (const detail of view.details) lines.push(primitiveLine(detail, '      '));
  for (const role of ['Promoted', 'Unpromoted', 'Started', 'Stopped']) {
    const nodes = view.byRole[role];
    if (nodes && nodes.length > 0) lines.push(`      * ${role}: [ ${nodes.join(' ')} ]`);
  }
  return lines;
}

/** As crm_mon --tickets: granted (with when) or revoked, and [standby]. */
function ticketLine(ticket: ClusterView['tickets'][number]): string {
  const state = ticket.granted ? 'granted' : 'revoked';
  const when = ticket.lastGranted !== undefined ? ` (last-granted=${new Date(ticket.lastGranted * 1000).toISOString()})` : '';
  return `    * ${ticket.id}:\t${state}${ticket.standby ? ' [standby]' : ''}${when}`;
}

export function renderStatus(view: ClusterView): string {
  const lines = ['  * Node List:'];
  for (const [condition, heading] of nodeHeadings) {
    const names = view.nodes.filter((node) => headingKey(node) === condition).map((node) => node.name);
    if (names.length > 0) lines.push(`    * ${heading}: [ ${names.join(' ')} ]`);
  }
  lines.push('', '  * Full List of Resources:');
  if (view.resources.length === 0) lines.push('    * No resources');
  for (const resource of view.resources) lines.push(...resourceLines(resource));
  if (view.tickets.length > 0) lines.push('', '  * Tickets:', ...view.tickets.map(ticketLine));
  return lines.join('\n');
}
