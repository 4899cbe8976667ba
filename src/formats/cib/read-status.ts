// Reads the <status> section of a CIB: node membership, transient attributes and the
// operation history of every resource on every node.

import { InputError } from '../../model/errors.js';
import type { NodeState, OperationRecord, ResourceHistory, Status } from '../../model/status.js';
import { child, children, otherAttributes, required, type XmlElement } from '../xml/tree.js';
import { nvpairs } from './read-configuration.js';

function integer(element: XmlElement, name: string, fallback?: number): number {
  const value = element.attributes[name];
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new InputError(`<${element.tag}> needs a "${name}" attribute`, element.position);
  }
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InputError(`<${element.tag}> ${name}="${value}" is not an integer`, element.position);
  return parsed;
}

function optionalInteger(element: XmlElement, name: string): number | undefined {
  return element.attributes[name] === undefined ? undefined : integer(element, name);
}

const opKnown = ['id', 'operation', 'call-id', 'rc-code', 'op-status', 'interval', 'last-rc-change', 'last-run', 'exec-time', 'queue-time', 'transition-key', 'transition-magic', 'on_node'];

function readOperation(element: XmlElement): OperationRecord {
  const record: OperationRecord = {
    id: required(element, 'id'),
    operation: required(element, 'operation'),
    callId: integer(element, 'call-id', -1),
    rc: integer(element, 'rc-code', 0),
    opStatus: integer(element, 'op-status', 0),
    intervalMs: integer(element, 'interval', 0),
    extra: otherAttributes(element, opKnown),
  };
  const assign = (key: keyof OperationRecord, attribute: string) => {
    const value = optionalInteger(element, attribute);
    if (value !== undefined) (record as unknown as Record<string, unknown>)[key] = value;
  };
  assign('lastRcChange', 'last-rc-change');
  assign('lastRun', 'last-run');
  assign('execTimeMs', 'exec-time');
  assign('queueTimeMs', 'queue-time');
  if (element.attributes['transition-key'] !== undefined) record.transitionKey = element.attributes['transition-key'];
  if (element.attributes['transition-magic'] !== undefined) record.transitionMagic = element.attributes['transition-magic'];
  if (element.attributes.on_node !== undefined) record.onNode = element.attributes.on_node;
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

/** in_ccm and crmd hold "true"/"online" in 2.1, or a join timestamp in later releases. */
function member(value: string | undefined, yes: string): boolean {
  if (value === undefined) return false;
  return value === yes || value === 'true' || /^[1-9]\d*$/.test(value);
}

function readNodeState(element: XmlElement): NodeState {
  const lrmResources = child(child(element, 'lrm') ?? element, 'lrm_resources');
  return {
    id: required(element, 'id'),
    uname: element.attributes.uname ?? required(element, 'id'),
    inCluster: member(element.attributes.in_ccm, 'true'),
    controllerOnline: member(element.attributes.crmd, 'online'),
    join: element.attributes.join ?? 'down',
    expected: element.attributes.expected ?? 'down',
    transientAttributes: nvpairs(child(element, 'transient_attributes') ?? element, 'instance_attributes'),
    resources: lrmResources ? children(lrmResources, 'lrm_resource').map(readHistory) : [],
    extra: otherAttributes(element, ['id', 'uname', 'in_ccm', 'crmd', 'join', 'expected']),
  };
}

export function readStatus(element: XmlElement | undefined): Status {
  return { nodes: element ? children(element, 'node_state').map(readNodeState) : [] };
}
