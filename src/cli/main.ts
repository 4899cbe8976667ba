#!/usr/bin/env node
// The `tandem` command. User mistakes (InputError) print one clear line and exit 1; only a
// bug in tandem itself shows a stack trace.

import { Command } from 'commander';
import { InputError } from '../model/errors.js';
import type { NodeAction, ResourceAction, TicketAction } from '../admin/commands.js';
import { call } from '../api/client.js';
import type { Request } from '../api/protocol.js';
import { runNode } from '../node/daemon.js';
import { withDataDirLock } from '../node/data-dir-lock.js';
import { LabFailure, defaultLabHosts, runLab } from '../lab/main.js';
import { runChaosLab } from '../lab/chaos.js';
import type { ChaosFencing } from '../lab/invariants.js';
import { makeCredentials } from '../cluster/credentials.js';
import { runBalancer } from '../balancer/command.js';
import { sendAdminCommand } from '../balancer/admin-client.js';
import { clustercheckOptions, runClustercheck, type ClustercheckFlags } from '../clustercheck/command.js';
import type { Fault } from '../lab/drill.js';
import type { StatusReport } from '../node/handler.js';
import { defaultLeaseTiming } from '../cluster/lease.js';
import { readText } from './load.js';
import { validateAllWarnings } from './verify.js';
import { verifyAgents } from '../agents/config-check.js';
import { createAgentDescriber } from '../agents/ocf-metadata.js';
import { parseCibText } from '../formats/index.js';
import { schedule } from '../scheduler/index.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simulateCommand } from './simulate.js';
import { renderReport } from './status.js';
import { registerClusterCommands } from './cluster.js';
import { untilStopSignal } from './stop-signal.js';
import { leaseTtlOption, portOption, watchdogTimeoutOption } from './options.js';
import { describeReport, runDrill, type DrillFaultName, type DrillOptions } from '../drill/command.js';

const defaultDataDir = process.env.TANDEM_DATA_DIR ?? '/var/lib/tandem';
const resourceActions: ResourceAction[] = ['start', 'stop', 'promote', 'demote', 'move', 'ban', 'clear', 'cleanup'];
const nodeActions: NodeAction[] = ['standby', 'online', 'maintenance', 'ready'];
const ticketActions: TicketAction[] = ['grant', 'revoke', 'standby', 'activate'];
const restartLimitMs = 120_000;

/** Waits (bounded) until the resource is active (or not) anywhere; says whether it came to be. */
async function untilActive(dataDir: string, id: string, active: boolean): Promise<boolean> {
  const deadline = Date.now() + restartLimitMs;
  while (Date.now() <= deadline) {
    const nodes = (await call(dataDir, { method: 'resource.active', id })) as string[];
    if ((nodes.length > 0) === active) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/**
 * As crm_resource --restart: stops the resource (target-role Stopped), waits until nothing of
 * it runs, then gives it back the target-role it had (a demoted clone comes back unpromoted)
 * and waits until it runs again. Whatever happens, its target-role is given back.
 */
async function restart(dataDir: string, id: string): Promise<void> {
  const previous = (await call(dataDir, { method: 'resource.target-role', id })) as string | null;
  if (previous?.toLowerCase() === 'stopped') throw new InputError(`${id} is stopped (target-role=Stopped): nothing to restart; start it with: tandem resource start ${id}`);
  await call(dataDir, { method: 'resource', action: 'stop', id });
  const stopped = await untilActive(dataDir, id, false);
  await report(dataDir, { method: 'resource.target-role', id, value: previous });
  if (!stopped) throw new InputError(`${id} did not stop within ${restartLimitMs / 1000} s; its target-role is back as it was`);
  if (!(await untilActive(dataDir, id, true))) throw new InputError(`${id} stopped but did not run again within ${restartLimitMs / 1000} s (see tandem status)`);
}

/** Runs $EDITOR on the text in a file of its own; returns the edited text and that file. */
function editInEditor(text: string): { edited: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-edit-'));
  const file = join(dir, 'configuration.crm');
  writeFileSync(file, text);
  const editor = process.env.VISUAL ?? process.env.EDITOR ?? 'vi';
  const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'editor', file], { stdio: 'inherit' });
  if (result.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new InputError(`the editor (${editor}) exited with status ${result.status}; nothing was changed`);
  }
  return { edited: readFileSync(file, 'utf8'), file };
}

