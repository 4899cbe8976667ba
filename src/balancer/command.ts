// `tandem balancer --config FILE [--stats-port N] [--admin-socket PATH] [--cluster-data-dir DIR
// [--resource BACKEND=RESOURCE ...]]`: loads haproxy.cfg,
// reports what the reader warns about (file:line), serves until SIGTERM or SIGINT, then closes
// its listeners; `option httplog` and `option tcplog` lines go to the same log. SIGHUP (or `reload` on the admin
// socket) reloads the file: a bad one changes nothing and the error names file:line. With a
// stats port, HTTP on loopback serves the statistics (stats-server.ts); with an admin socket,
// HAProxy's runtime commands (admin-commands.ts). With a cluster data directory, the servers
// follow the local tandem node's view of the cluster (cluster-link.ts, cluster-verdicts.ts).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { readHaproxy, type HaproxyReadResult } from '../formats/haproxy/index.js';
import { InputError } from '../model/errors.js';
import type { AdminTarget } from './admin-commands.js';
import { listenAdminSocket } from './admin-socket.js';
import { Balancer, type ReloadSummary } from './balancer.js';
import { ClusterLink } from './cluster-link.js';
import { checkTiedBackends, tiedBackends } from './cluster-verdicts.js';
import { planBalancer } from './plan.js';
import { statsCsv } from './stats.js';
import { serveStats } from './stats-server.js';

export interface BalancerCommandOptions {
  configFile: string;
  statsPort?: number;
  adminSocket?: string;
  /** The local tandem node's data directory: follow its view of the cluster. */
  clusterDataDir?: string;
  /** `BACKEND=RESOURCE`: the backend's servers serve only where the resource runs. */
  resources?: string[];
}

/** Reads and parses the whole file (InputError naming file:line if it is bad), logging the reader's warnings. */
function readConfig(file: string, log: (line: string) => void): HaproxyReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const read = readHaproxy(text, file);
  for (const warning of read.warnings) log(`${warning.position.file}:${warning.position.line}: warning: ${warning.message}`);
  return read;
}

function describe(file: string, proxies: number, summary: ReloadSummary): string {
  const list = (keys: string[]) => (keys.length > 0 ? keys.join(' ') : 'none');
  return `reloaded ${file}: ${proxies} proxies; binds kept: ${list(summary.kept)}; opened: ${list(summary.opened)}; closed: ${list(summary.closed)}`;
}

export async function runBalancer(options: BalancerCommandOptions, log: (line: string) => void, stopped: Promise<string>): Promise<void> {
  const file = options.configFile;
  const tied = tiedBackends(options.resources ?? []);
  if (tied.size > 0 && options.clusterDataDir === undefined) throw new InputError('--resource needs --cluster-data-dir (the local tandem node\'s data directory)');
  const { config, proxyPositions } = readConfig(file, log);
  checkTiedBackends(tied, planBalancer(config, proxyPositions), file);
  const balancer = await Balancer.start(config, { log, proxyPositions });
  const link = options.clusterDataDir === undefined ? undefined : new ClusterLink({ dataDir: options.clusterDataDir, resources: tied, target: balancer, log, reportAs: resolve(file) });
  const reload = async (): Promise<string[]> => {
    const read = readConfig(file, log);
    // A file that drops a backend tied to a resource is refused like any bad file.
    checkTiedBackends(tied, planBalancer(read.config, read.proxyPositions), file);
    const summary = await balancer.reload(read.config, read.proxyPositions);
    link?.refresh();
    return [describe(file, read.config.proxies.length, summary)];
  };
  let stats: HttpServer | undefined;
  let admin: Server | undefined;
  const closeServers = () => {
    link?.close();
    stats?.close();
    stats?.closeAllConnections();
    admin?.close();
  };
  try {
    if (options.statsPort !== undefined) stats = await serveStats(() => balancer.stats(), options.statsPort);
    if (options.adminSocket !== undefined) {
      const target: AdminTarget = {
        stats: () => balancer.stats(),
        statsCsv: () => statsCsv(balancer.stats()),
        serversState: () => balancer.serversState(),
        setAdminState: (backend, server, state) => balancer.setAdminState(backend, server, state),
        reload,
      };
      admin = await listenAdminSocket(options.adminSocket, target);
    }
  } catch (error) {
    closeServers();
    await balancer.close();
    throw error;
  }
  const listening = config.proxies.flatMap((proxy) => proxy.binds.flatMap((bind) => bind.addresses.map((address) => ('socket' in address ? address.socket : `${address.host || '*'}:${address.port}`))));
  const extras = [
    options.statsPort === undefined ? '' : `; stats on http://127.0.0.1:${options.statsPort}/`,
    options.adminSocket === undefined ? '' : `; admin socket ${options.adminSocket}`,
    options.clusterDataDir === undefined ? '' : `; cluster-aware through ${options.clusterDataDir}${[...tied].map(([backend, resource]) => `, ${backend} follows ${resource}`).join('')}`,
  ];
  log(`balancing ${config.proxies.length} proxies, listening on ${listening.join(' ')}${extras.join('')}`);
  link?.start();

  const onHangUp = () => {
    reload().then(
      (lines) => lines.forEach((line) => log(`SIGHUP: ${line}`)),
      (error: Error) => log(`SIGHUP: ${error instanceof InputError ? error.message : error.stack}; still serving the configuration loaded before`),
    );
  };
  process.on('SIGHUP', onHangUp);
  const signal = await stopped;
  process.off('SIGHUP', onHangUp);
  log(`${signal}: closing listeners and connections`);
  closeServers();
  await balancer.close();
}
