// The DC's control loop (Pacemaker's controller on the Designated Controller). Level-
// triggered: read configuration and status from the store, see them through the current
// membership, run the pure scheduler, run the transition's actions on their nodes in
// order, and decide again on any change, on any failure and at cluster-recheck-interval.
// Any process may die at any point: everything it needs is read from the store again.

import type { Logger } from 'pino';
import type { SessionReport } from '../api/protocol.js';
import type { Cib } from '../model/cib.js';
import { schedule, type Transition } from '../scheduler/index.js';
import { clusterOptions } from '../scheduler/options.js';
import type { ClusterStore } from '../store/store.js';
import { clusterView, primitiveHolders, type ClusterView } from '../status/view.js';
import { drainDelayMs } from './drain.js';
import { waitForDrain } from './drain-wait.js';
import { operationRequest, type OperationRequest } from './executor.js';
import { runTransition } from './graph.js';

/** Runs an operation on a node; resolves with its return code, or undefined if the node went away. */
export type Dispatch = (node: string, request: OperationRequest, transition: number) => Promise<number | undefined>;

export interface CoordinatorOptions {
  store: ClusterStore;
  dispatch: Dispatch;
  /** The store's CIB as the scheduler must see it (membership applied). */
  view: (cib: Cib) => Cib;
  log: Logger;
  nowMs?: () => number;
  /** Keeps each scheduler input that led to work, for `tandem history`. */
  /** Keeps the input of a transition that has work; returns where (for the log). */
  recordInput?: (cib: Cib, transition: Transition, revision: number, nowS: number) => string | undefined;
  /** Fences a node (only nodes whose lease has run out are ever asked for); true when it is known down. */
  fence?: (cib: Cib, node: string) => Promise<boolean>;
  /** What the balancers following the cluster report of the servers they drain (none: every drain lasts its drain-delay). */
  sessionReports?: () => Promise<readonly SessionReport[]>;
  /** Heard when a pass finds nothing to do: the cluster is where the scheduler wants it. */
  onSettled?: (transition: Transition) => void;
}

const retryBaseMs = 100;
const retryLimitMs = 10_000;

export class Coordinator {
  private running = false;
  private dirty = false;
  private active = false;
  /** A change that must stop the transition in progress from starting anything more. */
  private aborted = false;
  private recheck: NodeJS.Timeout | undefined;
  private transitionNumber = 0;
  private failedInARow = 0;
  private readonly nowMs: () => number;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: CoordinatorOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Starts deciding (this node became DC). */
  activate(): void {
    this.active = true;
    this.trigger();
  }

  /** Stops deciding; resolves once the transition in progress has wound down. */
  async deactivate(): Promise<void> {
    this.active = false;
    this.aborted = true;
    if (this.recheck) clearTimeout(this.recheck);
    await this.whenIdle();
  }

