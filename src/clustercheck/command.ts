// `tandem clustercheck`: the Galera health endpoint that the seed's `option httpchk` with
// `check port 9200` asks, serving until SIGTERM or SIGINT. Each change of answer is logged
// with its reason (the state, or why it could not be read).

import { InputError } from '../model/errors.js';
import { serveClustercheck } from './server.js';
import { MysqlClientSource, type MysqlClientOptions } from './mysql-client.js';

export interface ClustercheckCommandOptions {
  host?: string;
  port: number;
  availableWhenDonor: boolean;
  client: MysqlClientOptions;
}

/** The command line's options as given (strings), checked. */
export interface ClustercheckFlags {
  port: string;
  bind?: string;
  mysqlCommand: string;
  defaultsFile?: string;
  user?: string;
  password?: string;
  socket?: string;
  timeoutS: string;
  availableWhenDonor?: boolean;
}

export function clustercheckOptions(flags: ClustercheckFlags): ClustercheckCommandOptions {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new InputError(`--port ${flags.port}: expected a TCP port (1-65535)`);
  const timeoutS = Number(flags.timeoutS);
  if (!Number.isInteger(timeoutS) || timeoutS < 1 || timeoutS > 300) throw new InputError(`--timeout-s ${flags.timeoutS}: expected whole seconds, 1 to 300`);
  const client: MysqlClientOptions = { command: flags.mysqlCommand, timeoutMs: timeoutS * 1000 };
  if (flags.defaultsFile !== undefined) client.defaultsFile = flags.defaultsFile;
  if (flags.user !== undefined) client.user = flags.user;
  if (flags.password !== undefined) client.password = flags.password;
  if (flags.socket !== undefined) client.socket = flags.socket;
  return { ...(flags.bind === undefined ? {} : { host: flags.bind }), port, availableWhenDonor: flags.availableWhenDonor === true, client };
}

export async function runClustercheck(options: ClustercheckCommandOptions, log: (line: string) => void, stopped: Promise<string>): Promise<void> {
  const source = new MysqlClientSource(options.client);
  const server = await serveClustercheck(source, {
    ...(options.host === undefined ? {} : { host: options.host }),
    port: options.port,
    policy: { availableWhenDonor: options.availableWhenDonor },
    changed: (answer) => log(`answering ${answer.status}: ${answer.reason}`),
  });
  log(`clustercheck on ${options.host ?? '*'}:${options.port}, asking '${options.client.command}'${options.availableWhenDonor ? ' (a donor counts as available)' : ''}`);
  const signal = await stopped;
  log(`${signal}: stopping`);
  server.close();
  server.closeAllConnections();
}
