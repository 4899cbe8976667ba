// Real backends on loopback for the balancer's tests, and bounded helpers to talk to them.
// Every server and socket opened here is closed by `close`; every wait has a time limit.

import { createServer as createHttpServer, get } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  name: string;
  host: string;
  port: number;
  /** Closes the listener and every connection it accepted. */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve((server.address() as { port: number }).port));
  });
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

function tracked(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** A port nobody listens on right now (the kernel's pick), for a balancer's bind line. */
/** Ports freePort has given out: the kernel may offer a closed one again, and a test binds them all later. */
const portsGivenOut = new Set<number>();
const freePortAttempts = 50;

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < freePortAttempts; attempt += 1) {
    const server = createServer();
    const port = await listen(server, host, 0);
    await new Promise((resolve) => server.close(resolve));
    if (portsGivenOut.has(port)) continue;
    portsGivenOut.add(port);
    return port;
  }
  throw new Error(`no port not given out before after ${freePortAttempts} attempts`);
}

/** A TCP backend that says its name on a line, then echoes until the client ends. `port` 0: the kernel picks. */
export async function startNamedBackend(name: string, host: string, port = 0): Promise<Backend> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.write(`${name}\n`);
    socket.pipe(socket);
  });
  const sockets = tracked(server);
  const bound = await listen(server, host, port);
  return { name, host, port: bound, close: closer(server, sockets) };
}

/** An HTTP backend answering every request with 200 and its name (also fine for `option httpchk`). */
export async function startHttpBackend(name: string, host: string, port = 0): Promise<Backend> {
  const server = createHttpServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }).end(name));
  const sockets = tracked(server);
  const bound = await listen(server, host, port);
  return { name, host, port: bound, close: closer(server, sockets) };
}

/** Connects to the balancer and resolves with the first line it relays, then ends the connection. */
export function whoAnswers(port: number, localAddress = '127.0.0.1', limitMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer through port ${port} within ${limitMs} ms`));
    }, limitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (!received.includes('\n')) return;
      clearTimeout(timer);
      socket.end();
      resolve(received.slice(0, received.indexOf('\n')));
    });
    const failed = (why: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`port ${port}: ${why} before any answer`));
    };
    socket.on('error', (error) => failed(error.message));
    socket.on('end', () => failed('closed'));
  });
}

/** Opens a connection and keeps it; `firstLine` resolves with the first line relayed (or rejects on close). */
export function openClient(port: number): { socket: Socket; firstLine: Promise<string> } {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setEncoding('utf8');
  const firstLine = new Promise<string>((resolve, reject) => {
    let received = '';
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\n')) resolve(received.slice(0, received.indexOf('\n')));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before a line')));
  });
  firstLine.catch(() => {}); // a test that does not wait for it must not see an unhandled rejection
  return { socket, firstLine };
}

/** Polls `condition` every 25 ms until it holds; fails after `limitMs`. */
export async function eventually(what: string, condition: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Asks `times` times in a row (each bounded) and counts who answered. */
export async function tally(port: number, times: number, localAddress?: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let index = 0; index < times; index += 1) {
    const name = await whoAnswers(port, localAddress);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** One HTTP GET to host:port without keep-alive; fails after `limitMs`. */
export function httpGet(port: number, path = '/', limitMs = 5000, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host, port, path, agent: false, timeout: limitMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no HTTP answer on port ${port} within ${limitMs} ms`)));
    request.on('error', reject);
  });
}

/** An HTTP health endpoint (like clustercheck) whose answer the test sets: 200 or 503. */
export async function startHealthEndpoint(host: string): Promise<Backend & { status: number }> {
  const endpoint = { status: 200 };
  const server = createHttpServer((_request, response) => response.writeHead(endpoint.status, { connection: 'close' }).end());
  const sockets = tracked(server);
  const bound = await listen(server, host, 0);
  return Object.assign(endpoint, { name: 'health', host, port: bound, close: closer(server, sockets) });
}