async function report(dataDir: string, request: Request): Promise<void> {
  const result = (await call(dataDir, request)) as { revision: number };
  process.stdout.write(`done (store revision ${result.revision})\n`);
}

const collect = (value: string, previous: string[]) => [...previous, value];


const program = new Command();
program.name('tandem').description('A high-availability cluster stack: Pacemaker-compatible scheduling, failover and load balancing').version('0.1.0');

program
  .command('simulate')
  .description('show what the cluster would do (like crm_simulate), from crm syntax or CIB XML')
  .argument('<file>', 'configuration: crm shell syntax or CIB XML ("-" for standard input)')
  .option('-u, --node-up <node>', 'bring a node online', collect, [])
  .option('-d, --node-down <node>', 'take a node offline cleanly', collect, [])
  .option('-f, --node-fail <node>', 'mark a node as failed (it must be fenced)', collect, [])
  .option('-s, --standby <node>', 'put a node in standby', collect, [])
  .option('-i, --op-inject <spec>', 'inject an operation result: RSC_TASK_INTERVALMS@NODE=RC', collect, [])
  .option('-g, --ticket-grant <ticket>', 'grant a ticket', collect, [])
  .option('-r, --ticket-revoke <ticket>', 'revoke a ticket', collect, [])
  .option('-b, --ticket-standby <ticket>', 'put a ticket in standby', collect, [])
  .option('-e, --ticket-activate <ticket>', 'activate a ticket in standby', collect, [])
  .option('--json', 'print the same facts as JSON')
  .option('-O, --save-output <file>', 'write the resulting CIB XML (to simulate again)')
  .option('--explain <resource>', 'say why a resource goes where it goes')
  .option('--show-scores', 'print the final node scores of every resource')
  .option('--time <seconds>', 'simulate at this time (seconds since the epoch)')
  .action((file: string, options) => {
    process.stdout.write(simulateCommand(file, options) + '\n');
  });

program
  .command('node')
  .description('run this machine\'s node daemon; or: tandem node standby|online|maintenance|ready NODE')
  .argument('[action]', 'standby, online, maintenance or ready (none: run the daemon)')
  .argument('[name]', 'the node to change')
  .option('--data-dir <dir>', 'where the node keeps its state and control socket', defaultDataDir)
  .option('--name <name>', 'this node\'s name when running the daemon (default: the host name)')
  .option('--etcd <url>', 'join the cluster kept in this etcd (repeat for each member); none: a single node with its own store', collect, [])
  .option('--cluster <name>', 'the cluster\'s name in etcd', 'tandem')
  .option('--address <addr>', 'an address this node is reached at (repeat for several)', collect, [])
  .option('--lease-ttl-ms <ms>', 'the node\'s lease: it stops what it runs before a lease it cannot renew may expire', String(defaultLeaseTiming.leaseTtlMs))
  .option('--credentials <dir>', 'the cluster\'s credentials (made by tandem keygen): TLS with a client certificate to etcd')
  .option('--watchdog <device>', 'feed this watchdog (e.g. /dev/watchdog) while healthy: self-fencing where no fence device reaches this node')
  .option('--watchdog-timeout-ms <ms>', 'the watchdog device\'s own timeout (set it on the device: softdog soft_margin, or the hardware\'s)', '5000')
  .action(async (action: string | undefined, name: string | undefined, options: { dataDir: string; name?: string; etcd: string[]; cluster: string; address: string[]; leaseTtlMs: string; credentials?: string; watchdog?: string; watchdogTimeoutMs: string }) => {
    if (action === undefined) {
      const timing = { ...defaultLeaseTiming, leaseTtlMs: leaseTtlOption(options.leaseTtlMs) };
      const watchdog = options.watchdog ? { path: options.watchdog, timeoutMs: watchdogTimeoutOption(options.watchdogTimeoutMs) } : undefined;
      await withDataDirLock(options.dataDir, () => runNode({ dataDir: options.dataDir, ...(options.name ? { name: options.name } : {}), ...(options.credentials ? { credentialsDir: options.credentials } : {}), ...(watchdog ? { watchdog } : {}), etcdEndpoints: options.etcd, clusterName: options.cluster, addresses: options.address, timing }));
      return;
    }
    if (!nodeActions.includes(action as NodeAction)) throw new InputError(`unknown node action "${action}": expected ${nodeActions.join(', ')}`);
    if (name === undefined) throw new InputError(`tandem node ${action} needs a node name`);
    await report(options.dataDir, { method: 'node', action: action as NodeAction, name });
  });

