// bench/recovery: a supervised HTTP server (tandem:process) on loopback is killed with
// kill -9; a probe opens a connection every 10 ms until it answers again. 20 runs,
// median and max. Beside it, what Pacemaker needs by default: the failure is noticed at
// the next monitor (interval/2 on average, the full interval at worst), then restarted; the
// restart is measured in the same run: the same agent's stop and start (`tandem resource
// restart`), as the agent took them by the node's own log, so Pacemaker's reference counts
// only what any cluster manager must spend (a lower bound: its controller's own work is left
// out).
//
//   node dist/bench/recovery/main.js [--runs 20] [--port 18181]

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const probeEveryMs = 10;
const runLimitMs = 10_000;
const monitorIntervalS = 10;
const restartRuns = 3;
const goalMs = 300;

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 50 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => Promise<boolean>, limitMs: number): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < limitMs) {
    if (await condition()) return performance.now() - started;
    await sleep(probeEveryMs);
  }
  return undefined;
}

/** Each stop of web followed by its start, as the agent took them (ms), from the node's log. */
function agentRestarts(logFile: string): number[] {
  const finished = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg?: string; resource?: string; operation?: string; durationMs?: number })
    .filter((entry) => entry.msg === 'operation finished' && entry.resource === 'web');
  const restarts: number[] = [];
  finished.forEach((entry, index) => {
    const next = finished[index + 1];
    if (entry.operation === 'stop' && next?.operation === 'start') restarts.push((entry.durationMs ?? 0) + (next.durationMs ?? 0));
  });
  return restarts;
}

async function bench(): Promise<void> {
  const runs = argument('--runs', 20);
  const port = argument('--port', 18181);
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-recovery-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'node.log');
  const log = openSync(logFile, 'w');
  const daemon = spawn(process.execPath, [main, 'node', '--data-dir', dataDir, '--name', 'bench'], { stdio: ['ignore', log, log] });
  closeSync(log);
  try {
    const server = `require('http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1')`;
    writeFileSync(join(dir, 'bench.crm'), `primitive web tandem:process params command="exec ${process.execPath} -e \\"${server}\\"" op monitor interval=${monitorIntervalS}s\nproperty stonith-enabled=false\n`);
    const tandem = (...args: string[]) => spawnSync(process.execPath, [main, ...args, '--data-dir', dataDir], { encoding: 'utf8' });
    if ((await until(async () => tandem('status').status === 0, runLimitMs)) === undefined) throw new Error('the node daemon did not start');
    const loaded = tandem('configure', 'load', join(dir, 'bench.crm'));
    if (loaded.status !== 0) throw new Error(loaded.stderr);
    if ((await until(() => answers(port), runLimitMs)) === undefined) throw new Error('the server never answered');

    const downtimes: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const pid = Number.parseInt(readFileSync(join(dataDir, 'run', 'web.pid'), 'utf8'), 10);
      const killed = performance.now();
      process.kill(pid, 'SIGKILL');
      const back = await until(() => answers(port), runLimitMs);
      if (back === undefined) throw new Error(`run ${run + 1}: no answer within ${runLimitMs} ms`);
      downtimes.push(performance.now() - killed);
      await sleep(200);
    }
    const restarts: number[] = [];
    for (let run = 0; run < restartRuns; run += 1) {
      const asked = performance.now();
      const restarted = tandem('resource', 'restart', 'web');
      if (restarted.status !== 0) throw new Error(`restart ${run + 1}: ${restarted.stderr}`);
      if ((await until(() => answers(port), runLimitMs)) === undefined) throw new Error(`restart ${run + 1}: no answer within ${runLimitMs} ms`);
      restarts.push(performance.now() - asked);
      await sleep(200);
    }
    const median = medianOf(downtimes);
    const max = Math.max(...downtimes);
    const agentRestartMs = medianOf(agentRestarts(logFile).slice(-restartRuns));
    const restartMs = medianOf(restarts);
    const pacemakerAverageMs = (monitorIntervalS * 1000) / 2 + agentRestartMs;
    console.log(`bench/recovery: kill -9 of a supervised HTTP server, probe every ${probeEveryMs} ms, ${runs} runs`);
    console.log(`tandem:    median ${median.toFixed(0)} ms, max ${max.toFixed(0)} ms (time until it answers again); goal median under ${goalMs} ms: ${median < goalMs ? 'met' : 'NOT met'}`);
    console.log(`restart:   the agent's stop and start took ${agentRestartMs.toFixed(0)} ms (median of ${restartRuns}); tandem resource restart, command to answer: ${restartMs.toFixed(0)} ms`);
    console.log(`pacemaker: op monitor interval=${monitorIntervalS}s plus that stop and start: ${(pacemakerAverageMs / 1000).toFixed(1)} s on average, ${((monitorIntervalS * 1000 + agentRestartMs) / 1000).toFixed(1)} s at worst (at least: its controller's own time not counted);`);
    console.log(`           the guide's interval=30s: ${((15_000 + agentRestartMs) / 1000).toFixed(1)} s / ${((30_000 + agentRestartMs) / 1000).toFixed(1)} s. Ratio at the ${monitorIntervalS}s average: ${(pacemakerAverageMs / median).toFixed(0)}x`);
  } finally {
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    daemon.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await bench();
