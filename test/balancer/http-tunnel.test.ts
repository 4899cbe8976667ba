// Protocol upgrades and CONNECT through a mode http balancer, against Node's HTTP server as the
// real backend ('upgrade' and 'connect' events) and raw sockets as the client: a 101 or a
// CONNECT's 2xx makes the connection a tunnel (bytes both ways, backpressure, half-close,
// `timeout tunnel`), anything else leaves it HTTP and the connection goes on.

import { strict as assert } from 'node:assert';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { Balancer } from '../../src/balancer/balancer.js';
import { httpDefaults, RawClient, startBalancer, startKeepAliveBackend } from './http-support.js';
import { eventually, startNamedBackend } from './support.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TunnelBackend {
  host: string;
  port: number;
  /** Headers of the last upgrade or CONNECT request. */
  lastHeaders: IncomingHttpHeaders;
  close(): Promise<void>;
}

/** Echoes what comes; after the client's FIN, says `bye N` (N: bytes it echoed) and ends: a half-close in both directions. */
function echoUntilEnd(socket: Socket, head: Buffer): void {
  let echoed = head.length;
  if (head.length > 0) socket.write(head);
  socket.on('data', (chunk: Buffer) => {
    echoed += chunk.length;
    socket.write(chunk);
  });
  socket.on('end', () => socket.end(`bye ${echoed}`));
}

/**
 * Node's HTTP server: plain requests get `plain URL`; an upgrade to /refuse gets 400, any other
 * a 101 and an echo; CONNECT 127.0.0.5:443 gets 200 and an echo, any other target 403.
 */
async function startTunnelBackend(host: string): Promise<TunnelBackend> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const body = `plain ${req.url}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body);
  });
  const backend: TunnelBackend = { host, port: 0, lastHeaders: {}, close: () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }) };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    backend.lastHeaders = req.headers;
    if (req.url === '/refuse') return void socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrefused');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\n\r\n`);
    echoUntilEnd(socket, head);
  });
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    backend.lastHeaders = req.headers;
    if (req.url !== '127.0.0.5:443') return void socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden');
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    echoUntilEnd(socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve());
  });
  backend.port = (server.address() as { port: number }).port;
  return backend;
}

const upgradeRequest = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

const headOf = (received: string) => received.slice(0, received.indexOf('\r\n\r\n') + 4);

/** The httplog line of the request `requestLine`, once the balancer wrote it. */
async function logLineOf(log: string[], requestLine: string): Promise<string> {
  await eventually(`a log line for ${requestLine}`, () => log.some((line) => line.endsWith(`"${requestLine}"`)));
  return log.find((line) => line.endsWith(`"${requestLine}"`))!;
}

interface Through<B> {
  client: RawClient;
  backend: B;
  port: number;
  /** The httplog lines. */
  log: string[];
}

/** Runs `check` with a raw client through a balancer (`option httplog`, after `defaults`) in front of `backend`; ends all three after, whatever happens. */
async function throughBalancer<B extends { host: string; port: number; close(): Promise<void> }>(backend: B, defaults: string, check: (through: Through<B>) => Promise<void>): Promise<void> {
  const log: string[] = [];
  let balancer: Balancer | undefined;
  let client: RawClient | undefined;
  try {
    const started = await startBalancer([backend], '  option httplog\n', log, defaults);
    balancer = started.balancer;
    client = await RawClient.open(started.port);
    await check({ client, backend, port: started.port, log });
  } finally {
    client?.destroy();
    await balancer?.close();
    await backend.close();
  }
}

