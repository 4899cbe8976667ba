// Health checks as HAProxy does them: a TCP connect to the check address and port, or with
// `option httpchk` an HTTP/1.0 request on that connection whose status line decides (2xx and
// 3xx mean up). One check is bounded by `timeout check` (else `inter`); the next one comes
// after `inter`, `fastinter` while the server is between UP and DOWN, `downinter` while DOWN.

import { connect, type Socket } from 'node:net';
import type { CheckPlan } from './plan.js';
import type { CheckStatus, ServerState } from './server-state.js';

export interface CheckResult {
  ok: boolean;
  status: CheckStatus;
}

const statusLinePattern = /^HTTP\/\d\.\d (\d{3})/;
const maxStatusLineBytes = 1024;

/** Runs one check; never rejects. An abort (at shutdown) ends it at once as a failure. */
export function runCheck(plan: CheckPlan, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    let connected = false;
    let response = '';
    const socket: Socket = connect({ host: plan.host, port: plan.port });
    const onAbort = () => finish(false, 'L4CON');
    // A limit on the whole check, not an idle timeout: a server trickling bytes still fails.
    const limit = setTimeout(() => finish(false, connected && plan.http ? 'L7TOUT' : 'L4TOUT'), plan.timeoutMs);
    const finish = (ok: boolean, status: CheckStatus) => {
      clearTimeout(limit);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ ok, status });
    };
    signal.addEventListener('abort', onAbort);
    socket.once('error', () => finish(false, connected && plan.http ? 'L7RSP' : 'L4CON'));
    socket.once('connect', () => {
      connected = true;
      if (!plan.http) return finish(true, 'L4OK');
      const { method = 'OPTIONS', uri = '/', version = 'HTTP/1.0' } = plan.http;
      socket.write(`${method} ${uri} ${version}\r\n\r\n`);
    });
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      response += chunk;
      const end = response.indexOf('\r\n');
      if (end < 0 && response.length < maxStatusLineBytes) return;
      const match = statusLinePattern.exec(response);
      if (!match) return finish(false, 'L7RSP');
      const code = Number(match[1]);
      finish(code >= 200 && code < 400, code >= 200 && code < 400 ? 'L7OK' : 'L7STS');
    });
    socket.once('end', () => finish(false, 'L7RSP'));
  });
}

/** Checks one server forever (until `stop`), feeding its rise/fall state. */
export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private readonly server: ServerState;
  private readonly plan: CheckPlan;
  private readonly changed: () => void;

  /** `changed` is called when the server goes UP or DOWN. */
  constructor(server: ServerState, changed: () => void) {
    this.server = server;
    this.plan = server.plan.check!;
    this.changed = changed;
  }

  start(): void {
    this.schedule(0);
  }

  /** Checks at once instead of at the next interval (when the cluster says the server is back). */
  checkNow(): void {
    if (this.stopping.signal.aborted || this.timer === undefined) return; // a check is under way
    clearTimeout(this.timer);
    this.schedule(0);
  }

  stop(): void {
    this.stopping.abort();
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.checkOnce();
    }, delayMs);
  }

  private async checkOnce(): Promise<void> {
    const result = await runCheck(this.plan, this.stopping.signal);
    if (this.stopping.signal.aborted) return;
    if (this.server.recordCheck(result.ok, result.status)) this.changed();
    const server = this.server;
    this.schedule(server.transitional ? this.plan.fastInterMs : server.healthUp ? this.plan.interMs : this.plan.downInterMs);
  }
}
