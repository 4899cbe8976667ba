// The node's control loop (single node, this scope; the DC role on a cluster
// builds on it). Level-triggered: read the state from the store, run the pure scheduler,
// execute the transition's actions in order, record each result in the store, repeat on
// any change, on a monitor failure and at cluster-recheck-interval. Any process may die
// at any point: on restart the node forgets its operation history and probes, so what
// already runs is found, not started twice.

import type { Logger } from 'pino';
import type { Cib } from '../model/cib.js';
import { findPrimitive, type Primitive, type Resource } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';
import { countFailure, definitionFromHistory, forgetHistory, recordOperation, rememberParams } from '../model/record.js';
import { OcfRc, type NodeState } from '../model/status.js';
import { schedule, type PlannedAction, type Transition } from '../scheduler/index.js';
import { clusterOptions } from '../scheduler/options.js';
import type { ClusterStore } from '../store/store.js';
import type { AgentCall, AgentResult } from '../agents/ocf.js';
import { MonitorSet } from './monitors.js';

export type AgentRunner = (call: AgentCall) => Promise<AgentResult>;

export interface ControllerOptions {
  nodeName: string;
  store: ClusterStore;
  runAgent: AgentRunner;
  log: Logger;
  nowMs?: () => number;
  /** Keeps each scheduler input that led to work, for `tandem history`. */
  recordInput?: (cib: Cib, transition: Transition, revision: number) => void;
}

const defaultTimeoutMs = 20_000;
const retryBaseMs = 100;
const retryLimitMs = 10_000;

/** Meta values an agent sees: rsc_defaults, then its clone's and group's, then its own. */
function effectiveMeta(cib: Cib, primitive: Primitive): Record<string, string> {
  const containers: Array<Record<string, string>> = [];
  const visit = (resource: Resource, trail: Array<Record<string, string>>): boolean => {
    if (resource === primitive) {
      containers.push(...trail);
      return true;
    }
    if (resource.kind === 'group') return resource.children.some((child) => visit(child, [...trail, resource.meta]));
    if (resource.kind === 'clone') return visit(resource.child, [...trail, { ...resource.meta, ...(resource.promotable ? { promotable: 'true' } : {}) }]);
    return false;
  };
  cib.configuration.resources.some((resource) => visit(resource, []));
  return Object.assign({}, cib.configuration.rscDefaults, ...containers, primitive.meta) as Record<string, string>;
}

/** The timeout of an operation: its own, else op_defaults, else 20 s. */
export function operationTimeoutMs(cib: Cib, primitive: Primitive, task: string, intervalMs: number): number {
  const own = primitive.ops.find((op) => op.name === task && op.intervalMs === intervalMs)?.timeout ?? primitive.ops.find((op) => op.name === task)?.timeout;
  const fallback = cib.configuration.opDefaults.timeout;
  return parseDurationMs(own ?? fallback ?? '') ?? defaultTimeoutMs;
}

/** Makes sure this node is in the configuration and shown as a member in the status. */
export function joinLocalNode(cib: Cib, name: string, forgetHistory: boolean): Cib {
  if (!cib.configuration.nodes.some((node) => node.uname === name)) {
    cib.configuration.nodes.push({ id: name, uname: name, attributes: {}, utilization: {}, extra: {} });
  }
  let state = cib.status.nodes.find((candidate) => candidate.uname === name);
  if (!state) {
    state = { id: cib.configuration.nodes.find((node) => node.uname === name)!.id, uname: name, inCluster: true, controllerOnline: true, join: 'member', expected: 'member', transientAttributes: {}, resources: [], extra: {} };
    cib.status.nodes.push(state);
  }
  Object.assign(state, { inCluster: true, controllerOnline: true, join: 'member', expected: 'member' });
  delete state.transientAttributes.shutdown;
  if (forgetHistory) state.resources = [];
  // One node decides for itself: it has quorum.
  cib.haveQuorum = true;
  return cib;
}

