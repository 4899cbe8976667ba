// Cluster properties the scheduler honours, with Pacemaker's defaults.

import type { Configuration } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';

export type NoQuorumPolicy = 'stop' | 'freeze' | 'ignore' | 'demote' | 'suicide';

export interface ClusterOptions {
  symmetricCluster: boolean;
  stonithEnabled: boolean;
  /** The cluster's nodes run watchdogs: fencing is possible without a device (SBD's self-fencing). */
  haveWatchdog: boolean;
  noQuorumPolicy: NoQuorumPolicy;
  startFailureIsFatal: boolean;
  maintenanceMode: boolean;
  stopAllResources: boolean;
  placementStrategy: string;
  clusterRecheckIntervalMs: number;
}

export function isTrue(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ['true', 'on', 'yes', 'y', '1'].includes(value.trim().toLowerCase());
}

function flag(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : isTrue(value);
}

export function clusterOptions(configuration: Configuration): ClusterOptions {
  const properties = configuration.properties;
  const policy = (properties['no-quorum-policy'] ?? 'stop').toLowerCase();
  return {
    symmetricCluster: flag(properties['symmetric-cluster'], true),
    stonithEnabled: flag(properties['stonith-enabled'], true),
    haveWatchdog: flag(properties['have-watchdog'], false),
    noQuorumPolicy: (['stop', 'freeze', 'ignore', 'demote', 'suicide'].includes(policy) ? policy : 'stop') as NoQuorumPolicy,
    startFailureIsFatal: flag(properties['start-failure-is-fatal'], true),
    maintenanceMode: flag(properties['maintenance-mode'], false),
    stopAllResources: flag(properties['stop-all-resources'], false),
    placementStrategy: properties['placement-strategy'] ?? 'default',
    clusterRecheckIntervalMs: parseDurationMs(properties['cluster-recheck-interval'] ?? '15min') ?? 900_000,
  };
}