program
  .command('keygen')
  .description('make the cluster\'s credentials (as corosync-keygen): a CA and a certificate for every node address, for etcd\'s TLS and tandem\'s client certificate')
  .requiredOption('--dir <dir>', 'where to write them (copy the directory to every node)')
  .option('--address <addr>', 'a node address the certificate must cover (repeat for each)', collect, [])
  .action((options: { dir: string; address: string[] }) => {
    const files = makeCredentials(options.dir, options.address);
    process.stdout.write(`wrote ${files.caCert}, ${files.caKey} (keep it safe: it makes new certificates), ${files.cert}, ${files.key}\n`);
  });

registerClusterCommands(program, defaultDataDir);

program
  .command('lab')
  .description('tandem\'s main job on this machine: a cluster of nodes (network namespaces as root, else processes on loopback addresses), the guide\'s API VIP and a service, failover drills with the downtime a client saw')
  .option('--nodes <n>', 'how many nodes', '3')
  .option('--hosts <kind>', 'netns (network namespaces, root only) or loopback (processes on 127.0.0.x)', defaultLabHosts())
  .option('--drills <n>', 'how many failover drills', '1')
  .option('--fault <kind>', 'kill (power off the active node), cut (cut its network, processes alive), or both in turn', 'kill')
  .option('--keep', 'keep the data and logs directory')
  .action(async (options: { nodes: string; drills: string; fault: string; hosts: string; keep?: boolean }) => {
    const nodes = Number(options.nodes);
    const drills = Number(options.drills);
    if (!Number.isInteger(nodes) || nodes < 2 || nodes > 9) throw new InputError(`--nodes ${options.nodes}: expected 2 to 9`);
    if (!Number.isInteger(drills) || drills < 0 || drills > 100) throw new InputError(`--drills ${options.drills}: expected 0 to 100`);
    if (options.fault !== 'kill' && options.fault !== 'cut' && options.fault !== 'both') throw new InputError(`--fault ${options.fault}: expected kill, cut or both`);
    if (options.hosts !== 'netns' && options.hosts !== 'loopback') throw new InputError(`--hosts ${options.hosts}: expected netns or loopback`);
    const faults: Fault[] = options.fault === 'both' ? ['kill', 'cut'] : [options.fault];
    await runLab({ nodes, drills, faults, hosts: options.hosts, keep: options.keep === true }, (line) => process.stdout.write(line + '\n'));
  });