test('a WebSocket upgrade through mode http: the 101 is forwarded, then bytes echo both ways under backpressure, a half-close goes through, and the log shows 101 and every byte', async () => {
  await throughBalancer(await startTunnelBackend('127.0.0.2'), httpDefaults, async ({ client, backend, log }) => {
    client.write(upgradeRequest('/chat'));
    await client.until('the 101 head', (received) => received.includes('\r\n\r\n'));
    const head = headOf(client.received);
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(head, /\r\nUpgrade: websocket\r\n/);
    assert.match(head, /\r\nConnection: upgrade\r\n/);
    assert.equal(backend.lastHeaders.connection, 'upgrade', 'the server was asked to switch');
    assert.equal(backend.lastHeaders.upgrade, 'websocket');
    assert.equal(backend.lastHeaders['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==');

    client.write('ping');
    await client.until('the echo of ping', (received) => received === `${head}ping`);
    // Far more than the sockets' buffers hold: both directions back up and must pause and resume.
    const bulk = Array.from({ length: 64 * 1024 }, (_, index) => `${index % 10}`.repeat(32)).join('');
    client.write(bulk);
    await client.until('the echo of 2 MiB', (received) => received.length >= head.length + 4 + bulk.length, 30_000);
    assert.ok(client.received === `${head}ping${bulk}`, 'the bulk came back whole and in order');

    client.end(); // the server answers the FIN with its own last bytes: the other direction stays open
    await client.until('the server’s last words and its close', (_received, closed) => closed);
    const echoed = 4 + bulk.length;
    assert.equal(client.received, `${head}ping${bulk}bye ${echoed}`);

    const line = await logLineOf(log, 'GET /chat HTTP/1.1');
    const [, status, bytes, termination] = / (\d{3}) (\d+) - - (\S{4}) /.exec(line) ?? [];
    assert.equal(status, '101', line);
    assert.equal(Number(bytes), client.received.length, 'the bytes sent to the client, tunnel included');
    assert.equal(termination, '----', 'both sides closed cleanly');
  });
});

test('a client resetting its tunnel takes the server side with it: logged as CD once both are closed', async () => {
  await throughBalancer(await startTunnelBackend('127.0.0.2'), httpDefaults, async ({ client, log }) => {
    client.write(upgradeRequest('/reset'));
    await client.until('the 101 head', (received) => received.includes('\r\n\r\n'));
    client.write('ping');
    await client.until('the echo', (received) => received.endsWith('ping'));
    client.reset();
    // The line is written only once the server connection closed too.
    assert.match(await logLineOf(log, 'GET /reset HTTP/1.1'), / 101 \d+ - - CD-- /);
  });
});

test('timeout tunnel replaces timeout server once upgraded: the tunnel outlives timeout server', async () => {
  await throughBalancer(await startTunnelBackend('127.0.0.2'), httpDefaults.replace('timeout server 10s', 'timeout server 1s\n  timeout tunnel 60s'), async ({ client }) => {
    client.write(upgradeRequest('/quiet'));
    await client.until('the 101 head', (received) => received.includes('\r\n\r\n'));
    await delay(2500); // idle well past timeout server
    assert.equal(client.closed, false, 'the tunnel is still open');
    client.write('still there?');
    await client.until('the echo after the silence', (received) => received.endsWith('still there?'));
  });
});

test('without timeout tunnel, an idle tunnel ends on timeout server, logged as sD', async () => {
  await throughBalancer(await startTunnelBackend('127.0.0.2'), httpDefaults.replace('timeout server 10s', 'timeout server 1s'), async ({ client, log }) => {
    client.write(upgradeRequest('/idle'));
    await client.until('the 101 head', (received) => received.includes('\r\n\r\n'));
    await client.until('the balancer closing the idle tunnel', (_received, closed) => closed, 15_000);
    const line = await logLineOf(log, 'GET /idle HTTP/1.1');
    assert.match(line, / 101 \d+ - - sD-- /);
  });
});

test('an upgrade the server does not take (no 101) stays HTTP: a body is framed, the client and server connections serve the next request', async () => {
  await throughBalancer(await startKeepAliveBackend('a', '127.0.0.2'), httpDefaults, async ({ client, backend }) => {
    client.write('POST /form HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello');
    await client.until('the answer to the upgrade request', (received) => received.endsWith('a 5\r\n0\r\n\r\n')); // chunked
    assert.equal(backend.lastHeaders.upgrade, 'websocket', 'the upgrade was asked for');
    assert.doesNotMatch(client.received, /^HTTP\/1\.1 101/);
    client.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until('the answer to the next request', (received) => received.endsWith('a 0\r\n0\r\n\r\n'));
    assert.equal(client.received.match(/HTTP\/1\.1 200 OK\r\n/g)?.length, 2);
    assert.equal(client.closed, false);
    assert.equal(backend.connections, 1, 'the server connection stayed in step and was reused');
  });
});

test('a server refusing the upgrade (400) is forwarded as it is, and the client connection goes on', async () => {
  await throughBalancer(await startTunnelBackend('127.0.0.2'), httpDefaults, async ({ client }) => {
    client.write(upgradeRequest('/refuse'));
    await client.until('the refusal', (received) => received.endsWith('refused'));
    assert.match(client.received, /^HTTP\/1\.1 400 Bad Request\r\nContent-Length: 7\r\n\r\nrefused$/);
    client.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until('the next answer', (received) => received.endsWith('plain /after'));
  });
});

test('CONNECT goes to the server like any request: its 200 makes a tunnel, a refusal leaves the connection HTTP', async () => {
  await throughBalancer(await startTunnelBackend('127.0.0.2'), httpDefaults, async ({ client, backend, port, log }) => {
    const refused = await RawClient.open(port);
    refused.write('CONNECT 127.0.0.6:443 HTTP/1.1\r\nHost: 127.0.0.6:443\r\n\r\n');
    await refused.until('the 403', (received) => received.endsWith('forbidden'));
    assert.match(refused.received, /^HTTP\/1\.1 403 Forbidden\r\n/);
    refused.write('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    await refused.until('the next answer', (received) => received.endsWith('plain /after'));
    refused.destroy();

    client.write('CONNECT 127.0.0.5:443 HTTP/1.1\r\nHost: 127.0.0.5:443\r\n\r\n');
    await client.until('the 200', (received) => received.includes('\r\n\r\n'));
    const head = headOf(client.received);
    assert.equal(head, 'HTTP/1.1 200 Connection Established\r\n\r\n');
    assert.equal(backend.lastHeaders.host, '127.0.0.5:443');
    client.write('GET / HTTP/1.1\r\n\r\n'); // not HTTP to the balancer any more: raw bytes for the tunnel
    await client.until('the echo', (received) => received === `${head}GET / HTTP/1.1\r\n\r\n`);
    client.end();
    await client.until('the close', (_received, closed) => closed);
    const line = await logLineOf(log, 'CONNECT 127.0.0.5:443 HTTP/1.1');
    assert.match(line, / 200 \d+ - - ---- /);
  });
});

test('mode tcp: timeout tunnel replaces timeout server once connected', async () => {
  await throughBalancer(await startNamedBackend('echo', '127.0.0.2'), 'defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n  timeout tunnel 60s\n', async ({ client }) => {
    await client.until('the backend saying its name', (received) => received === 'echo\n');
    await delay(2500); // idle well past timeout client and timeout server
    client.write('still there?\n');
    await client.until('the echo after the silence', (received) => received.endsWith('still there?\n'));
  });
});
