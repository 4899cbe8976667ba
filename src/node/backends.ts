// Where a node keeps its state and reaches the others: a single node with its embedded
// store, or a member of a cluster on etcd (lease, membership, DC election, requests, and
// etcd's leadership kept where a death costs least). The daemon sees either as a Backend.

import type { Logger } from 'pino';
import { LeadershipPlacement } from '../cluster/etcd-leadership.js';
import { loadCredentials } from '../cluster/credentials.js';
import type { LeaseTiming } from '../cluster/lease.js';
import { ClusterSession } from '../cluster/session.js';
import { withMembership } from '../cluster/view.js';
import type { Cib } from '../model/cib.js';
import type { Transition } from '../scheduler/index.js';
import { EmbeddedStore } from '../store/embedded.js';
import type { ClusterStore } from '../store/store.js';
import type { Coordinator } from './coordinator.js';
import type { Executor, OperationRequest } from './executor.js';
import { joinLocalNode, recordWatchdog } from './join.js';
import { everyMemberHasWatchdog } from '../fencing/watchdog.js';
import { seedStore } from './seed.js';
import { join } from 'node:path';
import { DrillChannel, type DrillAnswer } from '../cluster/drills.js';
import { prepareFault, type DrillContext, type DrillOrder } from './drill-faults.js';
import { LeasedReports } from '../cluster/leased-reports.js';
import type { SessionReport } from '../api/protocol.js';
import { leasedSessionBoard, localSessionBoard, type SessionBoard } from './session-board.js';

/** How long a drill's target has to answer, and how long after its answer it strikes. */
const drillAnswerLimitMs = 5_000;
const drillStrikeDelayMs = 100;
/** Beyond an operation's own timeout: time for its request and answer to cross etcd. */
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


/** Pacemaker's have-watchdog, as the controller sets it: the cluster can fence by watchdog when every member runs one. */
function withWatchdogs(cib: Cib, members: ReadonlySet<string>): Cib {
  cib.configuration.properties['have-watchdog'] = String(everyMemberHasWatchdog(cib.status.nodes, members));
  return cib;
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
  /** A watchdog device this node feeds while healthy (self-fencing without a fence device). */
  watchdog?: { path: string; timeoutMs: number };
}

export interface Backend {
  store: ClusterStore;
  onSettled?: (transition: Transition) => void;
  /** The store's CIB as the scheduler must see it. */
  view: (cib: Cib) => Cib;
  dispatch: (node: string, request: OperationRequest, transition: number) => Promise<number | undefined>;
  start: () => Promise<void>;
  leave: () => Promise<void>;
  close: () => Promise<void>;
  describe: () => Promise<Record<string, unknown>>;
  /** Calls back on every change of what the status shows: the store, and on a cluster the membership. */
  changes: (listener: () => void) => () => void;
  /** Whether this node may go on running (what its watchdog is fed on). */
  healthy: () => boolean;
  /** Strikes a drill's fault on a node (this one, or another through the cluster). */
  drill: (node: string, order: DrillOrder) => Promise<DrillAnswer>;
  /** The balancers' session reports, for drains that end when the sessions do. */
  sessions: SessionBoard;
}

export interface Hooks {
  executor: () => Executor;
  coordinator: () => Coordinator;
}

/** Answers first, then strikes (after a cut, nothing gets out). */
async function strikeHere(order: DrillOrder, context: DrillContext): Promise<DrillAnswer> {
  const { answer, strike } = await prepareFault(order, context);
  setTimeout(() => strike?.(), drillStrikeDelayMs);
  return answer;
}

export function singleBackend(dataDir: string, name: string, hooks: Hooks, addresses: string[] = []): Backend {
  const store = EmbeddedStore.open(dataDir);
  const drillContext: DrillContext = { address: undefined, runDir: join(dataDir, 'run') };
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
    healthy: () => true,
    drill: async (node, order) => (node === name ? strikeHere(order, drillContext) : { ok: false, detail: `a single node reaches no ${node}` }),
    describe: async () => ({ mode: 'single node', dc: name, members: [{ name, addresses }] }),
    changes: (listener) => store.watch(() => listener()),
    sessions: localSessionBoard(),
  };
}

export function clusterBackend(options: NodeOptions, name: string, log: Logger, hooks: Hooks): Backend {
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
      stoppedCleanly = false;
      // Stopping comes first: the DC's transition in progress winds down on its own.
      const winding = hooks.coordinator().deactivate();
      stoppedCleanly = await hooks.executor().stopEverything();
      await winding;
    },
    onJoined: async () => {
      await seedStore(session.store);
      const { cib } = await session.store.update((cib) => recordWatchdog(joinLocalNode(cib, name, true), name, options.watchdog?.timeoutMs));
      hooks.executor().resume();
      hooks.executor().reconcileMonitors(view(cib));
      // The reports kept under the lease before went with it.
      await sessionReports.republish();
    },
    onDcChange: (isDc) => {
      log.info({ dc: isDc }, isDc ? 'this node is now the DC' : 'this node is no longer the DC');
      if (isDc) hooks.coordinator().activate();
      else void hooks.coordinator().deactivate();
    },
    onMembersChange: () => {
      hooks.coordinator().abort();
      for (const listener of changeListeners) listener();
    },
    runRequest: (request) => hooks.executor().execute(request),
  });
  /** Nothing runs here that a lost lease left running: the watchdog may be fed without a lease. */
  let stoppedCleanly = true;
  const changeListeners = new Set<() => void>();
  const view = (cib: Cib) => withWatchdogs(withMembership(cib, session.memberSet), session.memberSet);
  const leadership = new LeadershipPlacement(session.client, options.timing!.callTimeoutMs, log, credentials);
  const drills = new DrillChannel<DrillOrder>(session.client.namespace(`tandem/${options.clusterName ?? 'tandem'}/drills/`), options.timing!.callTimeoutMs, log);
  const drillContext: DrillContext = { address: options.addresses?.[0], runDir: join(options.dataDir, 'run') };
  const sessionReports = new LeasedReports<SessionReport[]>(session.client.namespace(`tandem/${options.clusterName ?? 'tandem'}/sessions/`), name, () => session.leaseId, options.timing!.callTimeoutMs);
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
    start: async () => {
      await session.start();
      await drills.serve(name, (order) => prepareFault(order, drillContext)).catch((error: Error) => log.warn({ err: error.message }, 'drills cannot reach this node'));
    },
    leave: () => session.leave(),
    close: async () => {
      await drills.close();
      await session.close();
    },
    drill: (node, order) => (node === name ? strikeHere(order, drillContext) : drills.send(name, node, order, drillAnswerLimitMs)),
    healthy: () => session.leaseSafe || stoppedCleanly,
    sessions: leasedSessionBoard(sessionReports),
    describe: async () => ({ mode: 'cluster', cluster: options.clusterName ?? 'tandem', dc: await session.currentDc(), leaseId: session.leaseId, members: await session.listMembers() }),
    changes: (listener) => {
      changeListeners.add(listener);
      const stop = session.store.watch(() => listener());
      return () => {
        changeListeners.delete(listener);
        stop();
      };
    },
  };
}
