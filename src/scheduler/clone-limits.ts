// A clone's limits from its meta attributes, with Pacemaker's defaults and its legacy
// names (master-max, master-node-max): the scheduler places instances within them, and
// every instance's agent is told them (OCF_RESKEY_CRM_meta_clone_max ...).

import { isTrue } from './options.js';

export interface CloneLimits {
  cloneMax: number;
  cloneNodeMax: number;
  /**
   * clone-node-max as configured, even where an anonymous clone runs one instance per node:
   * whether two clones interleave compares these (Pacemaker's copies_per_node).
   */
  copiesPerNode: number;
  promotedMax: number;
  promotedNodeMax: number;
  globallyUnique: boolean;
  /** clone-node-max above 1 on an anonymous clone, which can run one instance per node only. */
  cloneNodeMaxIgnored: boolean;
}

/** `meta`: the clone's own meta values over rsc_defaults; clone-max defaults to the number of nodes. */
export function cloneLimits(meta: Record<string, string>, nodeCount: number): CloneLimits {
  const count = (name: string, legacy: string, fallback: number) => {
    const parsed = Number.parseInt(meta[name] ?? meta[legacy] ?? '', 10);
    return Number.isFinite(parsed) && parsed >= 0 ? parsed : fallback;
  };
  const globallyUnique = isTrue(meta['globally-unique']);
  const cloneNodeMax = count('clone-node-max', 'clone-node-max', 1);
  const cloneNodeMaxIgnored = !globallyUnique && cloneNodeMax > 1;
  return {
    cloneMax: count('clone-max', 'clone-max', nodeCount),
    cloneNodeMax: cloneNodeMaxIgnored ? 1 : cloneNodeMax,
    copiesPerNode: meta['clone-node-max'] === undefined ? 1 : Math.max(0, Number.parseInt(meta['clone-node-max'], 10) || 0),
    promotedMax: count('promoted-max', 'master-max', 1),
    promotedNodeMax: count('promoted-node-max', 'master-node-max', 1),
    globallyUnique,
    cloneNodeMaxIgnored,
  };
}
