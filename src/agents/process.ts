// The built-in `tandem:process` agent: runs a command and supervises it. Its process
// group's pid is kept in a pidfile so a restarted daemon finds it again; when a process
// this daemon started exits without being asked to, `onUnexpectedExit` is called at once,
// so recovery does not wait for the next monitor.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcfRc } from '../model/status.js';
import { builtinMetadata } from './metadata.js';
import type { AgentCall, AgentResult } from './ocf.js';

const pollMs = 20;

export const processMetadata = builtinMetadata('process', 'Runs and supervises a command', 'Starts a command (through /bin/sh -c), keeps its pid, notices its exit at once, and stops its whole process group.', [
  { name: 'command', required: true, type: 'string', description: 'The command line to run' },
  { name: 'cwd', type: 'string', default: '/', description: 'Working directory' },
  { name: 'log', type: 'string', description: "File for the command's output (default: discarded)" },
]);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ProcessAgent {
  /** Instances this daemon is stopping on purpose: their exit is not a failure. */
  private readonly stopping = new Set<string>();

  constructor(
    private readonly runDir: string,
    private readonly onUnexpectedExit: (instance: string) => void,
    /** Added to the command's environment (TANDEM_NODE among them). */
    private readonly environment: Record<string, string> = {},
  ) {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
  }

  private pidfile(instance: string): string {
    return join(this.runDir, `${instance.replace(/[^A-Za-z0-9_.:-]/g, '_')}.pid`);
  }

  private runningPid(instance: string): number | undefined {
    try {
      const pid = Number.parseInt(readFileSync(this.pidfile(instance), 'utf8'), 10);
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async run(call: AgentCall): Promise<AgentResult> {
    const started = Date.now();
    const result = (rc: number, output = ''): AgentResult => ({ rc, timedOut: false, notInstalled: false, durationMs: Date.now() - started, output });
    switch (call.action) {
      case 'meta-data':
        return result(OcfRc.success, processMetadata);
      case 'validate-all':
        return result(call.params.command ? OcfRc.success : OcfRc.errConfigured, call.params.command ? '' : 'the "command" parameter is required');
      case 'monitor':
        return result(this.runningPid(call.instance) !== undefined ? OcfRc.success : OcfRc.notRunning);
      case 'start':
        return this.start(call, result);
      case 'stop':
        return this.stop(call, result);
      default:
        return result(OcfRc.errUnimplemented, `action ${call.action} is not implemented`);
    }
  }

  private async start(call: AgentCall, result: (rc: number, output?: string) => AgentResult): Promise<AgentResult> {
    if (!call.params.command) return result(OcfRc.errConfigured, 'the "command" parameter is required');
    if (this.runningPid(call.instance) !== undefined) return result(OcfRc.success);
    const log = call.params.log ? openSync(call.params.log, 'a') : 'ignore';
    const child = spawn('/bin/sh', ['-c', call.params.command], { cwd: call.params.cwd ?? '/', env: { ...process.env, ...this.environment }, detached: true, stdio: ['ignore', log, log] });
    if (typeof log === 'number') closeSync(log);
    // Kept before any wait: a daemon killed in between must find this process again, not start another.
    if (child.pid !== undefined) writeFileSync(this.pidfile(call.instance), String(child.pid), { mode: 0o600 });
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (!spawned || child.pid === undefined) {
      rmSync(this.pidfile(call.instance), { force: true });
      return result(OcfRc.errInstalled, 'cannot run /bin/sh');
    }
    const pid = child.pid;
    child.once('exit', () => {
      if (this.stopping.has(call.instance)) return;
      rmSync(this.pidfile(call.instance), { force: true });
      this.onUnexpectedExit(call.instance);
    });
    child.unref();
    // A command that dies at once did not start.
    await sleep(pollMs);
    return result(alive(pid) ? OcfRc.success : OcfRc.errGeneric);
  }

  private async stop(call: AgentCall, result: (rc: number, output?: string) => AgentResult): Promise<AgentResult> {
    const pid = this.runningPid(call.instance);
    if (pid === undefined) {
      rmSync(this.pidfile(call.instance), { force: true });
      return result(OcfRc.success);
    }
    this.stopping.add(call.instance);
    try {
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-pid, name);
        } catch {
          // The group is gone already.
        }
      };
      signal('SIGTERM');
      const deadline = Date.now() + Math.max(call.timeoutMs - 1_000, pollMs);
      while (alive(pid) && Date.now() < deadline) await sleep(pollMs);
      if (alive(pid)) signal('SIGKILL');
      while (alive(pid) && Date.now() < deadline + 1_000) await sleep(pollMs);
      if (alive(pid)) return result(OcfRc.errGeneric, `process ${pid} did not stop`);
      rmSync(this.pidfile(call.instance), { force: true });
      return result(OcfRc.success);
    } finally {
      this.stopping.delete(call.instance);
    }
  }
}
