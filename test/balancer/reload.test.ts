import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Balancer } from '../../src/balancer/balancer.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import { startKeepAliveBackend } from './http-support.js';
import { startTandem } from './process-support.js';
import { eventually, freePort, openClient, startNamedBackend, tally, whoAnswers, type Backend } from './support.js';

const tcpDefaults = `defaults
  mode tcp
  timeout connect 1s
  timeout client 10s
  timeout server 10s
`;

const httpDefaults = tcpDefaults.replace('mode tcp', 'mode http');

const serverLines = (backends: Backend[], options = '') => backends.map((backend) => `  server ${backend.name} ${backend.host}:${backend.port} ${options}`).join('\n');

const listen = (name: string, port: number, servers: string, extra = '') => `listen ${name}\n  bind 127.0.0.1:${port}\n  balance roundrobin\n${extra}${servers}\n`;

const parse = (text: string) => {
  const read = readHaproxy(text, 'test.cfg');
  return { config: read.config, positions: read.proxyPositions };
};

/** Writes `text` on the socket and resolves once it comes back (the named backends echo). */
function echoes(socket: Socket, text: string, limitMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = '';
    const timer = setTimeout(() => reject(new Error(`no echo of ${text} within ${limitMs} ms`)), limitMs);
    const onData = (chunk: string | Buffer) => {
      received += String(chunk);
      if (!received.includes(text)) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.write(`${text}\n`);
  });
}

