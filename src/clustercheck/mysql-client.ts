// Reads the local node's wsrep_local_state with the `mariadb` (or `mysql`) client program, as
// the clustercheck script does: a bounded connect timeout, and the whole run killed if it
// takes longer than the limit. The password goes through MYSQL_PWD, not the command line, so
// that it does not show in the process list.

import { execFile } from 'node:child_process';
import { parseLocalState, type WsrepReading } from './decision.js';

/** Where the endpoint gets its reading; the client program in production. */
export interface LocalStateSource {
  read(): Promise<WsrepReading>;
}

export interface MysqlClientOptions {
  /** The client program: mariadb, mysql, or a path. */
  command: string;
  defaultsFile?: string;
  user?: string;
  password?: string;
  socket?: string;
  timeoutMs: number;
}

const query = "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'";

export function clientArguments(options: MysqlClientOptions): string[] {
  const args: string[] = [];
  if (options.defaultsFile !== undefined) args.push(`--defaults-file=${options.defaultsFile}`); // must come first
  args.push(`--connect-timeout=${Math.max(1, Math.ceil(options.timeoutMs / 1000))}`);
  if (options.user !== undefined) args.push(`--user=${options.user}`);
  if (options.socket !== undefined) args.push(`--socket=${options.socket}`);
  args.push('--batch', '--skip-column-names', '--execute', query);
  return args;
}

export class MysqlClientSource implements LocalStateSource {
  private readonly options: MysqlClientOptions;

  constructor(options: MysqlClientOptions) {
    this.options = options;
  }

  read(): Promise<WsrepReading> {
    const { command, password, timeoutMs } = this.options;
    const env = password === undefined ? process.env : { ...process.env, MYSQL_PWD: password };
    return new Promise((resolve) => {
      execFile(command, clientArguments(this.options), { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
        if (!error) return resolve(parseLocalState(stdout));
        const failure = error as NodeJS.ErrnoException & { killed?: boolean };
        if (failure.code === 'ENOENT') return resolve({ error: `cannot run '${command}': no such program (install mariadb-client, or give --mysql-command)` });
        if (failure.killed) return resolve({ error: `'${command}' gave no answer within ${timeoutMs} ms` });
        resolve({ error: `'${command}' failed: ${stderr.trim().split('\n')[0] || error.message}` });
      });
    });
  }
}
