// Mode http message framing through the balancer, byte by byte on raw sockets: chunked bodies
// split across reads, pipelining, bodiless responses, 100-continue, requests refused as
// smuggling attempts, close-delimited responses, and large bodies under backpressure.

import { strict as assert } from 'node:assert';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { RawClient, rawExchange, startBalancer, startKeepAliveBackend } from './http-support.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function listenOn(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve((server.address() as { port: number }).port));
  });
}

/** A TCP server on `host` handing each connection to `handle`; `close` ends them all. */
async function startTcpBackend(host: string, handle: (socket: Socket) => void): Promise<{ host: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    handle(socket);
  });
  const port = await listenOn(server, host);
  return {
    host,
    port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Calls `answer` with each request head a connection sends (requests without body only). */
function onEachHead(socket: Socket, answer: (head: string) => void): void {
  let pending = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    for (let index = 0; index < 100; index += 1) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = pending.slice(0, end + 4);
      pending = pending.slice(end + 4);
      answer(head);
    }
  });
}

interface Parsed {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** The complete responses at the start of `text` (`heads[i]`: the i-th answers a HEAD); undefined until all `heads.length` are there. */
function parseResponses(text: string, heads: boolean[]): Parsed[] | undefined {
  const responses: Parsed[] = [];
  let at = 0;
  for (let index = 0; index < heads.length; index += 1) {
    let status = 0;
    let headers = new Map<string, string>();
    // Interim 1xx responses are skipped (at most a few).
    for (let interim = 0; interim < 5; interim += 1) {
      const end = text.indexOf('\r\n\r\n', at);
      if (end < 0) return undefined;
      const lines = text.slice(at, end).split('\r\n');
      status = Number(lines[0]!.split(' ')[1]);
      headers = new Map(lines.slice(1).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      at = end + 4;
      if (status >= 200) break;
    }
    let body = '';
    if (heads[index] || status === 204 || status === 304) {
      body = '';
    } else if (headers.get('transfer-encoding') === 'chunked') {
      for (let chunk = 0; ; chunk += 1) {
        if (chunk > 10_000) throw new Error('too many chunks');
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd < 0) return undefined;
        const size = parseInt(text.slice(at, lineEnd), 16);
        if (text.length < lineEnd + 2 + size + 2) return undefined;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
    } else {
      const length = Number(headers.get('content-length') ?? 0);
      if (text.length < at + length) return undefined;
      body = text.slice(at, at + length);
      at += length;
    }
    responses.push({ status, headers, body });
  }
  return responses;
}

async function responsesOn(client: RawClient, heads: boolean[]): Promise<Parsed[]> {
  await client.until(`${heads.length} responses`, (received) => parseResponses(received, heads) !== undefined);
  return parseResponses(client.received, heads)!;
}

test('a chunked request body split across reads reaches the server whole, a chunked response split across reads comes back whole, and the connection goes on', async () => {
  const backend = await startKeepAliveBackend('a', '127.0.0.2');
  const pieces = ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwi', 'ki\r\n5;ext=1\r\npedia\r', '\n0\r\nX-Trailer: yes\r', '\n\r\n'];
  const chunkedServer = await startTcpBackend('127.0.0.3', (socket) =>
    onEachHead(socket, async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await delay(15);
      }
    }),
  );
  const { balancer, port } = await startBalancer([backend]);
  const second = await startBalancer([chunkedServer]);
  const client = await RawClient.open(port);
  const other = await RawClient.open(second.port);
  try {
    for (const piece of ['POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 'lo\r\n1', '0\r\n0123456789abcdef\r\n0\r', '\n\r\n']) {
      client.write(piece);
      await delay(15);
    }
    const [first] = await responsesOn(client, [false]);
    assert.equal(first!.body, 'a 21');
    client.write('GET /again HTTP/1.1\r\nHost: x\r\n\r\n');
    const [, again] = await responsesOn(client, [false, false]);
    assert.equal(again!.body, 'a 0');
    assert.equal(backend.connections, 1, 'the server connection was back in step, and kept');
    other.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await other.until('the chunked response', (received) => received.endsWith('0\r\nX-Trailer: yes\r\n\r\n'));
    assert.match(other.received, /\r\n\r\n4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: yes\r\n\r\n$/, 'the chunks as the server sent them');
    other.write('GET /again HTTP/1.1\r\nHost: x\r\n\r\n');
    const both = await responsesOn(other, [false, false]);
    assert.deepEqual(both.map((response) => response.body), ['wikipedia', 'wikipedia']);
  } finally {
    client.destroy();
    other.destroy();
    await balancer.close();
    await second.balancer.close();
    await Promise.all([backend.close(), chunkedServer.close()]);
  }
});

test('pipelined requests in one write are served in order, each by its own server, bodies included', async () => {
  const backends = await Promise.all([startKeepAliveBackend('a', '127.0.0.2'), startKeepAliveBackend('b', '127.0.0.3')]);
  const { balancer, port } = await startBalancer(backends);
  const client = await RawClient.open(port);
  try {
    client.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /3 HTTP/1.1\r\nHost: x\r\n\r\nPOST /4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    const responses = await responsesOn(client, [false, false, false, false]);
    assert.deepEqual(
      responses.map((response) => response.body),
      ['a 0', 'b 5', 'a 0', 'b 3'],
    );
  } finally {
    client.destroy();
    await balancer.close();
    await Promise.all(backends.map((backend) => backend.close()));
  }
});

test('no body is read after a HEAD, a 204 or a 304, whatever their headers say; a 100-continue comes before the final response', async () => {
  const server = createHttpServer((request, response) => {
    if (request.url === '/204') return void response.writeHead(204).end();
    if (request.url === '/304') return void response.writeHead(304, { 'content-length': '5' }).end();
    let length = 0;
    request.on('data', (chunk: Buffer) => (length += chunk.length));
    request.on('end', () => response.writeHead(200, { 'content-length': String(`got ${length}`.length) }).end(request.method === 'HEAD' ? undefined : `got ${length}`));
  });
  const port = await listenOn(server, '127.0.0.2');
  const { balancer, port: front } = await startBalancer([{ host: '127.0.0.2', port }]);
  const client = await RawClient.open(front);
  try {
    client.write('HEAD /len HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET /len HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await responsesOn(client, [true, false, false, false]);
    assert.deepEqual(
      responses.map((response) => [response.status, response.body]),
      [
        [200, ''],
        [204, ''],
        [304, ''],
        [200, 'got 0'],
      ],
    );
    assert.equal(responses[0]!.headers.get('content-length'), '5', 'the HEAD answer keeps its length');
    client.write('POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await client.until('100 Continue', (received) => received.includes('HTTP/1.1 100 Continue\r\n\r\n'));
    await delay(50);
    assert.ok(!/HTTP\/1\.1 100 Continue\r\n\r\nHTTP/.test(client.received), 'no final answer before the body');
    client.write('hello');
    await client.until('the final response', (received) => received.endsWith('got 5'));
  } finally {
    client.destroy();
    await balancer.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const page400 = 'HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n';

test('request smuggling attempts and malformed requests get HAProxy 400 and the connection closes; nothing reaches the server', async () => {
  const backend = await startKeepAliveBackend('a', '127.0.0.2');
  const { balancer, port } = await startBalancer([backend]);
  const attempts = [
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 40\r\n\r\nhello',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\tchunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello',
    'GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  Content-Length: 5\r\n\r\nhello',
    'GET / HTTP/1.1\r\nHost: x\nContent-Length: 5\r\n\r\nhello',
    'GET / HTTP/1.1\r\nHost: x\r\nX: \x00\r\n\r\n',
    'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n',
    `GET / HTTP/1.1\r\nHost: x\r\nX: ${'y'.repeat(20_000)}\r\n\r\n`,
  ];
  try {
    for (const attempt of attempts) {
      const { received } = await rawExchange(port, attempt);
      assert.equal(received, page400, JSON.stringify(attempt.slice(0, 120)));
    }
    assert.equal(backend.connections, 0, 'no attempt reached the server');
    // A length given as a list of the same value is one length: the server gets one clean header.
    const listed = await rawExchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\nConnection: close\r\n\r\nhello');
    assert.match(listed.received, /^HTTP\/1\.1 200 OK\r\n[^]*a 5/);
    assert.equal(backend.lastHeaders['content-length'], '5');
    backend.connections = 0;
    // A broken chunked body: the server has a partial request; the client gets 400, not whatever follows.
    const broken = await rawExchange(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(broken.received, page400);
  } finally {
    await balancer.close();
    await backend.close();
  }
});

test('a response without a length ends when the server closes: the client gets all of it, with Connection: close, then the close', async () => {
  const server = await startTcpBackend('127.0.0.2', (socket) => onEachHead(socket, () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the server closes')));
  const { balancer, port } = await startBalancer([server]);
  try {
    const { received } = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(received, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the server closes');
  } finally {
    await balancer.close();
    await server.close();
  }
});

const largeBytes = 64 * 1024 * 1024;
const piece = Buffer.alloc(1024 * 1024, 'z');

/** Writes `total` bytes of 'z' on `socket`, a MiB at a time, waiting for 'drain' when it backs up; `written` counts what the socket took. */
function writeLarge(socket: Socket, total: number, progress: { written: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = () => {
      for (let count = 0; count < 1024 && progress.written < total; count += 1) {
        progress.written += piece.length;
        if (!socket.write(piece)) return void socket.once('drain', next);
      }
      resolve();
    };
    socket.once('error', reject);
    next();
  });
}

test('large bodies both ways: a slow reader holds its writer back through the balancer (backpressure), and every byte arrives', async () => {
  // Download: the server writes 64 MiB as fast as it is let; the client reads nothing for a while.
  const sent = { written: 0 };
  const source = await startTcpBackend('127.0.0.2', (socket) =>
    onEachHead(socket, () => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${largeBytes}\r\n\r\n`);
      void writeLarge(socket, largeBytes, sent);
    }),
  );
  // Upload: the server reads nothing for a while, then counts the body.
  let sink: Socket | undefined;
  const drain = await startTcpBackend('127.0.0.3', (socket) => {
    sink = socket;
    socket.pause();
  });
  const download = await startBalancer([source]);
  const upload = await startBalancer([drain]);
  const reader = connect({ host: '127.0.0.1', port: download.port });
  const writer = connect({ host: '127.0.0.1', port: upload.port });
  try {
    reader.on('error', () => {});
    reader.pause();
    reader.write('GET /large HTTP/1.1\r\nHost: x\r\n\r\n');
    await delay(700);
    assert.ok(sent.written < largeBytes / 2, `the server could write ${sent.written} bytes to a client reading nothing`);
    let received = 0;
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received} bytes of the download within 20 s`)), 20_000);
      reader.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= largeBytes) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    reader.resume();
    await all;

    const uploaded = { written: 0 };
    writer.on('error', () => {});
    writer.write(`POST /large HTTP/1.1\r\nHost: x\r\nContent-Length: ${largeBytes}\r\n\r\n`);
    const writing = writeLarge(writer, largeBytes, uploaded);
    await delay(700);
    assert.ok(uploaded.written < largeBytes / 2, `the client could write ${uploaded.written} bytes to a server reading nothing`);
    assert.ok(sink, 'the server got a connection');
    let got = 0;
    const whole = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got} bytes of the upload within 20 s`)), 20_000);
      sink!.on('data', (chunk: Buffer) => {
        got += chunk.length;
        if (got >= largeBytes) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    sink.resume();
    await Promise.all([writing, whole]);
    assert.ok(got >= largeBytes && got < largeBytes + 200, `the server got ${got} bytes`);
  } finally {
    reader.destroy();
    writer.destroy();
    await download.balancer.close();
    await upload.balancer.close();
    await Promise.all([source.close(), drain.close()]);
  }
});

test('a kept-alive server connection closed as a request goes out: a request without a body goes again on a new connection, one with a body gets 502', async () => {
  let connections = 0;
  // Each connection answers its first request and closes on its second, as a server whose keep-alive timeout struck just then.
  const server = await startTcpBackend('127.0.0.2', (socket) => {
    connections += 1;
    let requests = 0;
    socket.on('data', () => {
      requests += 1;
      if (requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else socket.destroy();
    });
  });
  const { balancer, port } = await startBalancer([server]);
  const client = await RawClient.open(port);
  try {
    client.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
    await responsesOn(client, [false]);
    client.write('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
    const responses = await responsesOn(client, [false, false]);
    assert.deepEqual(
      responses.map((response) => [response.status, response.body]),
      [
        [200, 'ok'],
        [200, 'ok'],
      ],
    );
    assert.equal(connections, 2, 'the second request went again on a new connection');
    client.write('POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody');
    const [, , failed] = await responsesOn(client, [false, false, false]);
    assert.equal(failed!.status, 502, 'a body already sent is not sent twice');
  } finally {
    client.destroy();
    await balancer.close();
    await server.close();
  }
});

test("a client's half-close after its request still gets the response, then the connection closes", async () => {
  const backend = await startKeepAliveBackend('a', '127.0.0.2');
  const { balancer, port } = await startBalancer([backend]);
  try {
    const received = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect({ host: '127.0.0.1', port }, () => socket.end('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after 5 s: ${JSON.stringify(text)}`));
      }, 5000);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    assert.deepEqual(parseResponses(received, [false])?.map((response) => response.body), ['a 3']);
    assert.match(received, /\r\nConnection: close\r\n/);
  } finally {
    await balancer.close();
    await backend.close();
  }
});

test('timeout http-request runs from the first byte of a request on a kept-alive connection, not only from the end of the previous response', async () => {
  const backend = await startKeepAliveBackend('a', '127.0.0.2');
  const { balancer, port } = await startBalancer([backend], '  timeout http-request 300ms\n  timeout http-keep-alive 4s\n');
  const client = await RawClient.open(port);
  try {
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await responsesOn(client, [false]);
    await delay(100);
    const started = Date.now();
    client.write('GET /slow HTTP/1.1\r\n');
    await client.until('a 408 and the close', (received, closed) => closed && received.includes('HTTP/1.1 408 Request Time-out\r\n'));
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs >= 250 && elapsedMs < 2000, `408 after ${elapsedMs} ms`);
  } finally {
    client.destroy();
    await balancer.close();
    await backend.close();
  }
});

