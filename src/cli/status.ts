// Prints a node's status as crm_mon does: nodes, resources, failed actions, fail counts,
// and what the cluster is about to do.

import type { StatusReport } from '../node/handler.js';
import { renderStatus } from '../status/text.js';
import { failedActionLine, migrationSummaryLines } from '../status/failures.js';

export function renderReport(report: StatusReport): string {
  const members = (report.cluster.members as Array<{ name: string; addresses: string[]; joinedAtMs?: number; leaseLeftS?: number }> | undefined) ?? [];
  const describeMember = (member: (typeof members)[number]) => {
    const facts = [...member.addresses];
    // etcd counts what is left in whole seconds: a live lease of 1 s shows 0.
    if (member.leaseLeftS !== undefined) facts.push(member.leaseLeftS > 0 ? `lease ${member.leaseLeftS} s left` : 'lease under 1 s left');
    if (member.joinedAtMs !== undefined) facts.push(`member for ${Math.max(0, Math.round((Date.now() - member.joinedAtMs) / 1000))} s`);
    return facts.length > 0 ? `${member.name} (${facts.join(', ')})` : member.name;
  };
  const lines = [
    `Cluster Summary:`,
    `  * Node: ${report.node} (store revision ${report.revision})`,
    `  * Current DC: ${(report.cluster.dc as string | undefined) ?? 'NONE'}`,
    ...(report.lastChange ? [`  * Last change:  ${report.lastChange.at}${report.lastChange.client ? ` via ${report.lastChange.client}` : ''}${report.lastChange.origin ? ` on ${report.lastChange.origin}` : ''}`] : []),
    `  * Members: ${members.map(describeMember).join(' ') || 'none'}`,
    `  * ${report.view.haveQuorum ? 'Partition with quorum' : 'Partition WITHOUT quorum'}`,
    '',
  ];
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  lines.push(renderStatus(report.view));
  if (report.failCounts.length > 0) lines.push('', 'Migration Summary:', ...migrationSummaryLines(report.failCounts));
  if (report.failedActions.length > 0) lines.push('', 'Failed Resource Actions:', ...report.failedActions.map(failedActionLine));
  if (report.pending.length > 0) lines.push('', 'Pending Actions:', ...report.pending);
  return lines.join('\n');
}
