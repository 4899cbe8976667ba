// Recurring monitors: reconciled to a wanted set after every change. Each runs every
// interval, never overlapping itself; a failure is recorded by the caller, which makes
// the DC decide again.

import type { Logger } from 'pino';

export interface WantedMonitor {
  key: string;
  /** The scheduler's name for what it watches (a clone's instance carries its number). */
  resource: string;
  definitionId: string;
  historyId: string;
  intervalMs: number;
  /** The role it checks, when the op names one. */
  role?: string;
  expectedRc: number;
  /** Parameters of this operation only (OCF_CHECK_LEVEL), over the resource's. */
  params: Record<string, string>;
}

interface MonitorDeps {
  run: (monitor: WantedMonitor) => Promise<void>;
  log: Logger;
}

export class MonitorSet {
  private readonly timers = new Map<string, { wanted: WantedMonitor; timer: NodeJS.Timeout }>();

  constructor(private readonly deps: MonitorDeps) {}

  reconcile(wanted: WantedMonitor[]): void {
    const byKey = new Map(wanted.map((monitor) => [monitor.key, monitor]));
    for (const [key, entry] of this.timers) {
      if (byKey.get(key)?.expectedRc === entry.wanted.expectedRc) continue;
      clearTimeout(entry.timer);
      this.timers.delete(key);
    }
    for (const monitor of wanted) if (!this.timers.has(monitor.key)) this.arm(monitor);
  }

  clear(): void {
    for (const entry of this.timers.values()) clearTimeout(entry.timer);
    this.timers.clear();
  }

  private arm(monitor: WantedMonitor): void {
    const timer = setTimeout(async () => {
      try {
        await this.deps.run(monitor);
      } catch (error) {
        this.deps.log.error({ err: error, resource: monitor.historyId }, 'monitor could not run');
      }
      if (this.timers.get(monitor.key)?.timer === timer) this.arm(monitor);
    }, monitor.intervalMs);
    this.timers.set(monitor.key, { wanted: monitor, timer });
  }
}
