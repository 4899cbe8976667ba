// The local executor (Pacemaker's executor and the node side of its controller): runs the
// operations the DC asks of this node, at most one at a time per resource, with their
// deadlines; records every result in this node's own status; runs the recurring monitors
// of what runs here; and, when the node must stop at once (its lease may expire), stops
// everything here in the scheduler's order without waiting for anyone.

import type { Logger } from 'pino';
import { exitReasonOf, type AgentCall, type AgentResult } from '../agents/ocf.js';
import type { Cib } from '../model/cib.js';
import { findPrimitive, operationEnabled, operationParams, type Primitive } from '../model/config.js';
import { countFailure, definitionFromHistory, forgetHistory, recordOperation, rememberParams, type ResultDetails } from '../model/record.js';
import { OcfRc, OpStatus, type NodeState } from '../model/status.js';
import { schedule } from '../scheduler/index.js';
import { clusterOptions } from '../scheduler/options.js';
import type { ClusterStore } from '../store/store.js';
import { executionSequence } from './graph.js';
import { MonitorSet, type WantedMonitor } from './monitors.js';
import { agentMeta, operationTimeoutMs } from './operations.js';

export type AgentRunner = (call: AgentCall) => Promise<AgentResult>;

/** One operation, with everything needed to run it: the DC sends this to the node. */
export interface OperationRequest {
  historyId: string;
  task: string;
  intervalMs: number;
  primitive: Primitive;
  meta: Record<string, string>;
  timeoutMs: number;
  /** No longer configured: stop it with the parameters it was started with, then forget it. */
  orphan: boolean;
}

/** A one-time action the scheduler asks for, on the node it names (a probe, start, stop, notify ...). */
export interface RequestedAction {
  /** The scheduler's name for it (a clone's instance carries its number: `db:2`). */
  resource: string;
  historyId: string;
  definitionId: string;
  orphan: boolean;
  task: string;
  node: string;
  /** Meta values beyond the resource's own (a clone notification's lists). */
  meta?: Record<string, string>;
}

/** The request for an action on a configured resource, or undefined when it is gone from the configuration. */
export function operationRequest(cib: Cib, action: RequestedAction): OperationRequest | undefined {
  const { historyId, task, orphan } = action;
  const primitive = findPrimitive(cib.configuration.resources, action.definitionId);
  const target = { resource: action.resource, node: action.node, task, intervalMs: 0 };
  if (orphan) return { historyId, task, intervalMs: 0, primitive: primitive ?? placeholderPrimitive(historyId), meta: { ...action.meta, on_node: action.node }, timeoutMs: operationTimeoutMs(cib, undefined, task, 0), orphan };
  if (!primitive) return undefined;
  return { historyId, task, intervalMs: 0, primitive, meta: { ...agentMeta(cib, primitive, target), ...action.meta }, timeoutMs: operationTimeoutMs(cib, primitive, task, 0), orphan };
}

function placeholderPrimitive(id: string): Primitive {
  return { kind: 'primitive', id, agent: { class: 'ocf', type: 'unknown' }, params: {}, meta: {}, utilization: {}, ops: [], extra: {} };
}

export interface ExecutorOptions {
  nodeName: string;
  store: ClusterStore;
  runAgent: AgentRunner;
  log: Logger;
  nowMs?: () => number;
  /** Heard after every recorded failure, so the DC can decide again at once. */
  onFailure?: () => void;
}

export class Executor {
  /** The operation in progress per resource: the next waits for it. */
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly monitors: MonitorSet;
  private readonly nowMs: () => number;
  private halted = false;
  /** Operations run per resource: a monitor overtaken by one says nothing about the state it left. */
  private readonly operationsRun = new Map<string, number>();
  private lastCib: Cib | undefined;
  /**
   * The latest result of each resource's operations here, kept in memory as well: the store's
   * copy (lastCib) may not have it yet when the node must stop everything, and a start that
   * just succeeded must be stopped all the same.
   */
  private readonly latestResults = new Map<string, LatestResult>();

