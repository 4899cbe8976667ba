// Runs a real `tandem node` daemon for a test: in its own temporary directory, ended by PID
// (SIGTERM, which stops what it runs) and cleaned up afterwards. Every wait is bounded.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Report {
  revision: number;
  view: { resources: Array<{ kind: string; id?: string; role?: string; nodes?: string[]; byRole?: Record<string, string[]>; members?: Array<{ id: string; role: string; nodes: string[] }> }> };
  failCounts: Array<{ resource: string; count: number }>;
  failedActions: Array<{ resource: string; operation: string; rc: number; opStatus: number; exitReason?: string }>;
  pending: string[];
}

export class TestNode {
  readonly dir = mkdtempSync(join(tmpdir(), 'tandem-node-test-'));
  readonly dataDir = join(this.dir, 'data');
  private readonly daemons: ChildProcess[] = [];

  /**
   * `commandPrefix` runs the daemon through a command that execs it, such as `ip netns exec
   * NS`, so the PID kept (and signalled by `close`) is still the daemon's own.
   */
  constructor(private readonly commandPrefix: string[] = []) {}

  start(logName: string, nodeName = 'node1'): ChildProcess {
    const log = openSync(join(this.dir, logName), 'w');
    const [command, ...args] = [...this.commandPrefix, process.execPath, cli, 'node', '--data-dir', this.dataDir, '--name', nodeName];
    const daemon = spawn(command!, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    this.daemons.push(daemon);
    return daemon;
  }

  tandem(...args: string[]) {
    return spawnSync(process.execPath, [cli, ...args, '--data-dir', this.dataDir], { encoding: 'utf8' });
  }

  status(): Report | undefined {
    const result = this.tandem('status', '--json');
    return result.status === 0 ? (JSON.parse(result.stdout) as Report) : undefined;
  }

  /** What the daemon logged for one operation: "resource=rc" in order. */
  operations(logName: string, operation: string): string[] {
    return readFileSync(join(this.dir, logName), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; operation?: string; resource?: string; rc?: number })
      .filter((entry) => entry.msg === 'operation finished' && entry.operation === operation)
      .map((entry) => `${entry.resource}=${entry.rc}`);
  }

  async close(): Promise<void> {
    for (const daemon of this.daemons) {
      if (daemon.exitCode !== null || daemon.signalCode !== null) continue;
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    }
    // TANDEM_KEEP_TEST_DIR=1 keeps the directory and logs for a look after a failure.
    if (process.env.TANDEM_KEEP_TEST_DIR) process.stdout.write(`# kept ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until the condition holds: at most `limitMs`, every 100 ms. */
export async function waitFor(what: string, condition: () => boolean, limitMs = 20_000, detail?: () => unknown): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out after ${limitMs} ms waiting for ${what}${detail ? `; last seen: ${JSON.stringify(detail())}` : ''}`);
}
