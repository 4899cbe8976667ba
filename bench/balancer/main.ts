// bench/balancer: requests/s and latency of a small fixed HTTP response on loopback, measured
// by wrk, for the same two Node backends reached directly, through HAProxy (Debian's binary,
// tcp and http mode) and through tandem's balancer (`tandem balancer`, tcp and http mode),
// all in one run, with the ratios the issue asks for:
//
//   node dist/bench/balancer/main.js [--duration-s 10] [--connections 50] [--cpu-prof-dir DIR]
//
// Every process it starts (backends, HAProxy in the foreground, tandem) is its own child,
// ended by PID at the end. Each target gets an unmeasured 1 s of wrk first, so that both
// balancers (and Node's JIT) are warm. HAProxy runs one thread, as tandem's balancer does.
// On a shared machine the proxies compete with wrk and the backends for CPU, so the CPU each
// proxy spends per request is printed too: it is what bounds its requests/s.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Options {
  durationS: number;
  connections: number;
  cpuProfDir?: string;
}

interface Measurement {
  target: string;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time (user + system) the proxy process spent per request; undefined for direct. */
  cpuUsPerRequest?: number;
  errors: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { durationS: 10, connections: 50 };
  for (let index = 0; index < argv.length; index += 2) {
    const [flag, value] = [argv[index], argv[index + 1]];
    if (value === undefined) throw new Error(`${flag}: missing value`);
    if (flag === '--duration-s') options.durationS = Number(value);
    else if (flag === '--connections') options.connections = Number(value);
    else if (flag === '--cpu-prof-dir') options.cpuProfDir = value;
    else throw new Error(`unknown option ${flag}: expected --duration-s N, --connections N, --cpu-prof-dir DIR`);
  }
  if (!(Number.isInteger(options.durationS) && options.durationS >= 1 && options.durationS <= 300)) throw new Error('--duration-s: expected 1 to 300');
  if (!(Number.isInteger(options.connections) && options.connections >= 1 && options.connections <= 10_000)) throw new Error('--connections: expected 1 to 10000');
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

const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

function parseWrk(target: string, output: string): Measurement {
  const latency = (percent: string) => {
    const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    if (!match) throw new Error(`wrk printed no ${percent}% latency for ${target}:\n${output}`);
    return Number(match[1]) * unitMs[match[2]!]!;
  };
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  if (!rate) throw new Error(`wrk printed no Requests/sec for ${target}:\n${output}`);
  const errors = [/Socket errors:.*$/m.exec(output)?.[0], /Non-2xx or 3xx responses:.*$/m.exec(output)?.[0]].filter(Boolean).join('; ');
  return { target, requestsPerS: Number(rate[1]), p50Ms: latency('50'), p99Ms: latency('99'), errors };
}

function wrk(url: string, durationS: number, connections: number): string {
  return execFileSync('wrk', ['-t', '1', '-c', String(connections), '-d', `${durationS}s`, '--latency', url], { encoding: 'utf8' });
}

const clockTicksPerS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** User + system CPU seconds of a process so far (/proc/PID/stat fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerS;
}

/** wrk against `address`; with `proxyPid`, also the CPU that process spent per request (what bounds a proxy when the machine is shared). */
function measure(target: string, address: string, options: Options, proxyPid?: number): Measurement {
  const url = `http://${address}/`;
  wrk(url, 1, options.connections); // warm-up, not measured
  const cpuBefore = proxyPid === undefined ? 0 : cpuSeconds(proxyPid);
  const result = parseWrk(target, wrk(url, options.durationS, options.connections));
  if (proxyPid !== undefined) result.cpuUsPerRequest = ((cpuSeconds(proxyPid) - cpuBefore) * 1e6) / (result.requestsPerS * options.durationS);
  return result;
}

function printTable(results: Measurement[]): void {
  const byTarget = new Map(results.map((result) => [result.target, result]));
  const direct = byTarget.get('direct')!;
  console.log(`${'target'.padEnd(14)}${'requests/s'.padStart(12)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'p99 added'.padStart(11)}${'proxy CPU us/req'.padStart(18)}  errors`);
  for (const result of results) {
    const added = result.target === 'direct' ? '' : (result.p99Ms - direct.p99Ms).toFixed(2);
    const cpu = result.cpuUsPerRequest === undefined ? '' : result.cpuUsPerRequest.toFixed(1);
    console.log(`${result.target.padEnd(14)}${result.requestsPerS.toFixed(0).padStart(12)}${result.p50Ms.toFixed(2).padStart(10)}${result.p99Ms.toFixed(2).padStart(10)}${added.padStart(11)}${cpu.padStart(18)}  ${result.errors || '-'}`);
  }
  for (const mode of ['tcp', 'http']) {
    const tandem = byTarget.get(`tandem ${mode}`)!;
    const haproxy = byTarget.get(`haproxy ${mode}`)!;
    const goal = mode === 'tcp' ? 80 : 60;
    const ratio = (100 * tandem.requestsPerS) / haproxy.requestsPerS;
    console.log(`${mode}: tandem/HAProxy requests/s ${ratio.toFixed(0)}% (goal ${goal}%); p99 added over direct: tandem ${(tandem.p99Ms - direct.p99Ms).toFixed(2)} ms, HAProxy ${(haproxy.p99Ms - direct.p99Ms).toFixed(2)} ms (goal < 1 ms)`);
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
    console.log(`wrk -t 1 -c ${options.connections} -d ${options.durationS}s on loopback; two Node backends; HAProxy ${execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0]!.split(' ')[2]} (nbthread 1)`);
    const results = [
      measure('direct', servers[0]!, options),
      measure('haproxy tcp', `127.0.0.1:${haproxyPorts.tcp}`, options, haproxy.pid),
      measure('haproxy http', `127.0.0.1:${haproxyPorts.http}`, options, haproxy.pid),
      measure('tandem tcp', `127.0.0.1:${tandemPorts.tcp}`, options, tandem.pid),
      measure('tandem http', `127.0.0.1:${tandemPorts.http}`, options, tandem.pid),
    ];
    printTable(results);
  } finally {
    for (const child of children.reverse()) await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
