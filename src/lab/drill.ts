// A failover drill: a client asks the service on the VIP every `intervalMs`; a fault hits
// the node that serves it; the downtime is the time from the fault to the first good
// answer from another node. An observer watches every node's addresses all along, so a
// moment with the VIP on two nodes at once would be seen.

import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Attempt } from '../drill/attempt.js';
import { waitFor } from './wait.js';

export type Fault = 'kill' | 'cut';

/** What a drill needs of the hosts it runs on (tandem's lab, or a keepalived setup to compare). */
export interface DrillHosts {
  holdersOf(address: string): string[];
  startProbe(address: string, port: number, intervalMs: number, limitMs: number): ChildProcess;
  strike(name: string, fault: Fault): void;
  /** The host whose etcd member leads etcd, where there is one. */
  etcdLeader?(): string | undefined;
}

export interface DrillResult {
  fault: Fault;
  /** When the fault struck (ms since the epoch). */
  faultMs: number;
  from: string;
  to: string;
  downtimeMs: number;
  /** Failed client attempts between the fault and the recovery. */
  failedAttempts: number;
  /** The most nodes seen holding the VIP at one observation. */
  mostHolders: number;
  /** The etcd leader went down with the node: an etcd election came first. */
  etcdLeaderHit: boolean;
}


const drillLimitMs = 30_000;
const observeIntervalMs = 10;
/** The VIP is watched this long after the recovery too: two holders right after it count. */
const observeAfterMs = 1_000;

export async function failoverDrill(lab: DrillHosts, vip: string, port: number, fault: Fault, intervalMs = 20): Promise<DrillResult> {
  const holders = lab.holdersOf(vip);
  if (holders.length !== 1) throw new Error(`the VIP ${vip} is on ${holders.length} nodes (${holders.join(', ')}); expected exactly one`);
  const active = { name: holders[0]! };
  const attempts: Attempt[] = [];
  const probe = lab.startProbe(vip, port, intervalMs, drillLimitMs);
  const lines = createInterface({ input: probe.stdout! });
  lines.on('line', (line) => {
    attempts.push(JSON.parse(line) as Attempt);
  });
  let mostHolders = 0;
  let observing = true;
  const observer = (async () => {
    while (observing) {
      mostHolders = Math.max(mostHolders, lab.holdersOf(vip).length);
      await new Promise((resolve) => setTimeout(resolve, observeIntervalMs));
    }
  })();
  try {
    await waitFor('the client to be served', () => attempts.filter((attempt) => attempt.ok && attempt.answer === active.name).length >= 5, 10_000);
    const etcdLeaderHit = lab.etcdLeader?.() === active.name;
    const faultMs = Date.now();
    lab.strike(active.name, fault);
    const recovered = () => attempts.find((attempt) => attempt.ok && attempt.sentMs >= faultMs && attempt.answer !== active.name);
    await waitFor('another node to answer', () => recovered() !== undefined, drillLimitMs - 1_000);
    const first = recovered()!;
    await new Promise((resolve) => setTimeout(resolve, observeAfterMs));
    return {
      fault,
      faultMs,
      from: active.name,
      to: first.answer!,
      downtimeMs: first.doneMs - faultMs,
      failedAttempts: attempts.filter((attempt) => !attempt.ok && attempt.sentMs >= faultMs && attempt.sentMs <= first.sentMs).length,
      mostHolders,
      etcdLeaderHit,
    };
  } finally {
    observing = false;
    await observer;
    probe.stdin!.end();
    probe.kill('SIGTERM');
  }
}
