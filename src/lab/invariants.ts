// What the randomised runs check, from outside tandem: where each watched resource really
// is (the VIP on an interface, the Dummy's state file, the Stateful instance that says it
// is promoted), on hosts where anything still runs. Never two holders of one primitive or
// of the promoted role; and in the end everything where the cluster's status says.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabCluster, LabStatus } from './cluster.js';

export const chaosVip = '10.213.0.50';

/** How a lost node is fenced in a run: the lab's power switch, its own watchdog, or not at all. */
export type ChaosFencing = 'device' | 'watchdog' | 'off';

/** The lab's watchdogs reset a host this long after its last feed; the cluster waits more than twice that. */
export const chaosWatchdogTimeoutMs = 2_000;
const chaosStonithWatchdogTimeout = '5s';

/** The lab configuration the runs use: a VIP, a Dummy, a promotable Stateful clone. */
export function chaosConfiguration(fencing: ChaosFencing, fencingDevice: string): string {
  const fencingLines = {
    device: `property stonith-enabled="true"\n${fencingDevice}`,
    watchdog: `property stonith-enabled="true" stonith-watchdog-timeout="${chaosStonithWatchdogTimeout}"`,
    off: 'property stonith-enabled="false"',
  }[fencing];
  return `primitive p_vip tandem:vip params ip="${chaosVip}" cidr_netmask="24" op monitor interval="2s"
primitive p_dummy ocf:heartbeat:Dummy op monitor interval="2s"
primitive p_stateful ocf:pacemaker:Stateful op monitor interval="2s" role="Promoted" op monitor interval="3s" role="Unpromoted"
ms ms_stateful p_stateful meta promoted-max="1"
rsc_defaults resource-stickiness="100"
${fencingLines}
`;
}

export type Holdings = Record<'p_vip' | 'p_dummy' | 'promoted', string[]>;

/** Where each watched resource runs now, as the hosts themselves show it. */
export function observe(lab: LabCluster): Holdings {
  const holdings: Holdings = { p_vip: [], p_dummy: [], promoted: [] };
  for (const node of lab.nodes) {
    if (!lab.alive(node)) continue;
    const agents = lab.agentDir(node);
    if (lab.network.addresses(node).includes(chaosVip)) holdings.p_vip.push(node.name);
    if (existsSync(join(agents, 'Dummy-p_dummy.state'))) holdings.p_dummy.push(node.name);
    const stateful = join(agents, 'Stateful-p_stateful.state');
    if (existsSync(stateful) && readFileSync(stateful, 'utf8').trim() === 'Promoted') holdings.promoted.push(node.name);
  }
  return holdings;
}

/** Every watched resource held by more than one host. */
export function doubleHolders(holdings: Holdings): string[] {
  return Object.entries(holdings)
    .filter(([, nodes]) => nodes.length > 1)
    .map(([resource, nodes]) => `${resource} on ${nodes.join(' and ')}`);
}

/** Where the cluster's status says each watched resource runs. */
export function expectedHoldings(status: LabStatus): Holdings {
  const resources = status.view.resources;
  const nodesOf = (id: string) => [...(resources.find((resource) => resource.id === id)?.nodes ?? [])].sort();
  const clone = resources.find((resource) => resource.id === 'ms_stateful');
  const promoted = [...(clone?.byRole?.Promoted ?? [])].sort();
  return { p_vip: nodesOf('p_vip'), p_dummy: nodesOf('p_dummy'), promoted };
}

export function sameHoldings(a: Holdings, b: Holdings): boolean {
  return (['p_vip', 'p_dummy', 'promoted'] as const).every((key) => [...a[key]].sort().join() === [...b[key]].sort().join());
}
