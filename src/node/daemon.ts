// `tandem node`: the daemon of one node. Wires the store (embedded for a single node, etcd
// for a cluster), the local executor, the DC's coordinator (always active on a single
// node; on a cluster only while this node holds the DC key), the control socket, and a
// planned shutdown on SIGTERM.

import { hostname } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createAgentRunner } from '../agents/index.js';
import { listen } from '../api/server.js';
import { LeadershipPlacement } from '../cluster/etcd-leadership.js';
import { ClusterSession } from '../cluster/session.js';
import { loadCredentials } from '../cluster/credentials.js';
import type { LeaseTiming } from '../cluster/lease.js';
import { withMembership } from '../cluster/view.js';
import type { Cib } from '../model/cib.js';
import { schedule, type Transition } from '../scheduler/index.js';
import { EmbeddedStore } from '../store/embedded.js';
import type { ClusterStore } from '../store/store.js';
import { Coordinator } from './coordinator.js';
import { Executor, type OperationRequest } from './executor.js';
import { controlHandler } from './handler.js';
import { InputHistory } from './history.js';
import { joinLocalNode, markFenced, markLeft, markShuttingDown } from './join.js';
import { fenceNode } from '../fencing/fencer.js';
import { runFenceAgent } from '../agents/stonith.js';
import { pacemakerToolShims } from './shims.js';
import { seedStore } from './seed.js';

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
const answerMarginMs = 5_000;
/** How long after the cluster settles the DC checks where etcd's leader sits (once per burst of changes). */
const rebalanceDelayMs = 300;
const rebalanceRetryMs = 2_000;

/** How many resources run on each node. */
function resourcesPerNode(transition: Transition): Map<string, number> {
  const load = new Map<string, number>();
  for (const place of transition.placement) for (const node of place.current) load.set(node, (load.get(node) ?? 0) + 1);
  return load;
}

export interface NodeOptions {
  dataDir: string;
  name?: string;
  /** A cluster on etcd: these endpoints; none means a single node with the embedded store. */
  etcdEndpoints?: string[];
  clusterName?: string;
  addresses?: string[];
  timing?: LeaseTiming;
  /** The cluster's credentials directory (tandem keygen): TLS with a client certificate to etcd. */
  credentialsDir?: string;
}

interface Backend {
  store: ClusterStore;
  onSettled?: (transition: Transition) => void;
  /** The store's CIB as the scheduler must see it. */
  view: (cib: Cib) => Cib;
  dispatch: (node: string, request: OperationRequest, transition: number) => Promise<number | undefined>;
  start: () => Promise<void>;
  leave: () => Promise<void>;
  close: () => Promise<void>;
  describe: () => Promise<Record<string, unknown>>;
}

export async function runNode(options: NodeOptions): Promise<void> {
  const name = options.name ?? hostname();
  const log = pino({ base: { node: name }, timestamp: pino.stdTimeFunctions.isoTime, level: process.env.TANDEM_LOG_LEVEL ?? 'info' });
  // A store call that fails (etcd out of reach) is retried by the loop that made it; one
  // that no loop awaits must not end the daemon and take the node's safety timer with it.
  process.on('unhandledRejection', (error) => log.error({ err: error }, 'unexpected failure (continuing)'));
  const history = new InputHistory(options.dataDir);
  let executor: Executor | undefined;
  let coordinator: Coordinator | undefined;
  const runAgent = createAgentRunner({
    runDir: join(options.dataDir, 'run'),
    onUnexpectedExit: (instance) => void executor?.reportUnexpectedExit(instance).catch((error: unknown) => log.error({ err: error, resource: instance }, 'could not record an unexpected exit')),
    environment: { ...pacemakerToolShims(options.dataDir, name), ...agentDirectories() },
  });
  const hooks = {
    executor: () => executor!,
    coordinator: () => coordinator!,
  };
  const backend = options.etcdEndpoints?.length ? clusterBackend(options, name, log, hooks) : singleBackend(options.dataDir, name, hooks);
  executor = new Executor({ nodeName: name, store: backend.store, runAgent, log, onFailure: () => coordinator?.trigger() });
  coordinator = new Coordinator({
    store: backend.store,
    dispatch: backend.dispatch,
    view: backend.view,
    log,
    recordInput: (cib, transition, revision) => history.record(cib, transition, revision),
    ...(backend.onSettled ? { onSettled: backend.onSettled } : {}),
    fence: async (cib, node) => {
      const outcome = await fenceNode(cib.configuration, node, runFenceAgent);
      log[outcome.ok ? 'warn' : 'error']({ target: node, detail: outcome.detail }, outcome.ok ? 'node fenced' : 'fencing failed; trying again');
      if (outcome.ok) await backend.store.update((current) => markFenced(current, node));
      return outcome.ok;
    },
  });

  const server = await listen(options.dataDir, controlHandler({ name, store: backend.store, view: backend.view, history, describe: backend.describe, log }), log);
  backend.store.watch((snapshot) => {
    executor!.reconcileMonitors(snapshot.cib);
    coordinator!.trigger();
  });
  await backend.start();
  log.info({ dataDir: options.dataDir, cluster: options.etcdEndpoints?.length ? options.clusterName : undefined }, 'node started');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'node stopping');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  const clean = await plannedShutdown(backend, name, executor, coordinator, log);
  if (!clean) log.warn({ limitMs: shutdownLimitMs }, 'resources still running here at shutdown');
  server.close();
  await backend.close();
  log.info('node stopped');
}

