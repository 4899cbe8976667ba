// The built-in `tandem:process` agent: runs a command and supervises it. Its process
// group's pid (with its start time, so a reused pid is not mistaken for it) is kept in a
// pidfile so a restarted daemon finds it again; when the process exits without being asked
// to, `onUnexpectedExit` is called at once, so recovery does not wait for the next monitor:
// for a process this daemon started, from its exit event; for one a previous daemon started
// and this one found running, from a check of its pid every `adoptedPollMs`. With check_url or check_port, its monitor
// also asks the service (as ocf:heartbeat:apache's statusurl does): a live process that
// does not answer has failed, and is recovered.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcfRc } from '../model/status.js';
import { httpAnswers, tcpAccepts } from './checks.js';
import { identify, stillRunning, type ProcessIdentity } from './process-identity.js';
import { builtinMetadata } from './metadata.js';
import type { AgentCall, AgentResult } from './ocf.js';

const pollMs = 20;
const adoptedPollMs = 100;

export const processMetadata = builtinMetadata('process', 'Runs and supervises a command', 'Starts a command (through /bin/sh -c), keeps its pid, notices its exit at once, and stops its whole process group.', [
  { name: 'command', required: true, type: 'string', description: 'The command line to run' },
  { name: 'cwd', type: 'string', default: '/', description: 'Working directory' },
  { name: 'log', type: 'string', description: "File for the command's output (default: discarded)" },
  { name: 'check_url', type: 'string', description: 'A URL the service must answer with check_status: its monitor fails (and the service is recovered) when it does not, and its start waits for the first answer' },
  { name: 'check_status', type: 'integer', default: '200', description: 'The HTTP status check_url must answer with' },
  { name: 'check_port', type: 'integer', description: 'A TCP port the service must accept connections on (on check_host), checked as check_url is' },
  { name: 'check_host', type: 'string', default: '127.0.0.1', description: 'The host check_port is checked on' },
]);

const checkRetryMs = 100;
const checkLimitMs = 2_000;

/** The health check a service's params ask for, if any: like apache's statusurl, a live process that does not answer is failed. */
function healthCheck(params: Record<string, string>): ((timeoutMs: number) => Promise<boolean>) | undefined {
  if (params.check_url) return (timeoutMs) => httpAnswers(params.check_url!, Number(params.check_status ?? 200), timeoutMs);
  if (params.check_port) return (timeoutMs) => tcpAccepts(params.check_host ?? '127.0.0.1', Number(params.check_port), timeoutMs);
  return undefined;
}

function invalidCheck(params: Record<string, string>): string | undefined {
  if (params.check_url !== undefined && !URL.canParse(params.check_url)) return `check_url "${params.check_url}" is not a URL`;
  if (params.check_status !== undefined && !/^[1-5]\d\d$/.test(params.check_status)) return `check_status "${params.check_status}" is not an HTTP status`;
  const port = Number(params.check_port);
  if (params.check_port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) return `check_port "${params.check_port}" is not a TCP port (1-65535)`;
  return undefined;
}

