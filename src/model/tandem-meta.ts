// Meta attributes that are tandem's own (Pacemaker ignores them). Pacemaker falls back to a
// default on a bad value of its own attributes; tandem refuses a bad value of its own at
// load, since a drain that silently does not happen is found out only when requests fail.

import { parseDurationMs } from './duration.js';

export const drainDelayAttribute = 'drain-delay';

/** What waits for a drain (the transition, and whatever is ordered after the stop) must end some time. */
export const maxDrainDelayMs = 3_600_000;

/** What is wrong with `name=value` as a meta attribute, or undefined when nothing is. */
export function tandemMetaProblem(name: string, value: string): string | undefined {
  if (name !== drainDelayAttribute) return undefined;
  const delayMs = parseDurationMs(value);
  if (delayMs === undefined) return `${name}="${value}" is not a duration (e.g. 5s, 500ms, 1min)`;
  if (delayMs > maxDrainDelayMs) return `${name}="${value}" is longer than the limit of 1h`;
  return undefined;
}