  constructor(private readonly options: ExecutorOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.monitors = new MonitorSet({ run: (monitor) => this.runMonitor(monitor), log: options.log });
  }

  /** Runs one operation here and records its result; returns the agent's return code. */
  execute(request: OperationRequest, transition?: number): Promise<number> {
    // A node that is stopping everything takes no new work.
    if (this.halted) return Promise.resolve(OcfRc.errGeneric);
    return this.run(request, transition);
  }

  private run(request: OperationRequest, transition?: number): Promise<number> {
    return this.exclusive(request.historyId, async () => {
      this.operationsRun.set(request.historyId, (this.operationsRun.get(request.historyId) ?? 0) + 1);
      const log = this.options.log.child({ transition });
      const primitive = request.orphan ? this.orphanDefinition(request) : request.primitive;
      const op = primitive.ops.find((candidate) => candidate.name === request.task && candidate.intervalMs === request.intervalMs);
      const params = op ? { ...primitive.params, ...operationParams(op) } : primitive.params;
      const result = await this.options.runAgent({ agent: primitive.agent, action: request.task, instance: request.historyId, params, meta: request.meta, timeoutMs: request.timeoutMs });
      const exitReason = exitReasonOf(result, primitive.agent.class, request.timeoutMs);
      log.info({ resource: request.historyId, operation: request.task, rc: result.rc, timedOut: result.timedOut, durationMs: result.durationMs, ...(exitReason ? { exitReason } : {}), ...(result.rc !== OcfRc.success && result.output.trim() ? { output: result.output.trim().slice(-1000) } : {}), ...(request.orphan ? { orphan: true } : {}) }, 'operation finished');
      // A notification changes nothing in the resource's state: Pacemaker keeps no history of it.
      if (request.task === 'notify') return result.rc;
      this.latestResults.set(request.historyId, { primitive, task: request.task, intervalMs: request.intervalMs, rc: result.rc });
      if (this.halted) return result.rc;
      if (request.orphan && result.rc === OcfRc.success) await this.forget(request.historyId);
      else await this.record(primitive, request.historyId, request.task, request.intervalMs, result.rc, { ...resultDetails(result), ...(exitReason ? { exitReason } : {}) });
      return result.rc;
    });
  }

  /** Brings the recurring monitors in line with what the store says runs here. */
  reconcileMonitors(cib: Cib): void {
    this.lastCib = cib;
    if (this.halted) return;
    this.monitors.reconcile(wantedMonitors(cib, this.options.nodeName, this.nowMs()));
  }

  /** A supervised process died on its own: record it as a failed monitor now. */
  async reportUnexpectedExit(historyId: string): Promise<void> {
    if (this.halted) return;
    const { cib } = await this.options.store.read();
    const primitive = findPrimitive(cib.configuration.resources, historyId.replace(/:\d+$/, ''));
    if (!primitive) return;
    const intervalMs = primitive.ops.find((op) => op.name === 'monitor' && op.intervalMs > 0)?.intervalMs ?? 1_000;
    this.options.log.warn({ resource: historyId, operation: `monitor_${intervalMs}` }, 'supervised process exited');
    await this.record(primitive, historyId, 'monitor', intervalMs, OcfRc.notRunning);
  }

  /**
   * Stops everything this node runs, in the scheduler's order, from the last state it
   * knew, without the store (it may be out of reach). Results are not recorded: the node
   * rejoins with a clean history and probes. True when every stop and demote succeeded.
   */
  async stopEverything(): Promise<boolean> {
    this.halted = true;
    this.monitors.clear();
    let clean = true;
    // What runs now first; then whatever an operation still running at the halt leaves running.
    for (let pass = 0; pass < maxStopPasses; pass += 1) {
      const stops = this.stopsOfWhatRunsHere();
      if (stops === undefined) return clean;
      for (const request of stops) {
        if ((await this.run(request)) !== OcfRc.success) clean = false;
      }
      if (stops.length === 0 && this.busy.size === 0) return clean;
      await this.whenIdle();
    }
    return clean;
  }