/** Executed actions in an order that respects the transition's orderings (Kahn's algorithm). */
export function executionSequence(transition: Transition): PlannedAction[] {
  const waiting = transition.actions.map(() => 0);
  const after = transition.actions.map((): number[] => []);
  for (const [first, then] of transition.order) {
    waiting[then]! += 1;
    after[first]!.push(then);
  }
  const ready = transition.actions.map((_, index) => index).filter((index) => waiting[index] === 0);
  const sequence: PlannedAction[] = [];
  while (ready.length > 0) {
    const index = ready.shift()!;
    sequence.push(transition.actions[index]!);
    for (const next of after[index]!) {
      waiting[next]! -= 1;
      if (waiting[next] === 0) ready.push(next);
    }
  }
  if (sequence.length !== transition.actions.length) throw new Error('the transition has an ordering loop');
  return sequence;
}

export class Controller {
  private running = false;
  private dirty = false;
  private stopped = false;
  private recheck: NodeJS.Timeout | undefined;
  private unwatch: (() => void) | undefined;
  private transitionNumber = 0;
  private failedInARow = 0;
  private readonly monitors: MonitorSet;
  private readonly nowMs: () => number;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ControllerOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.monitors = new MonitorSet({
      run: (resource, intervalMs, expected) => this.runMonitor(resource, intervalMs, expected),
      log: options.log,
    });
  }

  async start(): Promise<void> {
    await this.options.store.update((cib) => joinLocalNode(cib, this.options.nodeName, true));
    this.unwatch = this.options.store.watch(() => this.trigger());
    this.trigger();
  }

  /**
   * A planned shutdown: ask the scheduler to move everything off this node, wait (at most
   * `limitMs`) until nothing runs here, then leave the cluster cleanly.
   */
  async shutdown(limitMs: number): Promise<boolean> {
    const nowS = Math.floor(this.nowMs() / 1000);
    await this.options.store.update((cib) => {
      const state = cib.status.nodes.find((candidate) => candidate.uname === this.options.nodeName);
      if (state) state.transientAttributes.shutdown = String(nowS);
      return cib;
    });
    const deadline = this.nowMs() + limitMs;
    let clean = false;
    while (this.nowMs() < deadline) {
      await this.whenIdle();
      const { cib } = await this.options.store.read();
      const transition = schedule({ cib, nowS: Math.floor(this.nowMs() / 1000) });
      if (transition.placement.every((place) => !place.current.includes(this.options.nodeName) || !place.managed)) {
        clean = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.stop();
    await this.options.store.update((cib) => {
      const state = cib.status.nodes.find((candidate) => candidate.uname === this.options.nodeName);
      if (state) Object.assign(state, { inCluster: false, controllerOnline: false, join: 'down', expected: 'down' });
      return cib;
    });
    return clean;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    if (this.recheck) clearTimeout(this.recheck);
    this.monitors.clear();
    await this.whenIdle();
  }

  /** Resolves when no transition is running or pending. */
  whenIdle(): Promise<void> {
    if (!this.running && !this.dirty) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        const failed = await this.runOnce();
        this.failedInARow = failed ? this.failedInARow + 1 : 0;
        // Failing again and again must not spin: wait longer each time, up to a limit.
        if (this.failedInARow > 1) await new Promise((resolve) => setTimeout(resolve, Math.min(retryBaseMs * 2 ** (this.failedInARow - 2), retryLimitMs)));
      } while (this.dirty && !this.stopped);
    } catch (error) {
      this.options.log.error({ err: error }, 'control loop failed; retrying at the next change');
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** One pass: returns true when an action failed (the next pass will decide again). */
  private async runOnce(): Promise<boolean> {
    const { cib, revision } = await this.options.store.read();
    const nowS = Math.floor(this.nowMs() / 1000);
    const transition = schedule({ cib, nowS });
    const id = ++this.transitionNumber;
    if (transition.actions.length > 0) this.options.recordInput?.(cib, transition, revision);
    const log = this.options.log.child({ transition: id });
    for (const warning of transition.warnings) log.warn(warning);
    const probes = transition.probes.filter((probe) => probe.node === this.options.nodeName);
    const actions = executionSequence(transition).filter((action) => action.node === this.options.nodeName);
    if (probes.length + actions.length > 0) log.info({ probes: probes.length, actions: actions.length, summary: transition.summary.map((item) => item.line.trim()) }, 'transition started');
    if (probes.length > 0) {
      // What the probes find changes the picture: record it all, then decide again.
      for (const probe of probes) await this.execute(cib, probe.definitionId, probe.historyId, 'monitor', 0, log);
      this.dirty = true;
      return false;
    }
    for (const action of actions) {
      const result = action.orphan ? await this.stopOrphan(cib, action.historyId, log) : await this.execute(cib, action.definitionId, action.historyId, action.task, 0, log);
      // A failure changes what the scheduler will decide: stop here and schedule again.
      if (result === undefined || result !== OcfRc.success) {
        this.dirty = true;
        return true;
      }
    }
    if (probes.length + actions.length > 0) log.info('transition complete');
    this.monitors.reconcile(await this.desiredMonitors());
    this.scheduleRecheck(cib);
    return false;
  }

  /** Runs one operation and records its result; undefined when the resource is gone from the configuration. */
  private async execute(cib: Cib, definitionId: string, historyId: string, task: string, intervalMs: number, log: Logger): Promise<number | undefined> {
    const primitive = findPrimitive(cib.configuration.resources, definitionId);
    if (!primitive) return undefined;
    const timeoutMs = operationTimeoutMs(cib, primitive, task, intervalMs);
    const result = await this.options.runAgent({ agent: primitive.agent, action: task, instance: historyId, params: primitive.params, meta: effectiveMeta(cib, primitive), timeoutMs });
    log.info({ resource: historyId, operation: task, rc: result.rc, timedOut: result.timedOut, durationMs: result.durationMs }, 'operation finished');
    await this.record(primitive, historyId, task, intervalMs, result.rc);
    return result.rc;
  }

  private async record(primitive: Primitive, historyId: string, task: string, intervalMs: number, rc: number): Promise<void> {
    const nowS = Math.floor(this.nowMs() / 1000);
    await this.options.store.update((cib) => {
      const state = this.localState(cib);
      const fatal = task === 'start' && clusterOptions(cib.configuration).startFailureIsFatal;
      if (recordOperation(state, primitive, historyId, task, intervalMs, rc, nowS)) countFailure(state, historyId, task, intervalMs, nowS, fatal);
      else if (task === 'start') rememberParams(state, historyId, primitive.params);
      return cib;
    });
  }

  private localState(cib: Cib): NodeState {
    const state = cib.status.nodes.find((candidate) => candidate.uname === this.options.nodeName);
    if (!state) throw new Error(`node ${this.options.nodeName} has no status entry; it should have joined`);
    return state;
  }

  /** Stops a resource removed from the configuration, as it was started; then forgets it. */
  private async stopOrphan(cib: Cib, historyId: string, log: Logger): Promise<number> {
    const history = this.localState(cib).resources.find((candidate) => candidate.id === historyId);
    if (!history) return OcfRc.success;
    const primitive = definitionFromHistory(history);
    const result = await this.options.runAgent({ agent: primitive.agent, action: 'stop', instance: historyId, params: primitive.params, meta: {}, timeoutMs: defaultTimeoutMs });
    log.info({ resource: historyId, operation: 'stop', orphan: true, rc: result.rc, durationMs: result.durationMs }, 'operation finished');
    if (result.rc !== OcfRc.success) {
      await this.record(primitive, historyId, 'stop', 0, result.rc);
      return result.rc;
    }
    await this.options.store.update((next) => {
      forgetHistory(this.localState(next), historyId);
      return next;
    });
    return OcfRc.success;
  }

  /** Recurring monitors for what runs here, as the configuration's monitor ops ask. */
  private async desiredMonitors() {
    const { cib } = await this.options.store.read();
    const transition = schedule({ cib, nowS: Math.floor(this.nowMs() / 1000) });
    const wanted = [];
    for (const place of transition.placement) {
      if (!place.current.includes(this.options.nodeName) || !place.managed) continue;
      const primitive = findPrimitive(cib.configuration.resources, place.resource.replace(/:\d+$/, ''));
      if (!primitive) continue;
      const historyId = transition.actions.find((action) => action.resource === place.resource)?.historyId ?? historyIdFor(place.resource, cib);
      const promoted = place.role === 'Promoted';
      for (const op of primitive.ops) {
        if (op.name !== 'monitor' || op.intervalMs <= 0) continue;
        if (op.role !== undefined && (op.role === 'Promoted') !== promoted) continue;
        wanted.push({ key: `${historyId}_monitor_${op.intervalMs}`, resource: { definitionId: primitive.id, historyId }, intervalMs: op.intervalMs, expectedRc: promoted ? OcfRc.runningPromoted : OcfRc.success });
      }
    }
    return wanted;
  }

  private async runMonitor(resource: { definitionId: string; historyId: string }, intervalMs: number, expectedRc: number): Promise<void> {
    // One operation at a time per resource: a monitor never overlaps a transition, and a
    // result that a transition overtook says nothing about the state it left.
    if (this.running || this.stopped) return;
    const transitionBefore = this.transitionNumber;
    const { cib } = await this.options.store.read();
    const primitive = findPrimitive(cib.configuration.resources, resource.definitionId);
    if (!primitive) return;
    const result = await this.options.runAgent({
      agent: primitive.agent,
      action: 'monitor',
      instance: resource.historyId,
      params: primitive.params,
      meta: { ...effectiveMeta(cib, primitive), interval: String(intervalMs) },
      timeoutMs: operationTimeoutMs(cib, primitive, 'monitor', intervalMs),
    });
    if (result.rc === expectedRc || this.running || this.stopped || this.transitionNumber !== transitionBefore) return;
    this.options.log.warn({ resource: resource.historyId, operation: `monitor_${intervalMs}`, rc: result.rc, expectedRc }, 'monitor failed');
    await this.record(primitive, resource.historyId, 'monitor', intervalMs, result.rc === OcfRc.success && expectedRc === OcfRc.runningPromoted ? OcfRc.errGeneric : result.rc);
  }

  /** A supervised process died on its own: record it as a failed monitor now and react. */
  async reportUnexpectedExit(historyId: string): Promise<void> {
    if (this.stopped) return;
    const { cib } = await this.options.store.read();
    const primitive = findPrimitive(cib.configuration.resources, historyId.replace(/:\d+$/, ''));
    if (!primitive) return;
    const intervalMs = primitive.ops.find((op) => op.name === 'monitor' && op.intervalMs > 0)?.intervalMs ?? 1_000;
    this.options.log.warn({ resource: historyId, operation: `monitor_${intervalMs}` }, 'supervised process exited');
    await this.record(primitive, historyId, 'monitor', intervalMs, OcfRc.notRunning);
  }

  private scheduleRecheck(cib: Cib): void {
    if (this.recheck) clearTimeout(this.recheck);
    const intervalMs = clusterOptions(cib.configuration).clusterRecheckIntervalMs;
    if (intervalMs <= 0 || this.stopped) return;
    this.recheck = setTimeout(() => this.trigger(), intervalMs);
    this.recheck.unref();
  }
}

function historyIdFor(resourceId: string, cib: Cib): string {
  const base = resourceId.replace(/:\d+$/, '');
  const unique = cib.configuration.resources.some((resource) => resource.kind === 'clone' && resource.meta['globally-unique'] === 'true' && (resource.child.id === base || (resource.child.kind === 'group' && resource.child.children.some((child) => child.id === base))));
  return unique ? resourceId : base;
}
