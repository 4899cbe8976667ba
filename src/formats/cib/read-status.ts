// Reads the <status> section of a CIB: node membership, transient attributes, the
// operation history of every resource on every node, and the tickets this site holds.

import { InputError } from '../../model/errors.js';
import type { NodeState, OperationRecord, ResourceHistory, Status, TicketState } from '../../model/status.js';
import { isTrue, readInteger, readNvpairs, toUnknown } from './read-values.js';
import { child, children, otherAttributes, required, type XmlElement } from './xml-source.js';

const modelledOpAttributes = ['id', 'operation', 'call-id', 'rc-code', 'op-status', 'interval', 'last-rc-change', 'last-run', 'exec-time', 'queue-time', 'transition-key', 'transition-magic', 'on_node'];

function readOperation(element: XmlElement): OperationRecord {
  const record: OperationRecord = {
    id: required(element, 'id'),
    operation: required(element, 'operation'),
    callId: readInteger(element, 'call-id', -1),
    rc: readInteger(element, 'rc-code', 0),
    opStatus: readInteger(element, 'op-status', 0),
    intervalMs: readInteger(element, 'interval', 0),
    extra: otherAttributes(element, modelledOpAttributes),
  };
  const lastRcChange = readInteger(element, 'last-rc-change');
  const lastRun = readInteger(element, 'last-run');
  const execTimeMs = readInteger(element, 'exec-time');
  const queueTimeMs = readInteger(element, 'queue-time');
  if (lastRcChange !== undefined) record.lastRcChange = lastRcChange;
  if (lastRun !== undefined) record.lastRun = lastRun;
  if (execTimeMs !== undefined) record.execTimeMs = execTimeMs;
  if (queueTimeMs !== undefined) record.queueTimeMs = queueTimeMs;
  const { on_node: onNode } = element.attributes;
  const transitionKey = element.attributes['transition-key'];
  const transitionMagic = element.attributes['transition-magic'];
  if (transitionKey !== undefined) record.transitionKey = transitionKey;
  if (transitionMagic !== undefined) record.transitionMagic = transitionMagic;
  if (onNode !== undefined) record.onNode = onNode;
  return record;
}

function readHistory(element: XmlElement): ResourceHistory {
  const history: ResourceHistory = {
    id: required(element, 'id'),
    class: element.attributes.class ?? '',
    type: element.attributes.type ?? '',
    ops: children(element, 'lrm_rsc_op').map(readOperation),
    extra: otherAttributes(element, ['id', 'class', 'provider', 'type']),
  };
  if (element.attributes.provider !== undefined) history.provider = element.attributes.provider;
  return history;
}

/** in_ccm and crmd hold "true"/"online" in 2.1, or the time the node joined in later releases. */
function member(value: string | undefined, yes: string): boolean {
  return value !== undefined && (value === yes || value === 'true' || /^[1-9]\d*$/.test(value));
}

function readNodeState(element: XmlElement): NodeState {
  const id = required(element, 'id');
  const transient = child(element, 'transient_attributes');
  const resources = child(child(element, 'lrm') ?? element, 'lrm_resources');
  return {
    id,
    uname: element.attributes.uname ?? id,
    inCluster: member(element.attributes.in_ccm, 'true'),
    controllerOnline: member(element.attributes.crmd, 'online'),
    join: element.attributes.join ?? 'down',
    expected: element.attributes.expected ?? 'down',
    transientAttributes: transient ? readNvpairs(transient, 'instance_attributes') : {},
    resources: resources ? children(resources, 'lrm_resource').map(readHistory) : [],
    extra: otherAttributes(element, ['id', 'uname', 'in_ccm', 'crmd', 'join', 'expected']),
  };
}

/** A ticket_state as crm_ticket writes it; like Pacemaker, anything but a true value is false. */
function readTicketState(element: XmlElement): TicketState {
  const ticket: TicketState = {
    id: required(element, 'id'),
    granted: isTrue(element.attributes.granted),
    standby: isTrue(element.attributes.standby),
    extra: otherAttributes(element, ['id', 'granted', 'standby', 'last-granted']),
  };
  const lastGranted = readInteger(element, 'last-granted');
  if (lastGranted !== undefined) ticket.lastGranted = lastGranted;
  return ticket;
}

/** Every <tickets> section's ticket_state elements; one state per ticket. */
function readTickets(sections: XmlElement[]): TicketState[] {
  const tickets: TicketState[] = [];
  for (const section of sections) {
    for (const part of section.children) {
      if (part.tag !== 'ticket_state') throw new InputError(`<${part.tag}> in <tickets> is not supported: expected <ticket_state>`, part.position);
      const ticket = readTicketState(part);
      if (tickets.some((other) => other.id === ticket.id)) throw new InputError(`<ticket_state id="${ticket.id}"> appears twice`, part.position);
      tickets.push(ticket);
    }
  }
  return tickets;
}

export function readStatus(element: XmlElement | undefined): Status {
  const status: Status = { nodes: [] };
  const unknown = [];
  const ticketSections: XmlElement[] = [];
  for (const part of element?.children ?? []) {
    if (part.tag === 'node_state') status.nodes.push(readNodeState(part));
    else if (part.tag === 'tickets') ticketSections.push(part);
    else unknown.push(toUnknown(part));
  }
  if (ticketSections.length > 0) status.tickets = readTickets(ticketSections);
  if (unknown.length > 0) status.unknown = unknown;
  return status;
}