program
  .command('drill')
  .description('strike a fault on a real cluster and report the downtime a probe from here saw: kill-node (through its fencing device), cut (its link down for a while), kill-process (a tandem:process resource\'s process)')
  .requiredOption('--fault <fault>', 'kill-node, cut or kill-process')
  .requiredOption('--probe <host:port>', 'the service to probe (a VIP and its port)')
  .option('--target <node>', 'the node to strike (default: the node running --resource)')
  .option('--resource <rsc>', 'the resource whose node is struck, or whose process is killed')
  .option('--http', 'ask GET / on each connection (the answer shows who served it)')
  .option('--cut-s <s>', 'how long a cut lasts', '10')
  .option('--interval-ms <ms>', 'one attempt every', '20')
  .option('--limit-s <s>', 'give up after', '60')
  .option('--data-dir <dir>', 'the local node\'s data directory', defaultDataDir)
  .action(async (options: { fault: string; probe: string; target?: string; resource?: string; http?: boolean; cutS: string; intervalMs: string; limitS: string; dataDir: string }) => {
    if (!['kill-node', 'cut', 'kill-process'].includes(options.fault)) throw new InputError(`--fault ${options.fault}: expected kill-node, cut or kill-process`);
    const probe = /^(.+):(\d+)$/.exec(options.probe);
    if (!probe) throw new InputError(`--probe ${options.probe}: expected HOST:PORT`);
    const seconds = (text: string, option: string, most: number) => {
      const value = Number(text);
      if (!(value > 0 && value <= most)) throw new InputError(`${option} ${text}: expected seconds, above 0 and at most ${most}`);
      return Math.round(value * 1000);
    };
    const intervalMs = Number(options.intervalMs);
    if (!Number.isInteger(intervalMs) || intervalMs < 5 || intervalMs > 10_000) throw new InputError(`--interval-ms ${options.intervalMs}: expected 5 to 10000`);
    const drillOptions: DrillOptions = {
      dataDir: options.dataDir,
      fault: options.fault as DrillFaultName,
      ...(options.target ? { target: options.target } : {}),
      ...(options.resource ? { resource: options.resource } : {}),
      probeHost: probe[1]!,
      probePort: portOption(probe[2]!, '--probe'),
      http: options.http === true,
      intervalMs,
      limitMs: seconds(options.limitS, '--limit-s', 600),
      cutMs: seconds(options.cutS, '--cut-s', 300),
    };
    const report = await runDrill(drillOptions, (line) => process.stdout.write(`${line}\n`));
    process.stdout.write(`${describeReport(report, drillOptions)}\n`);
  });

program
  .command('chaos')
  .description('randomised fault runs on a lab cluster (needs root): a seeded plan of power-offs, cuts, etcd and daemon crashes, checked for two holders of one resource, then for settling where the status says')
  .option('--seed <n>', 'the plan\'s seed (the same seed, the same plan)', '1')
  .option('--steps <n>', 'how many faults', '10')
  .option('--nodes <n>', 'how many nodes', '3')
  .option('--fencing <how>', 'device (the lab\'s power switch), watchdog (each node\'s watchdog, no device) or off; with fencing, a daemon crash is among the faults', 'device')
  .option('--keep', 'keep the data and logs directory')
  .action(async (options: { seed: string; steps: string; nodes: string; fencing: string; keep?: boolean }) => {
    const seed = Number(options.seed);
    const steps = Number(options.steps);
    const nodes = Number(options.nodes);
    if (!Number.isInteger(seed) || seed < 0) throw new InputError(`--seed ${options.seed}: expected a whole number`);
    if (!Number.isInteger(steps) || steps < 1 || steps > 1_000) throw new InputError(`--steps ${options.steps}: expected 1 to 1000`);
    if (!Number.isInteger(nodes) || nodes < 3 || nodes > 9) throw new InputError(`--nodes ${options.nodes}: expected 3 to 9`);
    const fencing = options.fencing as ChaosFencing;
    if (!['device', 'watchdog', 'off'].includes(fencing)) throw new InputError(`--fencing ${options.fencing}: expected device, watchdog or off`);
    await runChaosLab({ seed, steps, nodes, fencing, keep: options.keep === true }, (line) => process.stdout.write(`${line}\n`));
  });

program
  .command('balancer')
  .description("serve a haproxy.cfg (mode tcp or http) as tandem's built-in load balancer")
  .requiredOption('--config <file>', 'the haproxy.cfg to serve')
  .option('--stats-port <port>', 'serve stats on 127.0.0.1:PORT (HTML at /, CSV at /;csv, JSON at /json)')
  .option('--admin-socket <path>', 'take runtime commands on this Unix socket (mode 0600), as HAProxy\'s stats socket: see tandem balancer-cmd')
  .option('--cluster-data-dir <dir>', 'the local tandem node\'s data directory: servers on a node that fails, goes offline or in standby are taken out (drained when planned) as the cluster sees it')
  .option('--resource <backend=resource>', 'the backend\'s servers serve only where this tandem resource runs (Started, or Promoted); repeat for each backend', collect, [])
  .action(async (options: { config: string; statsPort?: string; adminSocket?: string; clusterDataDir?: string; resource: string[] }) => {
    const statsPort = options.statsPort === undefined ? undefined : Number(options.statsPort);
    if (statsPort !== undefined && !(Number.isInteger(statsPort) && statsPort > 0 && statsPort < 65_536)) throw new InputError(`--stats-port ${options.statsPort}: expected a TCP port (1-65535)`);
    const cluster = options.clusterDataDir !== undefined ? { clusterDataDir: options.clusterDataDir } : {};
    await runBalancer({ configFile: options.config, ...(statsPort !== undefined ? { statsPort } : {}), ...(options.adminSocket !== undefined ? { adminSocket: options.adminSocket } : {}), ...cluster, resources: options.resource }, (line) => process.stdout.write(`${line}\n`), untilStopSignal());
  });

