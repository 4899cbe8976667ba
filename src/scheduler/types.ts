// The scheduler's working state for one run: nodes and resources unpacked from the CIB,
// with the scores and assignments the run computes. Created fresh for every run and
// thrown away after it, so mutation here never leaks out of the pure `schedule` call.

import type { Clone, Group, Primitive } from '../model/config.js';
import type { FailureRecord } from './failures.js';

/** Roles ordered as Pacemaker orders them, so comparisons mean "more active than". */
export enum RoleRank {
  Unknown = 0,
  Stopped = 1,
  Started = 2,
  Unpromoted = 3,
  Promoted = 4,
}

export const roleText: Record<RoleRank, string> = {
  [RoleRank.Unknown]: 'Unknown',
  [RoleRank.Stopped]: 'Stopped',
  [RoleRank.Started]: 'Started',
  [RoleRank.Unpromoted]: 'Unpromoted',
  [RoleRank.Promoted]: 'Promoted',
};

export interface SchedNode {
  name: string;
  id: string;
  online: boolean;
  standby: boolean;
  /** In standby because a failure asked for it (on-fail=standby). */
  standbyOnFail: boolean;
  maintenance: boolean;
  /** Shutting down (transient attribute "shutdown"): it stops what it runs and takes nothing new. */
  shutdown: boolean;
  /** Failed or lost without being fenced: nothing runs there, and what ran there is in doubt. */
  unclean: boolean;
  /** Why it must be fenced, in Pacemaker's words (the first reason found). */
  fenceReason: string | undefined;
  /** Permanent and transient attributes merged, plus #uname / #id / #kind. */
  attributes: Record<string, string>;
  /** Its fail counts and last-failure times by resource name, from its attributes. */
  failures: Map<string, FailureRecord>;
  /** Resources assigned in this run, used to spread equal-score resources. */
  assignedCount: number;
  /** Utilization capacity left after what is assigned in this run (placement-strategy). */
  capacity: Map<string, number>;
}

/** A score contribution remembered for `--explain`; one note may be shared by several resources. */
export interface ScoreNote {
  readonly node: string;
  readonly score: number;
  readonly reason: string;
}

export type NodeScores = Map<string, number>;

export interface SchedPrimitive {
  kind: 'primitive';
  id: string;
  definition: Primitive;
  parent: SchedGroup | SchedClone | undefined;
  meta: Record<string, string>;
  managed: boolean;
  /** In maintenance (maintenance-mode, its own maintenance meta, or running on a node in maintenance). */
  maintenance: boolean;
  stickiness: number;
  migrationThreshold: number;
  /** Utilization attributes: what it takes from a node's capacity (placement-strategy). */
  utilization: Map<string, number>;
  failureTimeoutMs: number;
  priority: number;
  targetRole: RoleRank;
  /** Nodes where history shows it active now; more than one means multiply active. */
  runningOn: SchedNode[];
  role: RoleRank;
  nextRole: RoleRank;
  failed: boolean;
  /** Failed in a way that a stop cannot fix (failed stop with fencing off): leave it alone. */
  blocked: boolean;
  startPending: boolean;
  /** Nodes where the history shows a probe (or any op), so no new probe is needed. */
  knownOn: Set<string>;
  /** Nodes where the agent reported it cannot run (not installed, no permission). */
  hardErrorNodes: Set<string>;
  /** The agent reported a configuration error: it may run nowhere. */
  configurationError: boolean;
  /** A failure of it was ignored (on-fail=ignore), and so is its migration-threshold. */
  failuresIgnored: boolean;
  allowed: NodeScores;
  notes: ScoreNote[];
  assigned: SchedNode | undefined;
  /** The score of the node it was assigned to. */
  assignedScore: number;
  provisional: boolean;
  allocating: boolean;
  colocationsAsDependent: SchedColocation[];
  colocationsAsPrimary: SchedColocation[];
  /** In the history but no longer configured: it is only ever stopped. */
  orphan: boolean;
}

export interface SchedGroup {
  kind: 'group';
  id: string;
  definition: Group;
  parent: SchedClone | undefined;
  children: SchedPrimitive[];
  /**
   * Where history shows its members active, listed as Pacemaker lists them for the group:
   * once per node for managed members, but once per member for unmanaged ones (on an online
   * node), so a group with a blocked member can count as active on more nodes than it is.
   */
  activeListing: SchedNode[];
  meta: Record<string, string>;
  priority: number;
  targetRole: RoleRank;
  managed: boolean;
  allowed: NodeScores;
  notes: ScoreNote[];
  provisional: boolean;
  allocating: boolean;
  colocationsAsDependent: SchedColocation[];
  colocationsAsPrimary: SchedColocation[];
}

export interface SchedClone {
  kind: 'clone';
  id: string;
  definition: Clone;
  promotable: boolean;
  cloneMax: number;
  cloneNodeMax: number;
  /** clone-node-max as configured (clone-limits.ts). */
  copiesPerNode: number;
  promotedMax: number;
  promotedNodeMax: number;
  interleave: boolean;
  ordered: boolean;
  globallyUnique: boolean;
  instances: Array<SchedPrimitive | SchedGroup>;
  /** Instances beyond clone-max found active in history: never placed, only stopped. */
  orphans: Set<SchedPrimitive | SchedGroup>;
  /**
   * The instances in the order Pacemaker last sorted its own list of them: for assignment,
   * then (promotable) for choosing promotions. What is placed relative to the clone
   * afterwards meets them in this order (instances stay listed by number for everything else).
   */
  placementOrder: Array<SchedPrimitive | SchedGroup> | undefined;
  meta: Record<string, string>;
  priority: number;
  targetRole: RoleRank;
  managed: boolean;
  allowed: NodeScores;
  notes: ScoreNote[];
  provisional: boolean;
  allocating: boolean;
  colocationsAsDependent: SchedColocation[];
  colocationsAsPrimary: SchedColocation[];
}

export type SchedResource = SchedPrimitive | SchedGroup | SchedClone;

/** The clone a primitive is an instance of, directly or as a member of a cloned group. */
export function cloneOf(primitive: SchedPrimitive): SchedClone | undefined {
  const parent = primitive.parent;
  return parent?.kind === 'clone' ? parent : parent?.parent;
}

/** An anonymous clone's instances are interchangeable: they share a history, fail counts and bans. */
export function anonymousCloneOf(primitive: SchedPrimitive): SchedClone | undefined {
  const clone = cloneOf(primitive);
  return clone && !clone.globallyUnique ? clone : undefined;
}

export function inPromotableClone(primitive: SchedPrimitive): boolean {
  return cloneOf(primitive)?.promotable === true;
}

export interface SchedColocation {
  id: string;
  dependent: SchedResource;
  primary: SchedResource;
  score: number;
  dependentRole: RoleRank;
  primaryRole: RoleRank;
  nodeAttribute: string;
  /** Internal colocations (group members) always influence; configured ones may be made weaker. */
  influence: boolean;
}

export type NodeCondition = 'online' | 'offline' | 'standby' | 'maintenance' | 'unclean' | 'shutting down';

/** What keeps a node from running resources, if anything. */
export function nodeCondition(node: SchedNode): NodeCondition {
  if (node.unclean) return 'unclean';
  if (!node.online) return 'offline';
  if (node.shutdown) return 'shutting down';
  if (node.maintenance) return 'maintenance';
  if (node.standby) return 'standby';
  return 'online';
}