  /** The stops and demotes, in the scheduler's order, of what the last known state and this node's own latest results say runs here. */
  private stopsOfWhatRunsHere(): OperationRequest[] | undefined {
    if (!this.lastCib) return undefined;
    const cib = structuredClone(this.lastCib);
    const nowS = Math.floor(this.nowMs() / 1000);
    const state = localStateOf(cib, this.options.nodeName);
    if (!state) return undefined;
    for (const [historyId, latest] of this.latestResults) recordOperation(state, latest.primitive, historyId, latest.task, latest.intervalMs, latest.rc, nowS);
    // Whatever the last view said of this node's membership, it is here, shutting down.
    Object.assign(state, { inCluster: true, controllerOnline: true, join: 'member', expected: 'member' });
    state.transientAttributes.shutdown = String(nowS);
    const transition = schedule({ cib, nowS });
    const stops = executionSequence(transition).filter((action) => action.node === this.options.nodeName && (action.task === 'stop' || action.task === 'demote'));
    return stops.flatMap((action) => operationRequest(cib, { ...action, node: this.options.nodeName }) ?? []);
  }

  /** Takes requests again after `stopEverything` (the node rejoined with a new lease, and probes what runs). */
  resume(): void {
    this.halted = false;
    this.latestResults.clear();
  }

  stop(): void {
    this.halted = true;
    this.monitors.clear();
  }

  /** Resolves when no operation is in progress here. */
  async whenIdle(): Promise<void> {
    while (this.busy.size > 0) await Promise.allSettled([...this.busy.values()]);
  }

  private exclusive<T>(historyId: string, work: () => Promise<T>): Promise<T> {
    const before = this.busy.get(historyId) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.busy.set(historyId, settled);
    void settled.then(() => {
      if (this.busy.get(historyId) === settled) this.busy.delete(historyId);
    });
    return run;
  }

  private async runMonitor(monitor: WantedMonitor): Promise<void> {
    // A monitor never overlaps another operation on its resource; one that finds an
    // operation in progress waits for the next interval.
    if (this.halted || this.busy.has(monitor.historyId)) return;
    const cib = this.lastCib;
    const primitive = cib && findPrimitive(cib.configuration.resources, monitor.definitionId);
    if (!cib || !primitive) return;
    const operationsBefore = this.operationsRun.get(monitor.historyId) ?? 0;
    const result = await this.exclusive(monitor.historyId, () =>
      this.options.runAgent({
        agent: primitive.agent,
        action: 'monitor',
        instance: monitor.historyId,
        params: { ...primitive.params, ...monitor.params },
        meta: agentMeta(cib, primitive, { resource: monitor.resource, node: this.options.nodeName, task: 'monitor', intervalMs: monitor.intervalMs, ...(monitor.role ? { role: monitor.role } : {}) }),
        timeoutMs: operationTimeoutMs(cib, primitive, 'monitor', monitor.intervalMs),
      }),
    );
    if (result.rc === monitor.expectedRc || this.halted || (this.operationsRun.get(monitor.historyId) ?? 0) !== operationsBefore) return;
    this.options.log.warn({ resource: monitor.historyId, operation: `monitor_${monitor.intervalMs}`, rc: result.rc, expectedRc: monitor.expectedRc, ...(result.output.trim() ? { output: result.output.trim().slice(-1000) } : {}) }, 'monitor failed');
    const rc = result.rc === OcfRc.success && monitor.expectedRc === OcfRc.runningPromoted ? OcfRc.errGeneric : result.rc;
    const exitReason = exitReasonOf(result, primitive.agent.class, operationTimeoutMs(cib, primitive, 'monitor', monitor.intervalMs));
    // What its role expects, and nothing else, is success: 8 from an unpromoted one is a failure, as in Pacemaker.
    await this.record(primitive, monitor.historyId, 'monitor', monitor.intervalMs, rc, { ...resultDetails(result), expected: [monitor.expectedRc], ...(exitReason ? { exitReason } : {}) });
  }