program
  .command('balancer-cmd')
  .description('send a runtime command to a running balancer (show stat, show servers state, set server B/S state ready|drain|maint, disable|enable server B/S, reload, help)')
  .requiredOption('--admin-socket <path>', 'the balancer\'s --admin-socket')
  .argument('<command...>', 'the command, e.g. show stat')
  .action(async (words: string[], options: { adminSocket: string }) => {
    const answer = await sendAdminCommand(options.adminSocket, words.join(' '));
    process.stdout.write(answer);
    if (answer.startsWith('Success=0')) process.exitCode = 1; // a refused reload
  });

program
  .command('clustercheck')
  .description('a Galera health endpoint like the clustercheck script: HTTP 200 when the local node is synced (wsrep_local_state 4), 503 otherwise')
  .option('--port <port>', 'the port to answer on', '9200')
  .option('--bind <addr>', 'the address to answer on (default: every address)')
  .option('--mysql-command <program>', 'the client program that queries the local node', 'mariadb')
  .option('--defaults-file <file>', 'the client\'s option file (user, password, socket...)')
  .option('--user <user>', 'the database user')
  .option('--password <password>', 'the database user\'s password (passed in MYSQL_PWD)')
  .option('--socket <path>', 'the database server\'s Unix socket')
  .option('--timeout-s <seconds>', 'how long a query may take before the node counts as not synced', '10')
  .option('--available-when-donor', 'answer 200 while the node is a donor (wsrep_local_state 2)')
  .action(async (flags: ClustercheckFlags) => {
    await runClustercheck(clustercheckOptions(flags), (line) => process.stdout.write(`${line}\n`), untilStopSignal());
  });

program
  .command('resource')
  .description('start, stop, promote, demote, move, ban, clear or cleanup a resource (as crm resource)')
  .argument('<action>', [...resourceActions, 'restart'].join('|'))
  .argument('<resource>', 'resource id')
  .argument('[node]', 'the node to move to or ban from (default for both: ban from the one node it runs on, as crm_resource does)')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (action: string, id: string, node: string | undefined, options: { dataDir: string }) => {
    if (action === 'restart') {
      await restart(options.dataDir, id);
      return;
    }
    if (!resourceActions.includes(action as ResourceAction)) throw new InputError(`unknown resource action "${action}": expected ${[...resourceActions, 'restart'].join(', ')}`);
    await report(options.dataDir, { method: 'resource', action: action as ResourceAction, id, ...(node ? { node } : {}) });
  });

program
  .command('ticket')
  .description('grant, revoke, standby or activate a ticket at this site (as crm_ticket)')
  .argument('<action>', ticketActions.join('|'))
  .argument('<ticket>', 'the ticket, as rsc_ticket constraints name it')
  .option('--force', 'grant or revoke even so (tandem cannot tell whether another site holds the ticket)')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (action: string, ticket: string, options: { dataDir: string; force?: boolean }) => {
    if (!ticketActions.includes(action as TicketAction)) throw new InputError(`unknown ticket action "${action}": expected ${ticketActions.join(', ')}`);
    // As crm_ticket: granting what another site may hold, or revoking what resources run on, is the operator's call.
    if (action === 'grant' && !options.force) throw new InputError(`tandem cannot verify that no other site holds ${ticket}; to grant it here anyway, add --force`);
    if (action === 'revoke' && !options.force) throw new InputError(`revoking ${ticket} applies the loss-policy of what depends on it (stop, demote, fence or freeze); tandem ticket standby ${ticket} stops them gently; to revoke anyway, add --force`);
    const result = (await call(options.dataDir, { method: 'ticket', action: action as TicketAction, ticket })) as { revision?: number } | undefined;
    // A daemon that does not know the request answers nothing: say so rather than seem to succeed.
    if (result?.revision === undefined) throw new InputError(`the node daemon in ${options.dataDir} did not change ${ticket}: it does not handle ticket requests`);
    process.stdout.write(`done (store revision ${result.revision})\n`);
  });

