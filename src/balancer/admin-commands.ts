// The runtime commands of the admin socket, worded as HAProxy's stats socket words them: a
// line holds one command or several separated by ';', each answered in turn. What a command
// acts on is behind AdminTarget, so that this file holds only the language.

import { InputError } from '../model/errors.js';
import type { AdminState } from './server-state.js';
import type { StatsRow } from './stats.js';

export interface AdminTarget {
  stats(): StatsRow[];
  statsCsv(): string;
  serversState(): string;
  setAdminState(backend: string, server: string, state: AdminState): void;
  /** Reloads the configuration file; resolves with what it did, or rejects with an InputError saying why nothing changed. */
  reload(): Promise<string[]>;
}

const help = `The following commands are valid at this level:
  help                                : this message
  show stat                           : report counters for each proxy and server (CSV)
  show servers state [<backend>]      : dump volatile server information
  set server <bk>/<srv> state <state> : set a server's admin state: ready, drain or maint
  disable server <bk>/<srv>           : put a server in maintenance (state maint)
  enable server <bk>/<srv>            : take a server out of maintenance (state ready)
  reload                              : reload the configuration file, as SIGHUP does
`;

const adminStates: AdminState[] = ['ready', 'drain', 'maint'];

/** `backend/server`, checked against what runs; HAProxy's answer when it does not exist. */
function serverOf(target: AdminTarget, argument: string | undefined): { backend: string; server: string } | { error: string } {
  const slash = argument?.indexOf('/') ?? -1;
  if (argument === undefined || slash <= 0 || slash === argument.length - 1) return { error: "Require 'backend/server'.\n" };
  const backend = argument.slice(0, slash);
  const server = argument.slice(slash + 1);
  const rows = target.stats();
  if (!rows.some((row) => row.type === 1 && row.pxname === backend)) return { error: 'No such backend.\n' };
  if (!rows.some((row) => row.type === 2 && row.pxname === backend && row.svname === server)) return { error: 'No such server.\n' };
  return { backend, server };
}

function setState(target: AdminTarget, argument: string | undefined, state: AdminState): string {
  const found = serverOf(target, argument);
  if ('error' in found) return found.error;
  target.setAdminState(found.backend, found.server, state);
  return '';
}

function showServersState(target: AdminTarget, backend: string | undefined): string {
  const text = target.serversState();
  if (backend === undefined) return text;
  if (!target.stats().some((row) => row.type === 1 && row.pxname === backend)) return "Can't find backend.\n";
  const [version, header, ...lines] = text.trimEnd().split('\n');
  return `${[version, header, ...lines.filter((line) => line.split(' ')[1] === backend)].join('\n')}\n`;
}

/** As HAProxy's master CLI answers `reload`: Success=1 or Success=0, then `--` and what happened. */
async function reload(target: AdminTarget): Promise<string> {
  try {
    return `Success=1\n--\n${(await target.reload()).map((line) => `${line}\n`).join('')}`;
  } catch (error) {
    if (error instanceof InputError) return `Success=0\n--\n${error.message}\n`;
    throw error;
  }
}

async function runOne(target: AdminTarget, command: string): Promise<string> {
  const words = command.trim().split(/\s+/).filter((word) => word !== '');
  const [first, , third, fourth, fifth] = words;
  const phrase = words.slice(0, 2).join(' ');
  if (words.length === 0) return '';
  if (first === 'help') return help;
  if (first === 'reload' && words.length === 1) return reload(target);
  if (phrase === 'show stat' && words.length === 2) return target.statsCsv();
  if (phrase === 'show servers' && third === 'state' && words.length <= 4) return showServersState(target, fourth);
  if (phrase === 'disable server') return setState(target, third, 'maint');
  if (phrase === 'enable server') return setState(target, third, 'ready');
  if (phrase === 'set server') {
    if (fourth !== 'state') return "'set server <srv>' only supports 'state' on tandem's balancer.\n";
    if (!adminStates.includes(fifth as AdminState)) return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
    return setState(target, third, fifth as AdminState);
  }
  return `Unknown command. Please enter one of the following commands only :\n${help.slice(help.indexOf('\n') + 1)}`;
}

/** Answers one line of the admin socket: each ';'-separated command's answer, each ended by an empty line as HAProxy ends them. */
export async function runAdminLine(target: AdminTarget, line: string): Promise<string> {
  let answer = '';
  for (const command of line.split(';')) {
    if (command.trim() === '') continue;
    answer += `${await runOne(target, command)}\n`;
  }
  return answer;
}