  /** Something changed: decide again once the transition in progress is done. */
  trigger(): void {
    if (!this.active) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  /** Membership or configuration changed: start nothing more from the current transition. */
  abort(): void {
    if (this.running) this.aborted = true;
    this.trigger();
  }

  private whenIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.dirty = false;
        this.aborted = false;
        const failed = await this.runOnce();
        this.failedInARow = failed ? this.failedInARow + 1 : 0;
        // Failing again and again must not spin: wait longer each time, up to a limit.
        if (this.failedInARow > 1) await new Promise((resolve) => setTimeout(resolve, Math.min(retryBaseMs * 2 ** (this.failedInARow - 2), retryLimitMs)));
      } while (this.dirty && this.active);
    } catch (error) {
      this.options.log.error({ err: error }, 'control loop failed; retrying');
      if (this.active) setTimeout(() => this.trigger(), retryLimitMs).unref();
    } finally {
      this.running = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** One pass: returns true when an action failed or was abandoned (the next pass decides again). */
  private async runOnce(): Promise<boolean> {
    const { cib: stored, revision } = await this.options.store.read();
    const cib = this.options.view(stored);
    const nowS = Math.floor(this.nowMs() / 1000);
    const transition = schedule({ cib, nowS });
    const id = ++this.transitionNumber;
    const log = this.options.log.child({ transition: id });
    for (const warning of transition.warnings) log.warn(warning);
    if (transition.probes.length + transition.actions.length === 0) {
      this.scheduleRecheck(cib, transition);
      this.options.onSettled?.(transition);
      return false;
    }
    const input = this.options.recordInput?.(cib, transition, revision, nowS);
    log.info({ probes: transition.probes.length, actions: transition.actions.length, revision, ...(input ? { input } : {}), summary: transition.summary.map((item) => item.line.trim()) }, 'transition started');
    if (transition.fencing.length > 0) {
      // Nothing the failed node may still run starts elsewhere before it is known down.
      const fence = this.options.fence;
      const outcomes = await Promise.all(transition.fencing.map(async ({ node }) => (fence ? fence(cib, node) : false)));
      this.dirty = true;
      return outcomes.includes(false);
    }
    if (transition.probes.length > 0) {
      // What the probes find changes the picture: record it all, then decide again. A probe
      // that could not run records nothing and would be asked for again at once: that
      // counts as a failure, so deciding again backs off.
      const answers = await Promise.all(
        transition.probes.map((probe) => {
          const request = operationRequest(cib, { ...probe, resource: probe.historyId, orphan: false, task: 'monitor' });
          return request ? this.options.dispatch(probe.node, request, id) : undefined;
        }),
      );
      this.dirty = true;
      return answers.includes(undefined);
    }
    let view: ClusterView | undefined;
    const seen = () => (view ??= clusterView(cib, nowS));
    const succeeded = await runTransition(
      transition,
      async (action) => {
        if (action.node === undefined) return false;
        const request = operationRequest(cib, { ...action, node: action.node });
        if (!request) return false;
        const drainMs = drainDelayMs(cib, seen, action);
        if (drainMs > 0) {
          const where = { resource: action.historyId, node: action.node, operation: action.task };
          log.info({ ...where, drainMs }, 'draining before the stop');
          const end = await waitForDrain({
            delayMs: drainMs,
            resourceIds: primitiveHolders(cib.configuration).get(action.definitionId) ?? [action.definitionId],
            node: action.node,
            reports: this.options.sessionReports ?? (async () => []),
            keepWaiting: () => this.active && !this.aborted,
            nowMs: this.nowMs,
          });
          log.info({ ...where, reason: end.reason, elapsedMs: end.elapsedMs, drainMs }, 'drain over');
          // No longer DC, or the picture changed meanwhile: decide again rather than act on an old one.
          if (!this.active || this.aborted) return false;
        }
        const rc = await this.options.dispatch(action.node, request, id);
        // A failed notification is noted and passed over, as Pacemaker does; a lost one is not.
        if (action.task === 'notify' && rc !== undefined && rc !== 0) log.warn({ resource: action.historyId, node: action.node, rc }, 'notification failed; going on');
        return action.task === 'notify' ? rc !== undefined : rc === 0;
      },
      () => this.active && !this.aborted,
    );
    if (succeeded) {
      log.info('transition complete');
      this.scheduleRecheck(cib, transition);
    } else {
      log.info({ aborted: this.aborted }, 'transition stopped early; deciding again');
      this.dirty = true;
    }
    return !succeeded && !this.aborted;
  }

  /** Decides again at cluster-recheck-interval, or sooner when a failure expires (failure-timeout). */
  private scheduleRecheck(cib: Cib, transition: Transition): void {
    if (this.recheck) clearTimeout(this.recheck);
    if (!this.active) return;
    const intervalMs = clusterOptions(cib.configuration).clusterRecheckIntervalMs;
    const expiryMs = transition.recheckAtS === undefined ? undefined : Math.max(0, transition.recheckAtS * 1000 - this.nowMs());
    const delays = [...(intervalMs > 0 ? [intervalMs] : []), ...(expiryMs !== undefined ? [expiryMs] : [])];
    if (delays.length === 0) return;
    // setTimeout holds at most 2^31-1 ms (24.8 days); a later recheck comes after another pass.
    this.recheck = setTimeout(() => this.trigger(), Math.min(...delays, 2_147_483_647));
    this.recheck.unref();
  }
}
