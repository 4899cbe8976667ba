// bench/balancer: requests/s and latency of a small fixed HTTP response on loopback, measured
// by wrk, for the same two Node backends reached directly, through HAProxy (Debian's binary,
// tcp and http mode) and through tandem's balancer (`tandem balancer`, tcp and http mode),
// all in one run, with the ratios the issue asks for:
//
//   node dist/bench/balancer/main.js [--duration-s 5] [--connections 50] [--rounds 3]
//                                    [--pause-max-ms 10] [--cpu-prof-dir DIR]
//
// Three measurements of each target, in rounds that go through the targets in turn (each
// round starting one target further on), so that a slow spell of this shared machine falls
// on every target alike; the figures printed are the medians over the rounds:
// - saturation: wrk at full speed. Requests/s and the CPU each proxy spends per request
//   (what bounds a proxy when wrk and the backends share its cores). Latency there is mostly
//   queueing: with N connections it is about N / (requests/s), so a slower target's p99 is
//   higher whatever it adds itself.
// - paced: each connection pausing a random 0..pause-max-ms between requests, the same load
//   offered to every target and well below what each can take. The p99 added over direct
//   there is what the proxy's own path adds to a request.
// - new connections: wrk at full speed over 20 connections, each request on a new one
//   (`Connection: close`), as clients that do not keep connections open: connections/s, and
//   the CPU each proxy spends per connection.
// Every process it starts (backends, HAProxy in the foreground, tandem) is its own child,
// ended by PID at the end. Each target gets an unmeasured 1 s of wrk first, so that both
// balancers (and Node's JIT) are warm. HAProxy runs one thread, as tandem's balancer does.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWrkReport, runWrk, writeWrkScripts, type WrkResult } from './wrk.js';

interface Options {
  durationS: number;
  connections: number;
  rounds: number;
  pauseMaxMs: number;
  cpuProfDir?: string;
}

interface Target {
  name: string;
  address: string;
  /** The proxy's process, whose CPU is counted; none for direct. */
  pid?: number;
}

interface Measurement {
  saturation: WrkResult;
  /** CPU time (user + system) the proxy process spent per request at saturation; undefined for direct. */
  cpuUsPerRequest?: number;
  paced: WrkResult;
  newConnections: WrkResult;
  cpuUsPerConnection?: number;
}

const newConnectionClients = 20;

