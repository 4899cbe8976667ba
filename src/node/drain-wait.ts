// The DC's wait before a planned stop (drain.ts decides when it is over): it reads the
// balancers' session reports again and again until drain-delay has passed, every report
// for the resource on the node shows its servers drained and empty, or the DC must decide
// again (no longer DC, or the picture changed).

import type { SessionReport } from '../api/protocol.js';
import { drainProgress } from './drain.js';

/** How often the reports are read while a drain lasts. */
const drainPollMs = 200;

export interface DrainWait {
  delayMs: number;
  resourceIds: readonly string[];
  node: string;
  /** The reports of every balancer, from every node; a failure counts as none (the delay stands). */
  reports: () => Promise<readonly SessionReport[]>;
  /** False once waiting makes no more sense: the wait is abandoned. */
  keepWaiting: () => boolean;
  nowMs: () => number;
}

export type DrainEnd = { reason: 'sessions gone' | 'delay elapsed' | 'abandoned'; elapsedMs: number };

export async function waitForDrain({ delayMs, resourceIds, node, reports, keepWaiting, nowMs }: DrainWait): Promise<DrainEnd> {
  const startedAtMs = nowMs();
  // Bounded in count as well as in time: a clock that stands still cannot keep it going.
  const rounds = Math.ceil(delayMs / drainPollMs) + 1;
  for (let round = 0; round < rounds; round++) {
    if (!keepWaiting()) return { reason: 'abandoned', elapsedMs: nowMs() - startedAtMs };
    const seen = await reports().catch(() => []);
    const progress = drainProgress({ reports: seen, resourceIds, node, startedAtMs, nowMs: nowMs(), delayMs });
    if (progress.done) return { reason: progress.reason, elapsedMs: progress.elapsedMs };
    const leftMs = startedAtMs + delayMs - nowMs();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(drainPollMs, leftMs))));
  }
  return { reason: 'delay elapsed', elapsedMs: nowMs() - startedAtMs };
}
