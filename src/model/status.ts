// The cluster status: tandem's typed form of Pacemaker's CIB <status>.
// Per node: membership, transient attributes (fail counts, promotion scores) and the
// operation history of every resource ever run or probed there.

import type { ExtraAttributes, UnknownElement } from './config.js';

/** OCF return codes (the OCF resource agent API), with their meaning. */
export const OcfRc = {
  success: 0,
  errGeneric: 1,
  errArgs: 2,
  errUnimplemented: 3,
  errPerm: 4,
  errInstalled: 5,
  errConfigured: 6,
  notRunning: 7,
  runningPromoted: 8,
  failedPromoted: 9,
} as const;

/** Pacemaker's execution status of an operation (op-status); 0 means it completed. */
export const OpStatus = {
  done: 0,
  pending: -1,
  cancelled: 1,
  timeout: 2,
  notSupported: 3,
  error: 4,
  errorHard: 5,
  errorFatal: 6,
  notInstalled: 7,
} as const;

export interface OperationRecord {
  /** lrm_rsc_op id, e.g. "rsc_last_0", "rsc_monitor_10000", "rsc_last_failure_0" */
  id: string;
  operation: string;
  callId: number;
  rc: number;
  opStatus: number;
  intervalMs: number;
  /** Seconds since the epoch. */
  lastRcChange?: number;
  lastRun?: number;
  execTimeMs?: number;
  queueTimeMs?: number;
  transitionKey?: string;
  transitionMagic?: string;
  onNode?: string;
  /** Other lrm_rsc_op attributes (op-digest, crm-debug-origin ...), kept verbatim. */
  extra: ExtraAttributes;
}

export interface ResourceHistory {
  id: string;
  class: string;
  provider?: string;
  type: string;
  ops: OperationRecord[];
  extra: ExtraAttributes;
}

export interface NodeState {
  id: string;
  uname: string;
  /** Member of the cluster layer (node_state in_ccm). */
  inCluster: boolean;
  /** Its controller is running (node_state crmd="online"). */
  controllerOnline: boolean;
  join: string; // member | down | pending | banned
  expected: string; // member | down
  transientAttributes: Record<string, string>;
  resources: ResourceHistory[];
  extra: ExtraAttributes;
}

/** A ticket as this cluster site holds it (<tickets><ticket_state>), as crm_ticket sets it. */
export interface TicketState {
  id: string;
  granted: boolean;
  /** Granted but not to be used: its resources stop as if it were not granted (no loss-policy). */
  standby: boolean;
  /** Seconds since the epoch. */
  lastGranted?: number;
  /** Other attributes of the ticket_state, kept verbatim. */
  extra: ExtraAttributes;
}

export interface Status {
  nodes: NodeState[];
  /** Tickets with a state; a ticket never mentioned here is not granted. */
  tickets?: TicketState[];
  /** Parts of <status> tandem does not interpret, kept for round trips. */
  unknown?: UnknownElement[];
}

export function emptyStatus(): Status {
  return { nodes: [] };
}

export function isNodeOnline(state: NodeState | undefined): boolean {
  return (
    state !== undefined &&
    state.inCluster &&
    state.controllerOnline &&
    state.join === 'member' &&
    state.expected === 'member'
  );
}

const simulatedUuid = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';

/** The transition-key Pacemaker records with an operation: action:transition:expected-rc:uuid. */
export function transitionKeyFor(expectedRc: number, actionId = 1, transitionId = -1): string {
  return `${actionId}:${transitionId}:${expectedRc}:${simulatedUuid}`;
}

/** The transition-magic: op-status:rc;transition-key. */
export function transitionMagicFor(opStatus: number, rc: number, key: string): string {
  return `${opStatus}:${rc};${key}`;
}

/** The rc an operation was expected to return, read from its transition-key. */
/** The operation a record is of, as rsc_task_interval (Pacemaker's operation_key; the record's id when absent). */
export function operationKeyOf(record: OperationRecord): string {
  return record.extra.operation_key ?? record.id;
}

export function expectedRcOf(record: OperationRecord): number | undefined {
  const field = record.transitionKey?.split(':')[2];
  if (field === undefined || !/^-?\d+$/.test(field)) return undefined;
  return Number(field);
}
