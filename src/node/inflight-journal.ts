// The agent calls in flight on this node, one file each under <data-dir>/run/inflight: a
// line saying what runs and until when, written before the agent starts, then a line
// naming its process, written as soon as it exists; the file goes when the call ends. A
// daemon killed with -9 leaves its agents running (each in its own process group) and
// their files behind, which is how the next incarnation knows what to wait for.
// Appending one short line is a single write, so a kill leaves whole lines only.

import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CallJournal, JournalEntry } from '../agents/index.js';
import { identify, type ProcessIdentity } from '../agents/process-identity.js';

const suffix = '.call';

/** A call a previous incarnation left: what it was, and its process if that was noted. */
export interface InflightCall {
  file: string;
  instance: string;
  action: string;
  deadlineMs: number;
  process: ProcessIdentity | undefined;
}

export class InflightJournal implements CallJournal {
  private sequence = 0;

  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  begin(call: { instance: string; action: string; deadlineMs: number }): JournalEntry {
    this.sequence += 1;
    const file = join(this.directory, `${process.pid}-${this.sequence}${suffix}`);
    appendFileSync(file, JSON.stringify(call) + '\n', { mode: 0o600 });
    return {
      spawned: (pid) => appendFileSync(file, JSON.stringify(identify(pid) ?? { pid, startTicks: undefined }) + '\n'),
      ended: () => rmSync(file, { force: true }),
    };
  }
}

/** The calls noted in the journal; a file that cannot be made out is named in `unreadable`. */
export function readInflight(directory: string): { calls: InflightCall[]; unreadable: string[] } {
  const calls: InflightCall[] = [];
  const unreadable: string[] = [];
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith(suffix));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { calls, unreadable };
    throw error;
  }
  for (const name of names) {
    const file = join(directory, name);
    const call = parseCall(readFileSync(file, 'utf8'));
    if (call) calls.push({ file, ...call });
    else unreadable.push(file);
  }
  return { calls, unreadable };
}

function parseCall(text: string): Omit<InflightCall, 'file'> | undefined {
  const [what, running] = text.split('\n').map((line) => parseLine(line));
  if (typeof what?.instance !== 'string' || typeof what.action !== 'string' || typeof what.deadlineMs !== 'number') return undefined;
  const process = typeof running?.pid === 'number' ? { pid: running.pid, startTicks: typeof running.startTicks === 'number' ? running.startTicks : undefined } : undefined;
  return { instance: what.instance, action: what.action, deadlineMs: what.deadlineMs, process };
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
