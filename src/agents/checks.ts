// Built-in health checks usable as resources and monitors: `tandem:http` (a URL must answer
// with the expected status) and `tandem:tcp` (a port must accept a connection). start
// waits, within its timeout, until the check first passes (the service it watches may
// still be coming up); stop marks the check inactive; monitor runs the check.

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { OcfRc } from '../model/status.js';
import { builtinMetadata } from './metadata.js';
import type { AgentCall, AgentResult } from './ocf.js';

const defaultCheckTimeoutMs = 2_000;

export const httpCheckMetadata = builtinMetadata('http', 'A URL that must answer', 'Started once the URL first answers with the expected status (within the start timeout); its monitor asks again.', [
  { name: 'url', required: true, type: 'string', description: 'The URL to ask (GET)' },
  { name: 'expect_status', type: 'integer', default: '200', description: 'The HTTP status it must answer with' },
]);

export const tcpCheckMetadata = builtinMetadata('tcp', 'A TCP port that must accept connections', 'Started once the port first accepts a connection (within the start timeout); its monitor connects again.', [
  { name: 'port', required: true, type: 'integer', description: 'The TCP port' },
  { name: 'host', type: 'string', default: '127.0.0.1', description: 'The host to connect to' },
]);

/** What a failed check says, for the operator (its exit reason). */
function failureOf(type: 'http' | 'tcp', params: Record<string, string>): string {
  if (type === 'http') return `${params.url} did not answer ${params.expect_status ?? 200}`;
  return `${params.host ?? '127.0.0.1'}:${params.port} did not accept a connection`;
}

/** What is wrong with a check's parameters, if anything (validate-all, and configure load). */
export function checkParamsProblem(type: 'http' | 'tcp', params: Record<string, string>): string | undefined {
  if (type === 'http') {
    if (!params.url) return 'the "url" parameter is required';
    if (!URL.canParse(params.url)) return `url "${params.url}" is not a URL`;
    if (params.expect_status !== undefined && !/^[1-5]\d\d$/.test(params.expect_status)) return `expect_status "${params.expect_status}" is not an HTTP status`;
    return undefined;
  }
  const port = Number(params.port);
  return Number.isInteger(port) && port > 0 && port < 65536 ? undefined : 'the "port" parameter must be a TCP port (1-65535)';
}
const startRetryMs = 100;

export function httpAnswers(url: string, expectStatus: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const req = request(parsed, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === expectStatus);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export class CheckAgents {
  constructor(private readonly runDir: string) {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
  }

  private marker(instance: string): string {
    return join(this.runDir, `${instance.replace(/[^A-Za-z0-9_.:-]/g, '_')}.check`);
  }

  private check(call: AgentCall): Promise<boolean> {
    const timeoutMs = Math.min(call.timeoutMs, defaultCheckTimeoutMs);
    if (call.agent.type === 'http') return httpAnswers(call.params.url ?? '', Number(call.params.expect_status ?? 200), timeoutMs);
    return tcpAccepts(call.params.host ?? '127.0.0.1', Number(call.params.port), timeoutMs);
  }

  private async passesWithin(call: AgentCall, deadlineMs: number): Promise<boolean> {
    for (;;) {
      if (await this.check(call)) return true;
      if (Date.now() + startRetryMs >= deadlineMs) return false;
      await new Promise((resolve) => setTimeout(resolve, startRetryMs));
    }
  }

  async run(call: AgentCall): Promise<AgentResult> {
    const started = Date.now();
    const result = (rc: number, output = ''): AgentResult => ({ rc, timedOut: false, notInstalled: false, durationMs: Date.now() - started, output });
    const type = call.agent.type === 'http' ? 'http' : 'tcp';
    const problem = checkParamsProblem(type, call.params);
    switch (call.action) {
      case 'meta-data':
        return result(OcfRc.success, type === 'http' ? httpCheckMetadata : tcpCheckMetadata);
      case 'validate-all':
        return result(problem ? OcfRc.errConfigured : OcfRc.success, problem ?? '');
      case 'start':
        if (problem) return result(OcfRc.errConfigured, problem);
        if (!(await this.passesWithin(call, started + call.timeoutMs - startRetryMs))) return result(OcfRc.errGeneric, `${failureOf(type, call.params)} within the start timeout`);
        writeFileSync(this.marker(call.instance), '');
        return result(OcfRc.success);
      case 'stop':
        rmSync(this.marker(call.instance), { force: true });
        return result(OcfRc.success);
      case 'monitor':
        if (!existsSync(this.marker(call.instance))) return result(OcfRc.notRunning);
        return (await this.check(call)) ? result(OcfRc.success) : result(OcfRc.errGeneric, failureOf(type, call.params));
      default:
        return result(OcfRc.errUnimplemented, `action ${call.action} is not implemented`);
    }
  }
}