/**
 * Asks the scheduler to move everything off this node, waits (at most shutdownLimitMs)
 * until nothing runs here, then leaves the cluster cleanly. A node cut off from the store
 * stops what it runs by itself and leaves without a word (its lease runs out).
 */
async function plannedShutdown(backend: Backend, name: string, executor: Executor, coordinator: Coordinator, log: Logger): Promise<boolean> {
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
    await backend.store.update((cib) => markLeft(cib, name));
    await backend.leave();
    return clean;
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'the store is out of reach: stopping what runs here without it');
    await coordinator.deactivate();
    await executor.stopEverything();
    return true;
  }
}

interface Hooks {
  executor: () => Executor;
  coordinator: () => Coordinator;
}

function singleBackend(dataDir: string, name: string, hooks: Hooks): Backend {
  const store = EmbeddedStore.open(dataDir);
  return {
    store,
    view: (cib) => cib,
    dispatch: async (node, request, transition) => (node === name ? hooks.executor().execute(request, transition) : undefined),
    start: async () => {
      const { cib } = await store.update((cib) => joinLocalNode(cib, name, true));
      hooks.executor().reconcileMonitors(cib);
      hooks.coordinator().activate();
    },
    leave: async () => undefined,
    close: () => store.close(),
    describe: async () => ({ mode: 'single node', dc: name, members: [{ name, addresses: [] }] }),
  };
}

function clusterBackend(options: NodeOptions, name: string, log: Logger, hooks: Hooks): Backend {
  const credentials = options.credentialsDir ? loadCredentials(options.credentialsDir) : undefined;
  const session: ClusterSession<OperationRequest> = new ClusterSession<OperationRequest>({
    etcdEndpoints: options.etcdEndpoints!,
    ...(credentials ? { etcdCredentials: credentials } : {}),
    clusterName: options.clusterName ?? 'tandem',
    nodeName: name,
    addresses: options.addresses ?? [],
    timing: options.timing!,
    log,
    onLeaseLost: async () => {
      // Stopping comes first: the DC's transition in progress winds down on its own.
      const winding = hooks.coordinator().deactivate();
      await hooks.executor().stopEverything();
      await winding;
    },
    onJoined: async () => {
      await seedStore(session.store);
      const { cib } = await session.store.update((cib) => joinLocalNode(cib, name, true));
      hooks.executor().resume();
      hooks.executor().reconcileMonitors(cib);
    },
    onDcChange: (isDc) => {
      log.info({ dc: isDc }, isDc ? 'this node is now the DC' : 'this node is no longer the DC');
      if (isDc) hooks.coordinator().activate();
      else void hooks.coordinator().deactivate();
    },
    onMembersChange: () => hooks.coordinator().abort(),
    runRequest: (request) => hooks.executor().execute(request),
  });
  const view = (cib: Cib) => withMembership(cib, session.memberSet);
  const leadership = new LeadershipPlacement(session.client, options.timing!.callTimeoutMs, log, credentials);
  let latest: Transition | undefined;
  let rebalanceTimer: NodeJS.Timeout | undefined;
  // Once per burst of settled passes; after a failure (a member still catching up), again later.
  const armRebalance = (delayMs: number) => {
    if (rebalanceTimer || !latest) return;
    rebalanceTimer = setTimeout(() => {
      rebalanceTimer = undefined;
      if (!session.isDc || !latest) return;
      const preference = [...session.memberInfo].sort((a, b) => a.joinedAtMs - b.joinedAtMs).map((member) => member.name);
      leadership.rebalance(resourcesPerNode(latest), preference, name).catch((error: unknown) => {
        log.warn({ err: (error as Error).message }, 'could not move etcd leadership; trying again');
        armRebalance(rebalanceRetryMs);
      });
    }, delayMs);
    rebalanceTimer.unref();
  };
  return {
    store: session.store,
    view,
    onSettled: (transition) => {
      latest = transition;
      armRebalance(rebalanceDelayMs);
    },
    // The node's own deadline, plus time for the request and its answer to cross etcd.
    dispatch: (node, request, transition) => (node === name ? hooks.executor().execute(request, transition) : session.dispatch(node, request, request.timeoutMs + answerMarginMs)),
    start: () => session.start(),
    leave: () => session.leave(),
    close: () => session.close(),
    describe: async () => ({ mode: 'cluster', cluster: options.clusterName ?? 'tandem', dc: await session.currentDc(), leaseId: session.leaseId, members: await session.listMembers() }),
  };
}