  private async record(primitive: Primitive, historyId: string, task: string, intervalMs: number, rc: number, details: ResultDetails = {}): Promise<void> {
    const nowS = Math.floor(this.nowMs() / 1000);
    let failed = false;
    await this.options.store.update((cib) => {
      const state = this.localState(cib);
      const fatal = task === 'start' && clusterOptions(cib.configuration).startFailureIsFatal;
      failed = recordOperation(state, primitive, historyId, task, intervalMs, rc, nowS, details);
      if (failed) countFailure(state, historyId, task, intervalMs, nowS, fatal);
      else if (task === 'start') rememberParams(state, historyId, primitive.params);
      return cib;
    });
    if (failed) this.options.onFailure?.();
  }

  private async forget(historyId: string): Promise<void> {
    await this.options.store.update((cib) => {
      forgetHistory(this.localState(cib), historyId);
      return cib;
    });
  }

  private orphanDefinition(request: OperationRequest): Primitive {
    const history = this.lastCib && localStateOf(this.lastCib, this.options.nodeName)?.resources.find((candidate) => candidate.id === request.historyId);
    return history ? definitionFromHistory(history) : request.primitive;
  }

  private localState(cib: Cib): NodeState {
    const state = localStateOf(cib, this.options.nodeName);
    if (!state) throw new Error(`node ${this.options.nodeName} has no status entry; it should have joined`);
    return state;
  }
}

/** How the agent's call went beyond its exit code: run out of time, agent missing, how long it took. */
function resultDetails(result: AgentResult): ResultDetails {
  const opStatus = result.timedOut ? OpStatus.timeout : result.notInstalled ? OpStatus.notInstalled : OpStatus.done;
  return { opStatus, execTimeMs: Math.round(result.durationMs) };
}

interface LatestResult {
  primitive: Primitive;
  task: string;
  intervalMs: number;
  rc: number;
}

/** A pass stops what is known to run; a further one what operations in flight at the halt started. */
const maxStopPasses = 3;

function localStateOf(cib: Cib, nodeName: string): NodeState | undefined {
  return cib.status.nodes.find((candidate) => candidate.uname === nodeName);
}

/** Recurring monitors for what runs on `nodeName`, as the configuration's monitor ops ask. */
function wantedMonitors(cib: Cib, nodeName: string, nowMs: number): WantedMonitor[] {
  const transition = schedule({ cib, nowS: Math.floor(nowMs / 1000) });
  const wanted: WantedMonitor[] = [];
  for (const place of transition.placement) {
    if (!place.current.includes(nodeName) || !place.managed) continue;
    const primitive = findPrimitive(cib.configuration.resources, place.resource.replace(/:\d+$/, ''));
    if (!primitive) continue;
    const historyId = transition.actions.find((action) => action.resource === place.resource)?.historyId ?? historyIdFor(place.resource, cib);
    const promoted = place.role === 'Promoted';
    for (const op of primitive.ops) {
      if (op.name !== 'monitor' || op.intervalMs <= 0 || !operationEnabled(op)) continue;
      if (op.role !== undefined && (op.role === 'Promoted') !== promoted) continue;
      wanted.push({ key: `${historyId}_monitor_${op.intervalMs}`, resource: place.resource, definitionId: primitive.id, historyId, intervalMs: op.intervalMs, ...(op.role ? { role: op.role } : {}), expectedRc: promoted ? OcfRc.runningPromoted : OcfRc.success, params: operationParams(op) });
    }
  }
  return wanted;
}

function historyIdFor(resourceId: string, cib: Cib): string {
  const base = resourceId.replace(/:\d+$/, '');
  const unique = cib.configuration.resources.some((resource) => resource.kind === 'clone' && resource.meta['globally-unique'] === 'true' && (resource.child.id === base || (resource.child.kind === 'group' && resource.child.children.some((child) => child.id === base))));
  return unique ? resourceId : base;
}
