// Fence agents (class stonith): the real `fence_*` programs, run as the fencer runs them:
// options as `name=value` lines on standard input (the device's parameters, then action,
// port/plug and nodename), exit status 0 for success, a deadline on every call. As a
// resource, a device is "started" when its agent is present and answers `monitor`.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { OcfRc } from '../model/status.js';
import type { AgentCall, AgentResult } from './ocf.js';

const defaultSearchPath = ['/usr/sbin', '/usr/local/sbin'];
/** Parameters that are the fencer's own, not the agent's. */
const fencerOnly = /^pcmk_|^priority$/;

/** Where a fence agent is: TANDEM_FENCE_PATH (colon-separated) first, then the system's sbin. */
export function fenceAgentPath(type: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!/^fence_[A-Za-z0-9_-]+$/.test(type)) return undefined;
  const directories = [...(env.TANDEM_FENCE_PATH ?? '').split(':').filter(Boolean), ...defaultSearchPath];
  for (const directory of directories) {
    const path = join(directory, type);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export interface FenceCall {
  type: string;
  params: Record<string, string>;
  action: 'reboot' | 'off' | 'on' | 'monitor' | 'status' | 'list';
  port?: string;
  nodename?: string;
  timeoutMs: number;
}

export function runFenceAgent(call: FenceCall): Promise<{ ok: boolean; output: string; timedOut: boolean }> {
  const path = fenceAgentPath(call.type);
  if (!path) return Promise.resolve({ ok: false, output: `fence agent ${call.type} is not installed`, timedOut: false });
  const lines = Object.entries(call.params)
    .filter(([name]) => !fencerOnly.test(name))
    .map(([name, value]) => `${name}=${value}`);
  lines.push(`action=${call.action}`);
  if (call.port !== undefined) lines.push(`port=${call.port}`, `plug=${call.port}`);
  if (call.nodename !== undefined) lines.push(`nodename=${call.nodename}`);
  return new Promise((resolve) => {
    const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }, call.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, output: error.message, timedOut });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ ok: status === 0 && !timedOut, output: output.trim(), timedOut });
    });
    child.stdin.end(lines.join('\n') + '\n');
  });
}

/**
 * Fencing devices as resources: started means registered with this node's fencer (its
 * agent is present and answers `monitor`); a probe finds a device this process has not
 * registered stopped.
 */
export class StonithResources {
  private readonly registered = new Set<string>();

  async run(call: AgentCall): Promise<AgentResult> {
    const started = Date.now();
    const result = (rc: number, output = ''): AgentResult => ({ rc, timedOut: false, notInstalled: rc === OcfRc.errInstalled, durationMs: Date.now() - started, output });
    const answers = async () => (await runFenceAgent({ type: call.agent.type, params: call.params, action: 'monitor', timeoutMs: call.timeoutMs })).ok;
    switch (call.action) {
      case 'stop':
        this.registered.delete(call.instance);
        return result(OcfRc.success);
      case 'start':
        if (fenceAgentPath(call.agent.type) === undefined) return result(OcfRc.errInstalled, `fence agent ${call.agent.type} is not installed`);
        if (!(await answers())) return result(OcfRc.errGeneric, `fence agent ${call.agent.type} does not answer monitor`);
        this.registered.add(call.instance);
        return result(OcfRc.success);
      case 'monitor':
        if (!this.registered.has(call.instance)) return result(OcfRc.notRunning);
        return result((await answers()) ? OcfRc.success : OcfRc.errGeneric);
      default:
        return result(OcfRc.errUnimplemented, `action ${call.action} is not implemented for fencing devices`);
    }
  }
}