/** Connects and resolves with the refusal's error code, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** The body of a chunked HTTP/1.1 response, once all of it is in `rest` (what follows the headers). */
function chunkedBody(rest: string): string | undefined {
  let body = '';
  let at = 0;
  while (at < rest.length) {
    const lineEnd = rest.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(rest.slice(at, lineEnd), 16);
    if (size === 0) return rest.endsWith('\r\n\r\n') ? body : undefined;
    if (rest.length < lineEnd + 2 + size + 2) return undefined;
    body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return undefined;
}

/** Sends one GET on an open socket and resolves with the response's body (the backends answer chunked). */
function getOnSocket(socket: Socket, path: string, limitMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const timer = setTimeout(() => reject(new Error(`no response to GET ${path} within ${limitMs} ms: ${JSON.stringify(received)}`)), limitMs);
    const onData = (chunk: string | Buffer) => {
      received += String(chunk);
      const headerEnd = received.indexOf('\r\n\r\n');
      const body = headerEnd < 0 ? undefined : chunkedBody(received.slice(headerEnd + 4));
      if (body === undefined) return;
      clearTimeout(timer);
      socket.off('data', onData);
      resolve(body);
    };
    socket.on('data', onData);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

test('a reload keeps a long-lived tcp connection, refuses no new connection meanwhile, and new connections follow the new servers', async () => {
  const [a, b] = await Promise.all([startNamedBackend('a', '127.0.0.2'), startNamedBackend('b', '127.0.0.3')]);
  const port = await freePort();
  const onlyA = parse(`${tcpDefaults}${listen('test', port, serverLines([a!]))}`);
  const onlyB = parse(`${tcpDefaults}${listen('test', port, serverLines([b!]))}`);
  const balancer = await Balancer.start(onlyA.config);
  const held = openClient(port);
  try {
    assert.equal(await held.firstLine, 'a');
    // Connections made one after another for as long as the reloads go on: every one must be answered.
    const load = tally(port, 40);
    for (let round = 0; round < 6; round += 1) {
      const next = round % 2 === 0 ? onlyB : onlyA;
      const summary = await balancer.reload(next.config, next.positions);
      assert.deepEqual(summary, { kept: [`127.0.0.1:${port}`], opened: [], closed: [] });
    }
    const answered = await load;
    assert.equal([...answered.values()].reduce((sum, count) => sum + count, 0), 40);
    await balancer.reload(onlyB.config);
    assert.deepEqual(Object.fromEntries(await tally(port, 4)), { b: 4 });
    await echoes(held.socket, 'still connected to a');
  } finally {
    held.socket.destroy();
    await balancer.close();
    await Promise.all([a!.close(), b!.close()]);
  }
});

test('server state carries over a reload: admin state, the cluster verdict, a failed check; a changed `disabled` keyword wins; counters restart', async () => {
  const backends = await Promise.all(['drained', 'lost', 'dead', 'enabled', 'disabled'].map((name, index) => startNamedBackend(name, `127.0.0.${index + 2}`)));
  const [drained, lost, dead, enabled, disabled] = backends as [Backend, Backend, Backend, Backend, Backend];
  const port = await freePort();
  const checked = 'check inter 100 rise 2 fall 2';
  const servers = (disabledNow: boolean) =>
    [
      `  server drained ${drained.host}:${drained.port} ${checked}`,
      `  server lost ${lost.host}:${lost.port} ${checked}`,
      `  server dead ${dead.host}:${dead.port} ${checked}`,
      `  server enabled ${enabled.host}:${enabled.port} ${checked} disabled`,
      `  server disabled ${disabled.host}:${disabled.port} ${checked}${disabledNow ? ' disabled' : ''}`,
    ].join('\n');
  const before = parse(`${tcpDefaults}${listen('test', port, servers(false))}`);
  const after = parse(`${tcpDefaults}${listen('test', port, servers(true))}`);
  const balancer = await Balancer.start(before.config);
  const status = (server: string) => balancer.stats().find((row) => row.svname === server)?.status;
  try {
    await tally(port, 4);
    balancer.setAdminState('test', 'drained', 'drain');
    balancer.setClusterState('test', 'lost', 'down');
    balancer.setAdminState('test', 'enabled', 'ready'); // `disabled` in the file, enabled at run time
    await dead.close();
    await eventually('dead is DOWN', () => status('dead') === 'DOWN', 5000);
    await balancer.reload(after.config);
    assert.deepEqual(
      ['drained', 'lost', 'dead', 'enabled', 'disabled'].map(status),
      ['DRAIN', 'DOWN (cluster)', 'DOWN', 'UP', 'MAINT'],
    );
    assert.equal(balancer.stats().find((row) => row.svname === 'FRONTEND')?.stot, 0, 'counters start again after a reload');
    assert.deepEqual(Object.fromEntries(await tally(port, 2)), { enabled: 2 });
  } finally {
    await balancer.close();
    await Promise.all(backends.map((backend) => backend.close()));
  }
});

test('a reload that cannot be served changes nothing: the error says where, the old configuration keeps serving', async () => {
  const a = await startNamedBackend('a', '127.0.0.2');
  const busy = await startNamedBackend('busy', '127.0.0.1');
  const [port, fresh] = [await freePort(), await freePort()];
  const balancer = await Balancer.start(parse(`${tcpDefaults}${listen('test', port, serverLines([a]))}`).config);
  try {
    const unsupported = parse(`${tcpDefaults}${listen('test', port, serverLines([a]))}listen other\n  bind 127.0.0.1:${fresh}\n  balance uri\n${serverLines([a])}\n`);
    await assert.rejects(balancer.reload(unsupported.config, unsupported.positions), /^InputError: test\.cfg:10:8: listen 'other': balance uri is not implemented/);
    const portTaken = parse(`${tcpDefaults}${listen('test', port, serverLines([a]))}${listen('fresh', fresh, serverLines([a]))}${listen('taken', busy.port, serverLines([a]))}`);
    await assert.rejects(balancer.reload(portTaken.config), new RegExp(`taken: cannot listen on 127\\.0\\.0\\.1:${busy.port}`));
    assert.equal(await tryConnect(fresh), 'ECONNREFUSED', 'a bind opened by the failed reload was left open');
    assert.equal(await whoAnswers(port), 'a');
    assert.equal(await whoAnswers(busy.port), 'busy');
  } finally {
    await balancer.close();
    await Promise.all([a.close(), busy.close()]);
  }
});

test('a connection waiting for a frontend slot at a reload is served by the new configuration', async () => {
  const a = await startNamedBackend('a', '127.0.0.2');
  const port = await freePort();
  const withMaxconn = (maxconn: number) => parse(`${tcpDefaults}${listen('test', port, serverLines([a]), `  maxconn ${maxconn}\n  timeout queue 10s\n`)}`).config;
  const balancer = await Balancer.start(withMaxconn(1));
  const first = openClient(port);
  const second = openClient(port);
  try {
    assert.equal(await first.firstLine, 'a');
    await eventually('the second client waits', () => balancer.stats().find((row) => row.svname === 'FRONTEND')?.qcur === 1, 5000);
    await balancer.reload(withMaxconn(2));
    assert.equal(await second.firstLine, 'a');
    assert.equal(first.socket.destroyed, false);
  } finally {
    first.socket.destroy();
    second.socket.destroy();
    await balancer.close();
    await a.close();
  }
});

test('mode http: a kept-alive client connection goes on through a reload, its next request served by the new configuration', async () => {
  const [a, b] = await Promise.all([startKeepAliveBackend('a', '127.0.0.2'), startKeepAliveBackend('b', '127.0.0.3')]);
  const port = await freePort();
  const balancer = await Balancer.start(parse(`${httpDefaults}${listen('test', port, serverLines([a!]))}`).config);
  const socket = await openSocket(port);
  let closed = false;
  socket.once('close', () => (closed = true));
  try {
    assert.equal(await getOnSocket(socket, '/before'), 'a 0');
    await balancer.reload(parse(`${httpDefaults}${listen('test', port, serverLines([b!]))}`).config);
    assert.equal(await getOnSocket(socket, '/after'), 'b 0');
    assert.equal(closed, false, 'the client connection was closed');
  } finally {
    socket.destroy();
    await balancer.close();
    await Promise.all([a!.close(), b!.close()]);
  }
});

test('mode http: when a frontend is gone after a reload, its idle kept-alive connection closes and its bind stops listening', async () => {
  const a = await startKeepAliveBackend('a', '127.0.0.2');
  const [port, other] = [await freePort(), await freePort()];
  const balancer = await Balancer.start(parse(`${httpDefaults}${listen('test', port, serverLines([a]))}`).config);
  const socket = await openSocket(port);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    assert.equal(await getOnSocket(socket, '/'), 'a 0');
    const summary = await balancer.reload(parse(`${httpDefaults}${listen('other', other, serverLines([a]))}`).config);
    assert.deepEqual(summary, { kept: [], opened: [`127.0.0.1:${other}`], closed: [`127.0.0.1:${port}`] });
    await closed;
    assert.equal(await tryConnect(port), 'ECONNREFUSED');
  } finally {
    socket.destroy();
    await balancer.close();
    await a.close();
  }
});

test('tandem balancer reloads its file on SIGHUP; a bad file is reported with file:line and changes nothing', async () => {
  const [a, b] = await Promise.all([startNamedBackend('a', '127.0.0.2'), startNamedBackend('b', '127.0.0.3')]);
  const [port, added] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'tandem-reload-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, `${tcpDefaults}${listen('test', port, serverLines([a!]))}`);
  const balancer = startTandem(['balancer', '--config', file]);
  let held: ReturnType<typeof openClient> | undefined;
  try {
    await balancer.waitForLine(/^balancing 1 proxies/);
    held = openClient(port);
    assert.equal(await held.firstLine, 'a');
    writeFileSync(file, `${tcpDefaults}${listen('test', port, serverLines([b!]))}${listen('added', added, serverLines([b!]))}`);
    process.kill(balancer.child.pid!, 'SIGHUP');
    const reloaded = await balancer.waitForLine(/^SIGHUP: reloaded/);
    assert.equal(reloaded, `SIGHUP: reloaded ${file}: 2 proxies; binds kept: 127.0.0.1:${port}; opened: 127.0.0.1:${added}; closed: none`);
    assert.equal(await whoAnswers(port), 'b');
    assert.equal(await whoAnswers(added), 'b');
    await echoes(held.socket, 'still connected to a');
    writeFileSync(file, `${tcpDefaults}listen test\n  bind 127.0.0.1:${port}\n  balanse roundrobin\n`);
    process.kill(balancer.child.pid!, 'SIGHUP');
    const refused = await balancer.waitForLine(/^SIGHUP: .*still serving/);
    assert.match(refused, new RegExp(`^SIGHUP: ${file.replaceAll('.', '\\.')}:8:3: `));
    assert.equal(await whoAnswers(added), 'b');
    assert.equal(await balancer.stop(), 0);
    assert.ok(!balancer.lines.some((line) => line.includes('    at ')), 'no stack trace');
  } finally {
    held?.socket.destroy();
    await balancer.stop();
    await Promise.all([a!.close(), b!.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
