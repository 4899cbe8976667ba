// Renders a ClusterView as crm_mon / crm_simulate print cluster status.

import type { ClusterView, GroupView, PrimitiveView, ResourceView } from './view.js';

function primitiveLine(view: PrimitiveView, indent: string): string {
  const where = view.nodes.length === 0 ? 'Stopped' : view.nodes.length > 1 ? `${view.role} [ ${view.nodes.join(' ')} ]` : `${view.role} ${view.nodes[0]}`;
  // A failed resource shows its role only when it is promoted, as crm_mon.
  const state = view.failed && view.nodes.length === 1 ? `FAILED ${view.role === 'Promoted' ? 'Promoted ' : ''}${view.nodes[0]}` : where;
  return `${indent}* ${view.id}\t(${view.agent}):\t ${view.orphaned ? 'ORPHANED ' : ''}${state}${view.flags.length > 0 ? ` (${view.flags.join(', ')})` : ''}`;
}

function groupLines(view: GroupView, indent: string): string[] {
  const attributes = view.attributes && view.attributes.length > 0 ? ` (${view.attributes.join(', ')})` : '';
  return [`${indent}* Resource Group: ${view.id}${attributes}:`, ...view.members.map((member) => primitiveLine(member, `${indent}  `))];
}

function resourceLines(view: ResourceView): string[] {
  if (view.kind === 'primitive') return [primitiveLine(view, '    ')];
  if (view.kind === 'group') return groupLines(view, '    ');
  const lines = [`    * Clone Set: ${view.id} [${view.childId}]${view.attributes.length > 0 ? ` (${view.attributes.join(', ')})` : ''}:`];
  for (const detail of view.details) lines.push(...(detail.kind === 'group' ? groupLines(detail, '      ') : [primitiveLine(detail, '      ')]));
  for (const { label, nodes } of view.summary) lines.push(`      * ${label}: [ ${nodes.join(' ')} ]`);
  return lines;
}

/** As crm_mon --tickets: granted (with when) or revoked, and [standby]. */
function ticketLine(ticket: ClusterView['tickets'][number]): string {
  const state = ticket.granted ? 'granted' : 'revoked';
  const when = ticket.lastGranted !== undefined ? ` (last-granted=${new Date(ticket.lastGranted * 1000).toISOString()})` : '';
  return `    * ${ticket.id}:\t${state}${ticket.standby ? ' [standby]' : ''}${when}`;
}

export function renderStatus(view: ClusterView): string {
  // As crm_mon: nodes in an unusual state each on a line, in node order, then the plain ones listed.
  const lines = ['  * Node List:', ...view.nodes.filter((node) => node.individual).map((node) => `    * Node ${node.name}: ${node.state}`)];
  for (const [state, heading] of [['online', 'Online'], ['OFFLINE', 'OFFLINE']]) {
    const names = view.nodes.filter((node) => !node.individual && node.state === state).map((node) => node.name);
    if (names.length > 0) lines.push(`    * ${heading}: [ ${names.join(' ')} ]`);
  }
  lines.push('', '  * Full List of Resources:');
  if (view.resources.length === 0) lines.push('    * No resources');
  for (const resource of view.resources) lines.push(...resourceLines(resource));
  if (view.tickets.length > 0) lines.push('', '  * Tickets:', ...view.tickets.map(ticketLine));
  return lines.join('\n');
}
