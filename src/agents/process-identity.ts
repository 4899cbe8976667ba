// A process as /proc shows it. Its start time (clock ticks after boot) tells it apart from
// a later process that happens to get the same pid, so a pid kept in a file by a daemon
// that has since died can be trusted again.

import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Unknown when /proc could not be read at the time; the pid alone then identifies it. */
  startTicks: number | undefined;
}

/** The live process with this pid now; undefined once it is gone (a zombie is gone: it runs nothing). */
export function identify(pid: number): ProcessIdentity | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name, in parentheses, may hold spaces: the fields that follow are counted from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const startTicks = Number(fields[startTimeField - firstFieldAfterName]);
  return { pid, startTicks: Number.isFinite(startTicks) ? startTicks : undefined };
}

/** proc(5): field 3 (state) is the first after the name; field 22 is starttime. */
const firstFieldAfterName = 3;
const startTimeField = 22;

export function stillRunning(identity: ProcessIdentity): boolean {
  const now = identify(identity.pid);
  return now !== undefined && (identity.startTicks === undefined || now.startTicks === identity.startTicks);
}
