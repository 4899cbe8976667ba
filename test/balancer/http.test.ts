import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { connect, createServer as createTcpServer } from 'node:net';
import { Balancer } from '../../src/balancer/balancer.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import { keepAliveClient, rawExchange, startKeepAliveBackend, startRawBackend, type HttpBackend } from './http-support.js';
import { eventually, freePort } from './support.js';

const defaults = `defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
`;

interface Setup {
  balancer: Balancer;
  port: number;
  backends: HttpBackend[];
  log: string[];
  close(): Promise<void>;
}

/** Keep-alive HTTP backends on 127.0.0.2, .3, ... and a balancer on 127.0.0.1 with `lines` in its listen section. */
async function setup(lines: string, names = ['a', 'b']): Promise<Setup> {
  const backends = await Promise.all(names.map((name, index) => startKeepAliveBackend(name, `127.0.0.${index + 2}`)));
  const servers = backends.map((backend) => `  server ${backend.name} ${backend.host}:${backend.port}`).join('\n');
  const port = await freePort();
  const log: string[] = [];
  const text = `${defaults}listen test\n  bind 127.0.0.1:${port}\n  balance roundrobin\n${lines}${servers}\n`;
  const balancer = await Balancer.start(readHaproxy(text, 'test.cfg').config, { log: (line) => log.push(line) });
  return {
    balancer,
    port,
    backends,
    log,
    close: async () => {
      await balancer.close();
      await Promise.all(backends.map((backend) => backend.close()));
    },
  };
}

const row = (balancer: Balancer, server: string) => balancer.stats().find((candidate) => candidate.pxname === 'test' && candidate.svname === server)!;

const page503 = '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n';

test('mode http balances request by request over one kept-alive client connection, bodies included', async () => {
  const { balancer, port, backends, close } = await setup('');
  const client = keepAliveClient(port);
  try {
    const answers: string[] = [];
    for (let index = 0; index < 6; index += 1) answers.push((await client.send('POST', '/upload', 'x'.repeat(index * 1000))).body);
    assert.deepEqual(answers, ['a 0', 'b 1000', 'a 2000', 'b 3000', 'a 4000', 'b 5000']);
    assert.equal(row(balancer, 'FRONTEND').stot, 1, 'the six requests came on one client connection');
    assert.deepEqual(backends.map((backend) => backend.connections), [1, 1], 'server connections are kept alive too');
  } finally {
    client.close();
    await close();
  }
});

test('option forwardfor gives the backend the client address in X-Forwarded-For', async () => {
  const { port, backends, close } = await setup('  option forwardfor\n', ['a']);
  const client = keepAliveClient(port, '127.0.0.9');
  try {
    assert.equal((await client.send('GET', '/')).status, 200);
    assert.equal(backends[0]!.lastHeaders['x-forwarded-for'], '127.0.0.9');
  } finally {
    client.close();
    await close();
  }
});

test('option http-server-close opens a server connection per request while the client keeps its own', async () => {
  const { balancer, port, backends, close } = await setup('  option http-server-close\n', ['a']);
  const client = keepAliveClient(port);
  try {
    for (let index = 0; index < 3; index += 1) assert.equal((await client.send('GET', '/')).body, 'a 0');
    assert.equal(backends[0]!.connections, 3);
    assert.equal(row(balancer, 'FRONTEND').stot, 1);
  } finally {
    client.close();
    await close();
  }
});

test('a dead server is retried then redispatched, so every request succeeds; with all servers down, HAProxy 503', async () => {
  const { balancer, port, backends, close } = await setup('  retries 1\n  option redispatch\n', ['dead', 'alive']);
  const client = keepAliveClient(port);
  try {
    await backends[0]!.close(); // listed, never checked, refuses every connection
    for (let index = 0; index < 4; index += 1) assert.deepEqual(await client.send('GET', '/'), { status: 200, body: 'alive 0' });
    const dead = row(balancer, 'dead');
    assert.ok(Number(dead.econ) >= 2 && Number(dead.wredis) >= 2, JSON.stringify(dead));
    balancer.setAdminState('test', 'alive', 'maint');
    assert.deepEqual(await client.send('GET', '/'), { status: 503, body: page503 });
  } finally {
    client.close();
    await close();
  }
});

test('timeout http-request answers a client that sends no complete request with 408 and closes', async () => {
  const { port, log, close } = await setup('  timeout http-request 300ms\n  option httplog\n', ['a']);
  try {
    const partial = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n');
    assert.match(partial.received, /^HTTP\/1\.1 408 Request Time-out\r\n/);
    assert.ok(partial.received.endsWith("<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n"), partial.received);
    assert.ok(partial.elapsedMs >= 250 && partial.elapsedMs < 3000, `closed after ${partial.elapsedMs} ms`);
    assert.match(log.at(-1)!, / test test\/<NOSRV> -1\/-1\/-1\/-1\/\d+ 408 \d+ - - cR-- .* "<BADREQ>"$/);
    const complete = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(complete.received, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n(3\r\n)?a 0/);
  } finally {
    await close();
  }
});

test('option dontlognull: a connection that never sent a byte is answered 408 but not logged; a partial request still is', async () => {
  const { port, log, close } = await setup('  timeout http-request 300ms\n  option httplog\n  option dontlognull\n', ['a']);
  try {
    const silent = await rawExchange(port, '');
    assert.match(silent.received, /^HTTP\/1\.1 408 Request Time-out\r\n/);
    assert.deepEqual(log, []);
    await rawExchange(port, 'GET / HTTP/1.1\r\n');
    assert.equal(log.length, 1);
    assert.match(log[0]!, / 408 \d+ - - cR-- .* "<BADREQ>"$/);
  } finally {
    await close();
  }
});

