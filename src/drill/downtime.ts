// What a client saw of a fault, from its attempts (pure): no failed attempt after the
// fault is no outage; otherwise the downtime runs from the fault to the first good answer
// after the first failure.

import type { Attempt } from './attempt.js';

export interface Outage {
  downtimeMs: number;
  failedAttempts: number;
  /** The first good answer after the outage (none yet: still down). */
  recovery?: Attempt;
}

export function outageAfter(attempts: readonly Attempt[], faultMs: number): Outage {
  const after = attempts.filter((entry) => entry.sentMs >= faultMs).sort((a, b) => a.sentMs - b.sentMs);
  const firstFailure = after.find((entry) => !entry.ok);
  if (!firstFailure) return { downtimeMs: 0, failedAttempts: 0 };
  const recovery = after.find((entry) => entry.ok && entry.sentMs > firstFailure.sentMs);
  const failedAttempts = after.filter((entry) => !entry.ok && (!recovery || entry.sentMs < recovery.sentMs)).length;
  return recovery ? { downtimeMs: recovery.doneMs - faultMs, failedAttempts, recovery } : { downtimeMs: Number.NaN, failedAttempts };
}
