// `tandem node`: the daemon of one node. Wires the store (embedded for a single node, etcd
// for a cluster), the local executor, the DC's coordinator (always active on a single
// node; on a cluster only while this node holds the DC key), the control socket, and a
// planned shutdown on SIGTERM.

import { createAgentDescriber } from '../agents/ocf-metadata.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createAgentRunner } from '../agents/index.js';
import { listen } from '../api/server.js';
import { schedule } from '../scheduler/index.js';
import { clusterBackend, singleBackend, type Backend, type NodeOptions } from './backends.js';
import { Coordinator } from './coordinator.js';
import { Executor } from './executor.js';
import { controlHandler } from './handler.js';
import { InputHistory } from './history.js';
import { forgetNode, markFenced, markLeft, markShuttingDown } from './join.js';
import { InputError } from '../model/errors.js';
import type { Cib } from '../model/cib.js';
import { fenceNode } from '../fencing/fencer.js';
import { watchdogAttribute } from '../fencing/watchdog.js';
import { WatchdogFeeder } from './watchdog.js';
import type { DrillFault } from '../api/protocol.js';
import type { DrillAnswer } from '../cluster/drills.js';
import { explainEtcdError } from '../cluster/deadline.js';
import { runFenceAgent } from '../agents/stonith.js';
import { pacemakerToolShims } from './shims.js';
import { InflightJournal } from './inflight-journal.js';
import { settleLeftovers } from './leftovers.js';

/**
 * Where agents keep their state (ocf-directories' HA_RSCTMP, HA_VARRUN): the host's
 * defaults, unless set for this daemon, as when several nodes share one machine.
 */
function agentDirectories(): Record<string, string> {
  const chosen: Record<string, string> = {};
  for (const name of ['HA_RSCTMP', 'HA_VARRUN']) if (process.env[name]) chosen[name] = process.env[name]!;
  return chosen;
}

/** How long a planned shutdown waits for this node's resources to stop. */
const shutdownLimitMs = 120_000;
const shutdownPollMs = 100;

/** How the daemon ended: stopped (it may start again as the same member), or left the cluster for good. */
export type NodeOutcome = 'stopped' | 'left';