test('Connection as the proxy decides: HTTP/1.0 keep-alive kept and said so, HTTP/1.0 and Connection: close closed, option httpclose closes both sides', async () => {
  // Answers with a Content-Length, so that an HTTP/1.0 response can be kept alive too.
  let connections = 0;
  const server = createHttpServer((_request, response) => response.writeHead(200, { 'content-length': '3' }).end('a 0'));
  server.on('connection', () => (connections += 1));
  const backend = { host: '127.0.0.2', port: await listenOn(server, '127.0.0.2') };
  const keep = await startBalancer([backend]);
  const close = await startBalancer([backend], '  option httpclose\n');
  try {
    const old = await RawClient.open(keep.port);
    old.write('GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [first] = await responsesOn(old, [false]);
    assert.equal(first!.headers.get('connection'), 'keep-alive');
    assert.equal(first!.headers.get('keep-alive'), undefined, "the server's Keep-Alive stays on its hop");
    old.write('GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.equal((await responsesOn(old, [false, false]))[1]!.body, 'a 0');
    assert.equal(old.closed, false);
    old.destroy();
    for (const request of ['GET / HTTP/1.0\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']) {
      const { received } = await rawExchange(keep.port, request);
      assert.match(received, /\r\nConnection: close\r\n[^]*a 0$/, request);
    }
    const before = connections;
    const client = await RawClient.open(close.port);
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await client.until('the response, then the close', (received, closed) => closed && parseResponses(received, [false]) !== undefined);
    assert.match(client.received, /\r\nConnection: close\r\n/);
    const { received } = await rawExchange(close.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(received, /a 0$/);
    assert.equal(connections - before, 2, 'a server connection per request under httpclose');
  } finally {
    await keep.balancer.close();
    await close.balancer.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('timeout client ends a request whose client stops in the middle of its body (cD), not while a request waits for its server', async () => {
  const log: string[] = [];
  const slow = await startTcpBackend('127.0.0.3', (socket) => onEachHead(socket, () => setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate'), 600)));
  const backend = await startKeepAliveBackend('a', '127.0.0.2');
  const stalled = await startBalancer([backend], '  timeout client 300ms\n  option httplog\n', log);
  const waiting = await startBalancer([slow], '  timeout client 300ms\n');
  try {
    const client = await RawClient.open(stalled.port);
    client.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf');
    await client.until('the close', (_received, closed) => closed, 3000);
    assert.equal(client.received, '', 'no answer, the connection is cut');
    await client.until('the log line', () => log.length > 0, 2000);
    assert.match(log[0]!, / cD-- /);
    const patient = await RawClient.open(waiting.port);
    patient.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [answer] = await responsesOn(patient, [false]);
    assert.equal(answer!.body, 'late', 'the server took longer than timeout client to answer: still served');
    patient.destroy();
  } finally {
    await stalled.balancer.close();
    await waiting.balancer.close();
    await Promise.all([backend.close(), slow.close()]);
  }
});