test('timeout server before the response gives 504, an invalid response 502, a response cut short a cut client connection', async () => {
  const silent = await startRawBackend('127.0.0.4', undefined);
  const garbled = await startRawBackend('127.0.0.5', 'garbage\r\n\r\n');
  const cut = await startRawBackend('127.0.0.6', 'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part');
  const port = await freePort();
  const servers = `  server silent 127.0.0.4:${silent.port}\n  server garbled 127.0.0.5:${garbled.port}\n  server cut 127.0.0.6:${cut.port}\n`;
  const text = `${defaults.replace('timeout server 10s', 'timeout server 300ms')}listen test\n  bind 127.0.0.1:${port}\n${servers}`;
  const balancer = await Balancer.start(readHaproxy(text, 'test.cfg').config);
  const client = keepAliveClient(port);
  try {
    const timedOut = await client.send('GET', '/');
    assert.equal(timedOut.status, 504);
    assert.equal(timedOut.body, "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n");
    const bad = await client.send('GET', '/');
    assert.equal(bad.status, 502);
    assert.equal(bad.body, '<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n');
    await assert.rejects(client.send('GET', '/'), /aborted|socket hang up|ECONNRESET/);
  } finally {
    client.close();
    await balancer.close();
    await Promise.all([silent.close(), garbled.close(), cut.close()]);
  }
});

test('option httplog logs each request in HAProxy format: client, frontend, backend/server, timers, status, bytes', async () => {
  const { port, log, close } = await setup('  option httplog\n', ['a']);
  const client = keepAliveClient(port);
  try {
    await client.send('GET', '/hello?x=1');
    await client.send('GET', '/again');
    assert.equal(log.length, 2, log.join('\n'));
    const pattern = /^127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] test test\/a \d+\/\d+\/\d+\/\d+\/\d+ 200 (\d+) - - ---- 1\/1\/\d+\/\d+\/0 0\/0 "GET \/hello\?x=1 HTTP\/1\.1"$/;
    const match = pattern.exec(log[0]!);
    assert.ok(match, log[0]);
    assert.ok(Number(match[1]) > 'a 0'.length, 'bytes count the headers too');
    assert.match(log[1]!, /"GET \/again HTTP\/1\.1"$/);
  } finally {
    client.close();
    await close();
  }
});

test("option httplog: a kept-alive request's timers and date start at its first byte, not at the idle time before it (HAProxy's Ti)", async () => {
  const { port, log, close } = await setup('  option httplog\n', ['a']);
  const client = keepAliveClient(port);
  const idleMs = 1500;
  try {
    await client.send('GET', '/first');
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const sentMs = Date.now();
    await client.send('GET', '/second');
    assert.equal(log.length, 2, log.join('\n'));
    const portOf = (line: string) => /^127\.0\.0\.1:(\d+) /.exec(line)?.[1];
    assert.equal(portOf(log[1]!), portOf(log[0]!), 'both requests came on one kept-alive connection');
    const match = /\[\d\d\/\w{3}\/\d{4}:(\d\d):(\d\d):(\d\d)\.(\d{3})\] test test\/a (\d+)\/\d+\/\d+\/\d+\/(\d+) 200 .*"GET \/second HTTP\/1\.1"$/.exec(log[1]!);
    assert.ok(match, log[1]);
    const [hours, minutes, seconds, ms, requestTimeMs, activeMs] = match.slice(1).map(Number) as number[];
    assert.ok(requestTimeMs! < idleMs && activeMs! < idleMs, `TR ${requestTimeMs} and Ta ${activeMs} leave out the ${idleMs} ms idle: ${log[1]}`);
    const sent = new Date(sentMs);
    const loggedMs = sent.setHours(hours!, minutes!, seconds!, ms!);
    assert.ok(loggedMs >= sentMs - idleMs / 2, `the date is the request's (${log[1]}), not the previous response's`);
  } finally {
    client.close();
    await close();
  }
});

test('a mode tcp frontend with a mode http backend is refused, naming the proxy', async () => {
  const text = `defaults\n  mode http\nfrontend web\n  mode tcp\n  bind 127.0.0.1:1\n  default_backend app\nbackend app\n  server a 127.0.0.2:1\n`;
  await assert.rejects(Balancer.start(readHaproxy(text, 'test.cfg').config), /frontend 'web': mode tcp with backend 'app' in mode http/);
});

test('the stats count the bytes of a response still on its way, not only of finished ones', async () => {
  const half = 'x'.repeat(50_000);
  const slow = createTcpServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${2 * half.length}\r\n\r\n${half}`));
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.4', resolve));
  const port = await freePort();
  const balancer = await Balancer.start(readHaproxy(`${defaults}listen test\n  bind 127.0.0.1:${port}\n  server slow 127.0.0.4:${(slow.address() as { port: number }).port}\n`, 'test.cfg').config);
  const client = connect({ host: '127.0.0.1', port });
  try {
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually('half the body to reach the client', () => received > half.length);
    // The response is not over (half its body is still to come), yet its bytes are counted.
    assert.ok(row(balancer, 'slow').bout > half.length, `bout ${row(balancer, 'slow').bout}`);
    assert.ok(row(balancer, 'slow').bin > 0, 'the request went to the server');
    assert.equal(row(balancer, 'slow').scur, 1, 'still in progress');
  } finally {
    client.destroy();
    await balancer.close();
    slow.close();
  }
});
