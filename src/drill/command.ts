// `tandem drill`: strikes a named fault on a real cluster (power a node off through its
// fencing device, cut its link for a while, kill a resource's process) while a probe on
// this machine asks the service every `intervalMs`, and reports the downtime the probe saw.

import { call } from '../api/client.js';
import type { DrillFault } from '../api/protocol.js';
import { InputError } from '../model/errors.js';
import type { StatusReport } from '../node/handler.js';
import { attempt, type Attempt } from './attempt.js';
import { outageAfter, type Outage } from './downtime.js';

export type DrillFaultName = 'kill-node' | 'cut' | 'kill-process';

export interface DrillOptions {
  dataDir: string;
  fault: DrillFaultName;
  /** The node to strike; by default the one running `resource`. */
  target?: string;
  resource?: string;
  probeHost: string;
  probePort: number;
  http: boolean;
  intervalMs: number;
  limitMs: number;
  cutMs: number;
}

const attemptTimeoutMs = 1_000;
const baselineAnswers = 5;
const baselineLimitMs = 10_000;
/** Without a failed attempt this long after the fault, the client saw no outage. */
const quietAfterFaultMs = 10_000;
/** Kept watching after the recovery: a second outage right after it counts. */
const watchAfterRecoveryMs = 1_000;

/** Where a primitive (or a group's member) runs, as the cluster's status says. */
function nodeRunning(status: StatusReport, resource: string): string {
  for (const view of status.view.resources) {
    const primitives = view.kind === 'group' ? view.members : view.kind === 'primitive' ? [view] : [];
    const found = primitives.find((primitive) => primitive.id === resource);
    if (found) {
      if (found.nodes.length !== 1) throw new InputError(`${resource} runs on ${found.nodes.length} nodes; give the node with --target`);
      return found.nodes[0]!;
    }
  }
  throw new InputError(`no primitive named ${resource} (a clone's instance needs --target NODE)`);
}

/** Attempts every `intervalMs` until stopped or `limitMs`; bounded in count by the limit. */
class Probe {
  readonly attempts: Attempt[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(options: DrillOptions) {
    const limit = Date.now() + options.limitMs;
    this.loop = (async () => {
      const inFlight = new Set<Promise<void>>();
      while (this.running && Date.now() < limit) {
        const work = attempt(options.probeHost, options.probePort, attemptTimeoutMs, options.http).then((result) => void this.attempts.push(result));
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
      }
      await Promise.all(inFlight);
    })();
  }

  async until(condition: () => boolean, limitMs: number): Promise<boolean> {
    const limit = Date.now() + limitMs;
    while (Date.now() < limit) {
      if (condition()) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return condition();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

function faultOrder(options: DrillOptions, resource: string | undefined): DrillFault {
  if (options.fault === 'kill-node') return { fault: 'kill-node' };
  if (options.fault === 'cut') return { fault: 'cut', durationMs: options.cutMs };
  if (!resource) throw new InputError('kill-process needs --resource RSC (a tandem:process resource)');
  return { fault: 'kill-process', resource };
}

export interface DrillReport {
  target: string;
  detail: string;
  outage: Outage;
  answerBefore: string | undefined;
  answerAfter: string | undefined;
}

export async function runDrill(options: DrillOptions, print: (line: string) => void): Promise<DrillReport> {
  const status = (await call(options.dataDir, { method: 'status' })) as StatusReport;
  const target = options.target ?? (options.resource ? nodeRunning(status, options.resource) : undefined);
  if (!target) throw new InputError('give the node to strike (--target NODE) or a resource whose node it is (--resource RSC)');
  const order = faultOrder(options, options.resource);
  const probe = new Probe(options);
  try {
    const served = await probe.until(() => probe.attempts.filter((entry) => entry.ok).length >= baselineAnswers, baselineLimitMs);
    if (!served) throw new InputError(`${options.probeHost}:${options.probePort} does not answer before the drill: nothing to measure`);
    const answerBefore = probe.attempts.filter((entry) => entry.ok).at(-1)?.answer;
    const faultMs = Date.now();
    const answer = (await call(options.dataDir, { method: 'drill', target, fault: order })) as { detail: string };
    print(`drill: ${answer.detail}`);
    await probe.until(() => {
      const outage = outageAfter(probe.attempts, faultMs);
      if (outage.recovery) return Date.now() - outage.recovery.doneMs >= watchAfterRecoveryMs;
      return outage.failedAttempts === 0 && Date.now() - faultMs >= quietAfterFaultMs;
    }, options.limitMs);
    const outage = outageAfter(probe.attempts, faultMs);
    return { target, detail: answer.detail, outage, answerBefore, answerAfter: outage.recovery?.answer ?? probe.attempts.filter((entry) => entry.ok).at(-1)?.answer };
  } finally {
    await probe.stop();
  }
}

export function describeReport(report: DrillReport, options: DrillOptions): string {
  const { outage } = report;
  const where = options.http && report.answerBefore !== undefined ? `; answered by "${report.answerBefore}" before, "${report.answerAfter ?? 'nobody'}" after` : '';
  if (outage.failedAttempts === 0) return `the client saw no outage (an attempt every ${options.intervalMs} ms)${where}`;
  if (Number.isNaN(outage.downtimeMs)) return `the client was still not served after ${options.limitMs} ms (${outage.failedAttempts} failed attempts)${where}`;
  return `the client saw ${outage.downtimeMs} ms of downtime (${outage.failedAttempts} failed attempts, one every ${options.intervalMs} ms)${where}`;
}