function parseOptions(argv: string[]): Options {
  const options: Options = { durationS: 5, connections: 50, rounds: 3, pauseMaxMs: 10 };
  const usage = 'expected --duration-s N, --connections N, --rounds N, --pause-max-ms N, --cpu-prof-dir DIR';
  const integer = (flag: string, value: string, min: number, max: number) => {
    const number = Number(value);
    if (!(Number.isInteger(number) && number >= min && number <= max)) throw new Error(`${flag}: expected ${min} to ${max}`);
    return number;
  };
  for (let index = 0; index < argv.length; index += 2) {
    const [flag, value] = [argv[index]!, argv[index + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--duration-s') options.durationS = integer(flag, value, 1, 300);
    else if (flag === '--connections') options.connections = integer(flag, value, 1, 10_000);
    else if (flag === '--rounds') options.rounds = integer(flag, value, 1, 20);
    else if (flag === '--pause-max-ms') options.pauseMaxMs = integer(flag, value, 1, 1000);
    else if (flag === '--cpu-prof-dir') options.cpuProfDir = value;
    else throw new Error(`unknown option ${flag}: ${usage}`);
  }
  return options;
}

function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once host:port accepts a connection; fails after 10 s or if `child` exits first. */
async function waitListening(host: string, port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (code ${child.exitCode}) before listening on ${host}:${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not listening on ${host}:${port} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Ends a child by its PID: SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const backendCode = (name: string, host: string, port: number) => `
const body = Buffer.from('hello from ${name}\\n');
require('node:http').createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  response.end(body);
}).listen(${port}, '${host}');`;

function proxyConfig(lines: string[], ports: { tcp: number; http: number }, servers: string[]): string {
  const listen = (mode: string, port: number) => [`listen bench_${mode}`, `  mode ${mode}`, `  bind 127.0.0.1:${port}`, '  balance roundrobin', ...servers.map((server, index) => `  server s${index + 1} ${server}`)];
  return [...lines, 'defaults', '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s', ...listen('tcp', ports.tcp), ...listen('http', ports.http), ''].join('\n');
}

const clockTicksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerS;
}

interface Scripts {
  saturation: string;
  paced: string;
}

/** wrk's figures, with the CPU (user + system) the proxy spent per request meanwhile. */
function withCpu(target: Target, run: () => string): { result: WrkResult; cpuUsPerRequest: number | undefined } {
  const cpuBefore = target.pid === undefined ? 0 : cpuSeconds(target.pid);
  const result = parseWrkReport(target.name, run());
  return { result, cpuUsPerRequest: target.pid === undefined ? undefined : ((cpuSeconds(target.pid) - cpuBefore) * 1e6) / result.requests };
}

/** One round's figures for one target: saturation, paced, new connections. */
function measure(target: Target, scripts: Scripts, options: Options): Measurement {
  const url = `http://${target.address}/`;
  runWrk(url, scripts.saturation, 1, options.connections); // warm-up, not measured
  const saturation = withCpu(target, () => runWrk(url, scripts.saturation, options.durationS, options.connections));
  const paced = parseWrkReport(target.name, runWrk(url, scripts.paced, options.durationS, options.connections));
  const newConnections = withCpu(target, () => runWrk(url, scripts.saturation, options.durationS, newConnectionClients, true));
  return { saturation: saturation.result, cpuUsPerRequest: saturation.cpuUsPerRequest, paced, newConnections: newConnections.result, cpuUsPerConnection: newConnections.cpuUsPerRequest };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const column = (text: string, width: number) => text.padStart(width);
const percent = (ratio: number) => `${(100 * ratio).toFixed(0)}%`;

/** `rounds[r].get(target)`: that round's measurement of the target. */
function printResults(targets: Target[], rounds: Map<string, Measurement>[], options: Options): void {
  const all = (name: string) => rounds.map((round) => round.get(name)!);
  const errorsOf = (name: string) => [...new Set(all(name).flatMap((m) => [m.saturation.errors, m.paced.errors]).filter(Boolean))].join('; ') || '-';
  console.log(`\nsaturation: wrk -t 1 -c ${options.connections}, ${options.durationS} s a target, medians over ${rounds.length} rounds`);
  console.log(`${'target'.padEnd(14)}${column('requests/s', 12)}${column('p50 ms', 9)}${column('p99 ms', 9)}${column('proxy CPU us/req', 18)}  errors`);
  for (const { name } of targets) {
    const measured = all(name);
    const cpu = measured[0]!.cpuUsPerRequest === undefined ? '' : median(measured.map((m) => m.cpuUsPerRequest!)).toFixed(1);
    const figure = (pick: (m: Measurement) => number, digits: number) => median(measured.map(pick)).toFixed(digits);
    console.log(`${name.padEnd(14)}${column(figure((m) => m.saturation.requestsPerS, 0), 12)}${column(figure((m) => m.saturation.p50Ms, 2), 9)}${column(figure((m) => m.saturation.p99Ms, 2), 9)}${column(cpu, 18)}  ${errorsOf(name)}`);
  }
  const offered = median(all('direct').map((m) => m.paced.requestsPerS));
  console.log(`\npaced: wrk -t 1 -c ${options.connections}, each connection pausing a random 0..${options.pauseMaxMs} ms between requests (direct: ${offered.toFixed(0)} requests/s), medians over ${rounds.length} rounds`);
  console.log(`${'target'.padEnd(14)}${column('requests/s', 12)}${column('p50 ms', 9)}${column('p99 ms', 9)}${column('p99.9 ms', 10)}${column('max ms', 9)}${column('p99 added', 11)}`);
  const addedOf = (name: string) => median(rounds.map((round) => round.get(name)!.paced.p99Ms - round.get('direct')!.paced.p99Ms));
  for (const { name } of targets) {
    const measured = all(name).map((m) => m.paced);
    const figure = (pick: (m: WrkResult) => number, digits: number) => median(measured.map(pick)).toFixed(digits);
    const added = name === 'direct' ? '' : addedOf(name).toFixed(2);
    console.log(`${name.padEnd(14)}${column(figure((m) => m.requestsPerS, 0), 12)}${column(figure((m) => m.p50Ms, 2), 9)}${column(figure((m) => m.p99Ms, 2), 9)}${column(figure((m) => m.p999Ms, 2), 10)}${column(figure((m) => m.maxMs, 2), 9)}${column(added, 11)}`);
  }
  console.log(`\nnew connections: wrk -t 1 -c ${newConnectionClients}, each request on a new connection, medians over ${rounds.length} rounds`);
  console.log(`${'target'.padEnd(14)}${column('connections/s', 15)}${column('p99 ms', 9)}${column('proxy CPU us/connection', 25)}  errors`);
  for (const { name } of targets) {
    const measured = all(name);
    const cpu = measured[0]!.cpuUsPerConnection === undefined ? '' : median(measured.map((m) => m.cpuUsPerConnection!)).toFixed(1);
    const figure = (pick: (m: WrkResult) => number, digits: number) => median(measured.map((m) => pick(m.newConnections))).toFixed(digits);
    console.log(`${name.padEnd(14)}${column(figure((m) => m.requestsPerS, 0), 15)}${column(figure((m) => m.p99Ms, 2), 9)}${column(cpu, 25)}  ${[...new Set(measured.map((m) => m.newConnections.errors).filter(Boolean))].join('; ') || '-'}`);
  }
  console.log('');
  for (const mode of ['tcp', 'http']) {
    const ratios = rounds.map((round) => round.get(`tandem ${mode}`)!.saturation.requestsPerS / round.get(`haproxy ${mode}`)!.saturation.requestsPerS);
    const goal = mode === 'tcp' ? 80 : 60;
    console.log(
      `${mode}: tandem/HAProxy requests/s ${percent(median(ratios))} (rounds: ${ratios.map(percent).join(', ')}; goal ${goal}%); ` +
        `p99 added over direct, paced: tandem ${addedOf(`tandem ${mode}`).toFixed(2)} ms, HAProxy ${addedOf(`haproxy ${mode}`).toFixed(2)} ms (goal < 1 ms); ` +
        `new connections/s: tandem/HAProxy ${percent(median(rounds.map((round) => round.get(`tandem ${mode}`)!.newConnections.requestsPerS / round.get(`haproxy ${mode}`)!.newConnections.requestsPerS)))}`,
    );
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const missing = ['wrk', 'haproxy'].filter((command) => !installed(command));
  if (missing.length > 0) {
    console.error(`missing ${missing.join(' and ')}: apt-get install wrk haproxy`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-balancer-'));
  const children: ChildProcess[] = [];
  const start = (command: string, args: string[]) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  try {
    const backends = [
      { name: 'b1', host: '127.0.0.2', port: await freePort('127.0.0.2') },
      { name: 'b2', host: '127.0.0.3', port: await freePort('127.0.0.3') },
    ];
    for (const backend of backends) await waitListening(backend.host, backend.port, start(process.execPath, ['-e', backendCode(backend.name, backend.host, backend.port)]), `backend ${backend.name}`);
    const servers = backends.map((backend) => `${backend.host}:${backend.port}`);
    const haproxyPorts = { tcp: await freePort('127.0.0.1'), http: await freePort('127.0.0.1') };
    const tandemPorts = { tcp: await freePort('127.0.0.1'), http: await freePort('127.0.0.1') };
    const haproxyFile = join(dir, 'haproxy.cfg');
    writeFileSync(haproxyFile, proxyConfig(['global', '  nbthread 1', '  maxconn 4096'], haproxyPorts, servers));
    const tandemFile = join(dir, 'tandem.cfg');
    writeFileSync(tandemFile, proxyConfig([], tandemPorts, servers));
    const haproxy = start('haproxy', ['-db', '-f', haproxyFile]);
    await waitListening('127.0.0.1', haproxyPorts.http, haproxy, 'haproxy');
    const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
    const profile = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
    const tandem = start(process.execPath, [...profile, cli, 'balancer', '--config', tandemFile]);
    await waitListening('127.0.0.1', tandemPorts.http, tandem, 'tandem balancer');
    console.log(`wrk on loopback; two Node backends; HAProxy ${execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0]!.split(' ')[2]} (nbthread 1); ${options.rounds} rounds`);
    const targets: Target[] = [
      { name: 'direct', address: servers[0]! },
      { name: 'haproxy tcp', address: `127.0.0.1:${haproxyPorts.tcp}`, pid: haproxy.pid },
      { name: 'haproxy http', address: `127.0.0.1:${haproxyPorts.http}`, pid: haproxy.pid },
      { name: 'tandem tcp', address: `127.0.0.1:${tandemPorts.tcp}`, pid: tandem.pid },
      { name: 'tandem http', address: `127.0.0.1:${tandemPorts.http}`, pid: tandem.pid },
    ];
    const scripts = writeWrkScripts(dir, options.pauseMaxMs);
    const rounds: Map<string, Measurement>[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const measured = new Map<string, Measurement>();
      for (let index = 0; index < targets.length; index += 1) {
        const target = targets[(round + index) % targets.length]!;
        const measurement = measure(target, scripts, options);
        measured.set(target.name, measurement);
        const { saturation, paced } = measurement;
        console.log(`round ${round + 1}, ${target.name}: saturation ${saturation.requestsPerS.toFixed(0)} requests/s, p99 ${saturation.p99Ms.toFixed(2)} ms; paced p99 ${paced.p99Ms.toFixed(2)} ms; ${measurement.newConnections.requestsPerS.toFixed(0)} new connections/s`);
      }
      rounds.push(measured);
    }
    printResults(targets, rounds, options);
  } finally {
    for (const child of children.reverse()) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
