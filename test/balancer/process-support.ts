// The real `tandem` command in a child process, for tests of what an operator runs: its
// output lines collected as they come, waits bounded in time, and an end by PID.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Running {
  child: ChildProcess;
  /** stdout and stderr lines so far. */
  lines: string[];
  /** Resolves with the first line (already out, or to come) that matches; rejects after `limitMs`. */
  waitForLine(pattern: RegExp, limitMs?: number): Promise<string>;
  /** SIGTERM by PID, then SIGKILL if it has not exited within 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startTandem(args: string[]): Running {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
      for (const listener of listeners) listener();
    });
  }
  return {
    child,
    lines,
    waitForLine(pattern, limitMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.find((candidate) => pattern.test(candidate));
          if (line === undefined) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(line);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no line matching ${pattern} within ${limitMs} ms; output:\n${lines.join('\n')}`));
        }, limitMs);
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      process.kill(child.pid!, 'SIGTERM');
      const killer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/** Runs `tandem ARGS` to its end (killed after `limitMs`): exit code and output. */
export function runTandem(args: string[], limitMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      process.kill(child.pid!, 'SIGKILL');
      reject(new Error(`tandem ${args.join(' ')} still running after ${limitMs} ms`));
    }, limitMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