program
  .command('property')
  .description('set or get a cluster property (as crm configure property)')
  .argument('<action>', 'set or get')
  .argument('<name>', 'property name, e.g. no-quorum-policy')
  .argument('[value]', 'the new value (for set)')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (action: string, name: string, value: string | undefined, options: { dataDir: string }) => {
    if (action === 'get') {
      const current = await call(options.dataDir, { method: 'property.get', name });
      process.stdout.write(current === null ? `${name} is not set\n` : `${name}=${String(current)}\n`);
    } else if (action === 'set') {
      if (value === undefined) throw new InputError(`tandem property set ${name} needs a value`);
      await report(options.dataDir, { method: 'property.set', name, value });
    } else throw new InputError(`unknown property action "${action}": expected set or get`);
  });

program
  .command('history')
  .description('the last transitions with their inputs; replay one with: tandem simulate FILE')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (options: { dataDir: string }) => {
    const entries = (await call(options.dataDir, { method: 'history' })) as Array<{ file: string; revision: number; summary: string[] }>;
    for (const entry of entries) process.stdout.write(`${entry.file} (store revision ${entry.revision})\n${entry.summary.join('\n')}\n\n`);
  });

program
  .command('status')
  .description('show nodes, resources and failures, like crm_mon')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .option('--json', 'print the same facts as JSON')
  .option('--watch', 'refresh every second until interrupted')
  .action(async (options: { dataDir: string; json?: boolean; watch?: boolean }) => {
    const show = async () => {
      const report = (await call(options.dataDir, { method: 'status' })) as StatusReport;
      return options.json ? JSON.stringify(report, null, 2) : renderReport(report);
    };
    if (!options.watch) {
      process.stdout.write((await show()) + '\n');
      return;
    }
    for (;;) {
      const text = await show();
      process.stdout.write(`\x1b[2J\x1b[H${new Date().toISOString()}\n${text}\n`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  });

const configure = program.command('configure').description('load or show the cluster configuration');
configure
  .command('load')
  .description('replace the configuration with FILE (crm syntax or CIB XML); nothing changes unless all of it is valid')
  .argument('<file>', 'configuration file ("-" for standard input)')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (file: string, options: { dataDir: string }) => {
    const result = (await call(options.dataDir, { method: 'configure.load', text: readText(file), file })) as { revision: number; warnings: Array<{ message: string; position: { file: string; line: number; column: number } }> };
    for (const warning of result.warnings) process.stderr.write(`warning: ${warning.position.file}:${warning.position.line}:${warning.position.column}: ${warning.message}\n`);
    process.stdout.write(`configuration loaded (store revision ${result.revision})\n`);
  });
configure
  .command('verify')
  .description('check a configuration file (crm syntax or CIB XML) without changing anything')
  .argument('<file>', 'configuration file ("-" for standard input)')
  .option('--without-agents', 'do not check the resources against the OCF agents installed on this machine (meta-data, validate-all)')
  .action((file: string, options: { withoutAgents?: boolean }) => {
    const text = readText(file);
    const loaded = parseCibText(text, file);
    const describe = createAgentDescriber();
    const agentWarnings = options.withoutAgents ? verifyAgents(loaded.cib.configuration, text, file, undefined) : [...verifyAgents(loaded.cib.configuration, text, file, describe), ...validateAllWarnings(loaded.cib.configuration, text, file, describe)];
    const transition = schedule({ cib: loaded.cib, nowS: Math.floor(Date.now() / 1000) });
    for (const warning of [...loaded.warnings, ...agentWarnings]) {
      process.stderr.write(`warning: ${warning.position.file}:${warning.position.line}:${warning.position.column}: ${warning.message}\n`);
    }
    for (const warning of transition.warnings) process.stderr.write(`warning: ${warning}\n`);
    const count = loaded.cib.configuration.resources.length;
    process.stdout.write(`${file}: valid (${count} top-level resource${count === 1 ? '' : 's'}, ${loaded.cib.configuration.constraints.length} constraint(s))\n`);
  });
configure
  .command('edit')
  .description('edit the configuration in $EDITOR (crm syntax); saved only if all of it is valid')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (options: { dataDir: string }) => {
    const current = String(await call(options.dataDir, { method: 'configure.show' }));
    const { edited, file } = editInEditor(current);
    if (edited === current) {
      rmSync(dirname(file), { recursive: true, force: true });
      process.stdout.write('no change\n');
      return;
    }
    // A rejected edit is kept where the error points, so the operator can mend it and load it.
    let result: { revision: number };
    try {
      result = (await call(options.dataDir, { method: 'configure.load', text: edited, file })) as { revision: number };
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`${error.message} (nothing was changed; the edit is kept in ${file}: mend it, then tandem configure load ${file})`);
      throw error;
    }
    rmSync(dirname(file), { recursive: true, force: true });
    process.stdout.write(`configuration saved (store revision ${result.revision})\n`);
  });