/** Runs the daemon; the caller holds the data directory's lock (`withDataDirLock`). */
export async function runNode(options: NodeOptions): Promise<NodeOutcome> {
  const name = options.name ?? hostname();
  const log = pino({ base: { node: name }, timestamp: pino.stdTimeFunctions.isoTime, level: process.env.TANDEM_LOG_LEVEL ?? 'info' });
  // A store call that fails (etcd out of reach) is retried by the loop that made it; one
  // that no loop awaits must not end the daemon and take the node's safety timer with it.
  process.on('unhandledRejection', (error) => log.error({ err: error }, 'unexpected failure (continuing)'));
  const history = new InputHistory(options.dataDir);
  const inflightDir = join(options.dataDir, 'run', 'inflight');
  let executor: Executor | undefined;
  let coordinator: Coordinator | undefined;
  const runAgent = createAgentRunner({
    runDir: join(options.dataDir, 'run'),
    onUnexpectedExit: (instance) => void executor?.reportUnexpectedExit(instance).catch((error: unknown) => log.error({ err: error, resource: instance }, 'could not record an unexpected exit')),
    environment: { ...pacemakerToolShims(options.dataDir, name), ...agentDirectories() },
    journal: new InflightJournal(inflightDir),
  });
  const hooks = {
    executor: () => executor!,
    coordinator: () => coordinator!,
  };
  const backend = options.etcdEndpoints?.length ? clusterBackend(options, name, log, hooks) : singleBackend(options.dataDir, name, hooks, options.addresses);
  executor = new Executor({ nodeName: name, store: backend.store, runAgent, log, onFailure: () => coordinator?.trigger() });
  coordinator = new Coordinator({
    store: backend.store,
    dispatch: backend.dispatch,
    view: backend.view,
    log,
    recordInput: (cib, transition, revision, nowS) => history.record(cib, transition, revision, nowS),
    ...(backend.onSettled ? { onSettled: backend.onSettled } : {}),
    sessionReports: () => backend.sessions.all(),
    fence: async (cib, node) => {
      const watchdogMs = cib.status.nodes.find((state) => state.uname === node)?.transientAttributes[watchdogAttribute];
      const selfFence = { nodeWatchdogMs: watchdogMs === undefined ? undefined : Number(watchdogMs), wait: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
      const outcome = await fenceNode(cib.configuration, node, runFenceAgent, { selfFence });
      log[outcome.ok ? 'warn' : 'error']({ target: node, detail: outcome.detail }, outcome.ok ? 'node fenced' : 'fencing failed; trying again');
      // A node that rejoined while its watchdog was waited for is a new incarnation that reset
      // or stopped everything first: its fresh status stays. A device acted on it now, though.
      const rejoined = (current: Cib) => outcome.method === 'watchdog' && backend.view(current).status.nodes.some((state) => state.uname === node && state.inCluster);
      if (outcome.ok) await backend.store.update((current) => (rejoined(current) ? current : markFenced(current, node)));
      return outcome.ok;
    },
  });

  let requestStop: (outcome: NodeOutcome) => void = () => undefined;
  const stopRequested = new Promise<NodeOutcome>((resolve) => {
    requestStop = resolve;
  });
  const requestLeave = () => {
    if (!options.etcdEndpoints?.length) throw new InputError('a single node has no cluster to leave');
    log.info('leaving the cluster: moving resources away, then forgetting this node');
    requestStop('left');
  };
  // A drill's power-off goes through the node's fencing device, without telling the cluster: as a real power cut.
  const drill = async (target: string, fault: DrillFault): Promise<DrillAnswer> => {
    if (fault.fault !== 'kill-node') return backend.drill(target, fault);
    const { cib } = await backend.store.read();
    const outcome = await fenceNode(cib.configuration, target, runFenceAgent, { action: 'off' });
    return { ok: outcome.ok, detail: outcome.ok ? `${target} powered off by ${outcome.detail}` : outcome.detail };
  };
  // Before anything can run an agent here: no probe may race an operation a killed incarnation left running.
  await settleLeftovers(inflightDir, log);
  const handle = controlHandler({ name, store: backend.store, view: backend.view, history, describe: backend.describe, changes: backend.changes, log, requestLeave, drill, reportSessions: (balancer, servers) => backend.sessions.report(balancer, servers), describeAgent: createAgentDescriber() });
  const server = await listen(options.dataDir, (request) => handle(request).catch((error: unknown) => Promise.reject(explainEtcdError(error))), log);
  backend.store.watch((snapshot) => {
    // The executor sees what the scheduler sees (membership, have-watchdog): it stops everything by it when the lease goes.
    executor!.reconcileMonitors(backend.view(snapshot.cib));
    coordinator!.trigger();
  });
  // Armed before joining: from the first lease on, a hang or a death of this daemon resets the machine.
  const watchdog = options.watchdog ? new WatchdogFeeder(options.watchdog.path, options.watchdog.timeoutMs, backend.healthy, log) : undefined;
  await watchdog?.start();
  await backend.start();
  log.info({ dataDir: options.dataDir, cluster: options.etcdEndpoints?.length ? options.clusterName : undefined }, 'node started');

  const shutdown = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'node stopping');
    requestStop('stopped');
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  const outcome = await stopRequested;
  process.off('SIGTERM', shutdown);
  process.off('SIGINT', shutdown);
  const clean = await plannedShutdown(backend, name, executor, coordinator, log, outcome);
  if (!clean) log.warn({ limitMs: shutdownLimitMs }, 'resources still running here at shutdown');
  server.close();
  await backend.close();
  // Left running, they are safe only if the machine resets: the watchdog stays armed then.
  if (clean) await watchdog?.stop();
  else if (watchdog) log.error('resources still running here: the watchdog is left armed and will reset this machine');
  log.info(outcome === 'left' ? 'node left the cluster' : 'node stopped');
  return outcome;
}

/**
 * Asks the scheduler to move everything off this node, waits (at most shutdownLimitMs)
 * until nothing runs here, then leaves the cluster cleanly (for good, when it was asked to
 * leave: its node entry and status are removed, as `crm_node --remove` does). A node cut off from the store
 * stops what it runs by itself and leaves without a word (its lease runs out).
 */
async function plannedShutdown(backend: Backend, name: string, executor: Executor, coordinator: Coordinator, log: Logger, outcome: NodeOutcome): Promise<boolean> {
  try {
    await backend.store.update((cib) => markShuttingDown(cib, name, Math.floor(Date.now() / 1000)));
    const deadline = Date.now() + shutdownLimitMs;
    let clean = false;
    while (Date.now() < deadline) {
      const { cib } = await backend.store.read();
      const transition = schedule({ cib: backend.view(cib), nowS: Math.floor(Date.now() / 1000) });
      if (transition.placement.every((place) => !place.current.includes(name) || !place.managed)) {
        clean = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, shutdownPollMs));
    }
    await coordinator.deactivate();
    executor.stop();
    await executor.whenIdle();
    await backend.store.update((cib) => (outcome === 'left' ? forgetNode(cib, name) : markLeft(cib, name)));
    await backend.leave();
    return clean;
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'the store is out of reach: stopping what runs here without it');
    await coordinator.deactivate();
    await executor.stopEverything();
    return true;
  }
}

