// Writes <status> as Pacemaker's controller and attribute manager write it: per node a
// node_state with its operation history (lrm) and transient attributes; then the tickets
// as crm_ticket writes them.

import type { NodeState, OperationRecord, ResourceHistory, Status, TicketState } from '../../model/status.js';
import { unknownElement } from './write-common.js';
import { sanitizeId } from './write-ids.js';
import { element, type OutElement } from './xml-render.js';

function optionalNumber(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

function operationRecord(op: OperationRecord): OutElement {
  return element('lrm_rsc_op', [
    ['id', op.id],
    ['operation', op.operation],
    ['call-id', String(op.callId)],
    ['rc-code', String(op.rc)],
    ['op-status', String(op.opStatus)],
    ['interval', String(op.intervalMs)],
    ['last-rc-change', optionalNumber(op.lastRcChange)],
    ['last-run', optionalNumber(op.lastRun)],
    ['exec-time', optionalNumber(op.execTimeMs)],
    ['queue-time', optionalNumber(op.queueTimeMs)],
    ['transition-key', op.transitionKey],
    ['transition-magic', op.transitionMagic],
    ['on_node', op.onNode],
    ...Object.entries(op.extra),
  ]);
}

function history(value: ResourceHistory): OutElement {
  return element('lrm_resource', [['id', value.id], ['class', value.class], ['provider', value.provider], ['type', value.type], ...Object.entries(value.extra)], value.ops.map(operationRecord));
}

/** Status is not checked against the schema's ids; these are the ids Pacemaker itself uses. */
function transientAttributes(state: NodeState): OutElement[] {
  const pairs = Object.entries(state.transientAttributes);
  if (pairs.length === 0) return [];
  const setId = `status-${state.id}`;
  const nvpairs = pairs.map(([name, value]) => element('nvpair', [['id', sanitizeId(`${setId}-${name}`)], ['name', name], ['value', value]]));
  return [element('transient_attributes', [['id', state.id]], [element('instance_attributes', [['id', setId]], nvpairs)])];
}

function nodeState(state: NodeState): OutElement {
  return element(
    'node_state',
    [
      ['id', state.id],
      ['uname', state.uname],
      ['in_ccm', String(state.inCluster)],
      ['crmd', state.controllerOnline ? 'online' : 'offline'],
      ['join', state.join],
      ['expected', state.expected],
      ...Object.entries(state.extra),
    ],
    [element('lrm', [['id', state.id]], [element('lrm_resources', [], state.resources.map(history))]), ...transientAttributes(state)],
  );
}

function ticketState(ticket: TicketState): OutElement {
  return element('ticket_state', [
    ['id', ticket.id],
    ['granted', String(ticket.granted)],
    ['last-granted', optionalNumber(ticket.lastGranted)],
    ['standby', ticket.standby ? 'true' : undefined],
    ...Object.entries(ticket.extra),
  ]);
}

/** An empty <tickets> is kept too: it says this site was told about tickets, none granted. */
function tickets(status: Status): OutElement[] {
  return status.tickets === undefined ? [] : [element('tickets', [], status.tickets.map(ticketState))];
}

export function statusElement(status: Status): OutElement {
  return element('status', [], [...status.nodes.map(nodeState), ...tickets(status), ...(status.unknown ?? []).map(unknownElement)]);
}