/** What is wrong with a process resource's parameters, if anything (validate-all, and configure load). */
export function processParamsProblem(params: Record<string, string>): string | undefined {
  return params.command ? invalidCheck(params) : 'the "command" parameter is required';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** "PID START_TICKS", or just "PID" as earlier versions wrote it. */
function readIdentity(text: string): ProcessIdentity | undefined {
  const [pid, startTicks] = text.trim().split(/\s+/).map((field) => Number.parseInt(field, 10));
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startTicks: startTicks !== undefined && Number.isInteger(startTicks) ? startTicks : undefined };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ProcessAgent {
  /** Instances this daemon is stopping on purpose: their exit is not a failure. */
  private readonly stopping = new Set<string>();
  /** Instances whose process this daemon started: their exit event tells of their end. */
  private readonly ownChildren = new Set<string>();
  /** Instances found running, started by an earlier daemon: their pid is checked until they end. */
  private readonly adopted = new Map<string, NodeJS.Timeout>();

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

  private runningProcess(instance: string): ProcessIdentity | undefined {
    let identity: ProcessIdentity | undefined;
    try {
      identity = readIdentity(readFileSync(this.pidfile(instance), 'utf8'));
    } catch {
      return undefined;
    }
    return identity && stillRunning(identity) ? identity : undefined;
  }

  private runningPid(instance: string): number | undefined {
    return this.runningProcess(instance)?.pid;
  }

  /** Watches a process found running that an earlier daemon started, until it ends. */
  private adopt(instance: string, identity: ProcessIdentity): void {
    if (this.ownChildren.has(instance) || this.adopted.has(instance)) return;
    const timer = setInterval(() => {
      if (stillRunning(identity)) return;
      this.forget(instance);
      if (this.stopping.has(instance)) return;
      rmSync(this.pidfile(instance), { force: true });
      this.onUnexpectedExit(instance);
    }, adoptedPollMs);
    timer.unref();
    this.adopted.set(instance, timer);
  }

  private forget(instance: string): void {
    clearInterval(this.adopted.get(instance));
    this.adopted.delete(instance);
  }

  async run(call: AgentCall): Promise<AgentResult> {
    const started = Date.now();
    const result = (rc: number, output = ''): AgentResult => ({ rc, timedOut: false, notInstalled: false, durationMs: Date.now() - started, output });
    switch (call.action) {
      case 'meta-data':
        return result(OcfRc.success, processMetadata);
      case 'validate-all': {
        const problem = processParamsProblem(call.params);
        return result(problem ? OcfRc.errConfigured : OcfRc.success, problem ?? '');
      }
      case 'monitor':
        return this.monitor(call, result);
      case 'start':
        return this.start(call, result);
      case 'stop':
        return this.stop(call, result);
      default:
        return result(OcfRc.errUnimplemented, `action ${call.action} is not implemented`);
    }
  }

  private async monitor(call: AgentCall, result: (rc: number, output?: string) => AgentResult): Promise<AgentResult> {
    const running = this.runningProcess(call.instance);
    if (running === undefined) return result(OcfRc.notRunning);
    this.adopt(call.instance, running);
    const check = healthCheck(call.params);
    if (!check || (await check(Math.min(call.timeoutMs, checkLimitMs)))) return result(OcfRc.success);
    return result(OcfRc.errGeneric, 'the process runs but its health check fails');
  }

  /** Waits, within the start's timeout, for the service to pass its health check (it may still be coming up). */
  private async healthyWithin(call: AgentCall, startedMs: number): Promise<boolean> {
    const check = healthCheck(call.params);
    if (!check) return true;
    const deadlineMs = startedMs + call.timeoutMs - checkRetryMs;
    for (;;) {
      if (await check(Math.min(checkLimitMs, Math.max(checkRetryMs, deadlineMs - Date.now())))) return true;
      if (Date.now() + checkRetryMs >= deadlineMs) return false;
      await sleep(checkRetryMs);
    }
  }

  private async start(call: AgentCall, result: (rc: number, output?: string) => AgentResult): Promise<AgentResult> {
    if (!call.params.command) return result(OcfRc.errConfigured, 'the "command" parameter is required');
    const problem = invalidCheck(call.params);
    if (problem) return result(OcfRc.errConfigured, problem);
    const running = this.runningProcess(call.instance);
    if (running !== undefined) {
      this.adopt(call.instance, running);
      return result(OcfRc.success);
    }
    const startedMs = Date.now();
    const log = call.params.log ? openSync(call.params.log, 'a') : 'ignore';
    const child = spawn('/bin/sh', ['-c', call.params.command], { cwd: call.params.cwd ?? '/', env: { ...process.env, ...this.environment }, detached: true, stdio: ['ignore', log, log] });
    if (typeof log === 'number') closeSync(log);
    // Kept before any wait: a daemon killed in between must find this process again, not start another.
    if (child.pid !== undefined) writeFileSync(this.pidfile(call.instance), `${child.pid} ${identify(child.pid)?.startTicks ?? ''}`.trim(), { mode: 0o600 });
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (!spawned || child.pid === undefined) {
      rmSync(this.pidfile(call.instance), { force: true });
      return result(OcfRc.errInstalled, 'cannot run /bin/sh');
    }
    const pid = child.pid;
    this.forget(call.instance);
    this.ownChildren.add(call.instance);
    child.once('exit', () => {
      this.ownChildren.delete(call.instance);
      if (this.stopping.has(call.instance)) return;
      rmSync(this.pidfile(call.instance), { force: true });
      this.onUnexpectedExit(call.instance);
    });
    child.unref();
    // A command that dies at once did not start.
    await sleep(pollMs);
    if (!alive(pid)) return result(OcfRc.errGeneric);
    return (await this.healthyWithin(call, startedMs)) ? result(OcfRc.success) : result(OcfRc.errGeneric, 'the process runs but its health check never passed');
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
      this.forget(call.instance);
      return result(OcfRc.success);
    } finally {
      this.stopping.delete(call.instance);
    }
  }
}