configure
  .command('show')
  .description('print the configuration in crm syntax')
  .option('--data-dir <dir>', 'the node\'s data directory', defaultDataDir)
  .action(async (options: { dataDir: string }) => {
    process.stdout.write(String(await call(options.dataDir, { method: 'configure.show' })));
  });

program
  .command('crm_attribute', { hidden: true })
  .description('crm_attribute for agents run by tandem: node attributes and promotion scores')
  .option('-p, --promotion [resource]', 'the promotion score of the agent\'s resource (master-<resource>)')
  .option('-n, --name <name>', 'attribute name')
  .option('-v, --update <value>', 'set the value')
  .option('-D, --delete', 'delete the attribute')
  .option('-G, --query', 'print the value')
  .option('-N, --node <node>', 'node (default: this node)')
  .option('-l, --lifetime <lifetime>', 'reboot (transient) or forever (permanent)', 'reboot')
  .option('-t, --type <type>', 'status (transient) or nodes (permanent)')
  .option('-q, --quiet', 'print only the value')
  .action(async (options: { promotion?: string | boolean; name?: string; update?: string; delete?: boolean; query?: boolean; node?: string; lifetime: string; type?: string; quiet?: boolean }) => {
    const dataDir = process.env.TANDEM_DATA_DIR ?? defaultDataDir;
    const node = options.node ?? process.env.TANDEM_NODE;
    if (!node) throw new InputError('crm_attribute: no node given (-N) and TANDEM_NODE is not set');
    const resource = typeof options.promotion === 'string' ? options.promotion : process.env.OCF_RESOURCE_INSTANCE;
    const name = options.promotion !== undefined ? `master-${(resource ?? '').replace(/:\d+$/, '')}` : options.name;
    if (!name || name === 'master-') throw new InputError('crm_attribute: an attribute name (-n) or --promotion with OCF_RESOURCE_INSTANCE set is needed');
    const permanent = options.promotion === undefined && (options.lifetime === 'forever' || options.type === 'nodes');
    if (options.update !== undefined || options.delete) {
      await call(dataDir, { method: 'attribute', node, name, value: options.delete ? null : options.update!, permanent });
      return;
    }
    const value = await call(dataDir, { method: 'attribute.get', node, name });
    if (value === null) throw new InputError(`crm_attribute: ${name} is not set on ${node}`);
    process.stdout.write(options.quiet ? `${String(value)}\n` : `scope=${permanent ? 'nodes' : 'status'}  name=${name} value=${String(value)}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof InputError || error instanceof LabFailure) {
    process.stderr.write(`tandem: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
