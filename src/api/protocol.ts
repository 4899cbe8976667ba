// The node's control interface: one JSON request per line on a local socket that only
// its owner may open, one JSON response per line back; `status.watch` keeps the
// connection and sends a response line (a ClusterSnapshot) at once and on every change.

import type { NodeAction, ResourceAction, TicketAction } from '../admin/commands.js';
import type { ClusterView } from '../status/view.js';

/** A fault `tandem drill` strikes on a node: power it off (its fencing device), cut its link, or kill a resource's process. */
export type DrillFault = { fault: 'kill-node' } | { fault: 'cut'; durationMs: number } | { fault: 'kill-process'; resource: string };

export type Request =
  | { method: 'status' }
  | { method: 'status.watch' }
  | { method: 'configure.load'; text: string; file: string }
  | { method: 'configure.show' }
  | { method: 'resource'; action: ResourceAction; id: string; node?: string }
  /** A resource's configured target-role (null: none); with `value`, sets it (null: removes it). */
  | { method: 'resource.target-role'; id: string; value?: string | null }
  /** The nodes a resource (or any member or instance of it) is active on now. */
  | { method: 'resource.active'; id: string }
  | { method: 'node'; action: NodeAction; name: string }
  | { method: 'ticket'; action: TicketAction; ticket: string }
  | { method: 'property.set'; name: string; value: string }
  | { method: 'property.get'; name: string }
  | { method: 'history' }
  | { method: 'attribute'; node: string; name: string; value: string | null; permanent: boolean }
  | { method: 'attribute.get'; node: string; name: string }
  | { method: 'cluster.leave' }
  | { method: 'drill'; target: string; fault: DrillFault }
  | { method: 'sessions.report'; balancer: string; servers: SessionReport[] };

/**
 * What a balancer following the cluster says of the servers of backends tied to a resource
 * on one node: whether the cluster keeps new sessions from them, and the sessions still open
 * on them. A `sessions.report` replaces that balancer's previous report whole.
 */
export interface SessionReport {
  resource: string;
  /** The node the servers are on. */
  node: string;
  /** The cluster's verdict on every such server is drain or down: no new session goes there. */
  draining: boolean;
  /** Sessions open on them (scur); 0 while not draining. */
  sessions: number;
}

/** What `status.watch` sends: the cluster as this node sees it. */
export interface ClusterSnapshot {
  /** The node answering. */
  node: string;
  revision: number;
  view: ClusterView;
  /**
   * Where the scheduler is about to stop or demote a resource (a planned stop, move, ban,
   * restart, standby): node names by resource id, for primitives and for the groups and
   * clones they belong to.
   */
  leaving: Record<string, string[]>;
  /** The live members and the addresses they are reached at. */
  members: Array<{ name: string; addresses: string[] }>;
}

export type Response = { ok: true; result: unknown } | { ok: false; error: string };

export const socketName = 'tandem.sock';
/** The data directory's lock, held by the one daemon using it (JSON with its pid). */
export const lockName = 'tandem.lock';
