// Fencing a node: the plan's levels in order until one succeeds (every device of a level
// must succeed), each agent call with the cluster's stonith-timeout; with no device for
// the node, its own watchdog (stonith-watchdog-timeout), when it runs one. The agent runner is
// passed in, so the decision of what to try stays testable without fencing anything.

import type { Configuration } from '../model/config.js';
import { parseDurationMs } from '../model/duration.js';
import { fencePlan } from './plan.js';
import { selfFenceWait } from './watchdog.js';

export interface FenceAgentCall {
  type: string;
  params: Record<string, string>;
  action: 'reboot' | 'off';
  port: string;
  nodename: string;
  timeoutMs: number;
}

export type FenceAgentRunner = (call: FenceAgentCall) => Promise<{ ok: boolean; output: string }>;

export interface FenceOutcome {
  ok: boolean;
  /** How: a device acted on the node, or the node's own watchdog was waited for (nothing was done to it). */
  method?: 'device' | 'watchdog';
  /** The devices of the level that succeeded, or what was tried and why it failed. */
  detail: string;
}

const defaultStonithTimeoutMs = 60_000;

/** Self-fencing by watchdog, for a node no device reaches: its watchdog timeout (if it runs one), and how to wait. */
export interface SelfFence {
  nodeWatchdogMs: number | undefined;
  wait: (ms: number) => Promise<void>;
}

export interface FenceChoices {
  /** Where no device reaches the node: its own watchdog. */
  selfFence?: SelfFence;
  /** Instead of the cluster's stonith-action (a drill powers a node off). */
  action?: 'reboot' | 'off';
}

export async function fenceNode(configuration: Configuration, node: string, run: FenceAgentRunner, choices: FenceChoices = {}): Promise<FenceOutcome> {
  const plan = fencePlan(configuration, node);
  const selfFence = choices.selfFence;
  if (plan.length === 0) {
    if (!selfFence) return { ok: false, detail: `no fencing device can reach ${node}` };
    const verdict = selfFenceWait(configuration.properties, node, selfFence.nodeWatchdogMs);
    if (!verdict.ok) return { ok: false, detail: `no fencing device can reach ${node}, and no watchdog fencing: ${verdict.reason}` };
    await selfFence.wait(verdict.waitMs);
    return { ok: true, method: 'watchdog', detail: `watchdog (${node} has reset or stopped everything: ${verdict.waitMs} ms since it was lost)` };
  }
  const action = choices.action ?? (configuration.properties['stonith-action'] === 'off' ? 'off' : 'reboot');
  const timeoutMs = parseDurationMs(configuration.properties['stonith-timeout'] ?? '') ?? defaultStonithTimeoutMs;
  const failures: string[] = [];
  for (const level of plan) {
    const results = await Promise.all(level.map((step) => run({ type: step.device.agent.type, params: step.device.params, action, port: step.port, nodename: node, timeoutMs })));
    const devices = level.map((step) => step.device.id);
    if (results.every((result) => result.ok)) return { ok: true, method: 'device', detail: devices.join(',') };
    failures.push(`${devices.join(',')}: ${results.map((result) => result.output || 'failed').join('; ')}`);
  }
  return { ok: false, detail: failures.join(' | ') };
}
