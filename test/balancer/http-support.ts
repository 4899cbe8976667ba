// HTTP backends and clients on loopback for the balancer's mode http tests. Every server,
// agent and socket opened here is closed by its `close`; every wait has a time limit.

import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { Balancer } from '../../src/balancer/balancer.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import { freePort } from './support.js';

export interface HttpBackend {
  name: string;
  host: string;
  port: number;
  /** TCP connections it accepted (to see whether the balancer keeps them alive). */
  connections: number;
  /** The headers of the last request it got. */
  lastHeaders: IncomingHttpHeaders;
  close(): Promise<void>;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve((server.address() as { port: number }).port));
  });
}

function tracked(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

/** A keep-alive HTTP backend answering `NAME BODY-LENGTH` (it reads the whole request body first). */
export async function startKeepAliveBackend(name: string, host: string): Promise<HttpBackend> {
  const server = createServer((req, res) => {
    backend.lastHeaders = req.headers;
    let length = 0;
    req.on('data', (chunk: Buffer) => (length += chunk.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${length}`));
  });
  server.on('connection', () => (backend.connections += 1));
  const close = tracked(server);
  const backend: HttpBackend = { name, host, port: await listen(server, host), connections: 0, lastHeaders: {}, close };
  return backend;
}

/** A TCP server that reads requests and answers each with `answer` (undefined: never answers). */
export async function startRawBackend(host: string, answer: string | undefined): Promise<{ port: number; close(): Promise<void> }> {
  const server = createTcpServer((socket) => {
    socket.on('error', () => {});
    if (answer !== undefined) socket.once('data', () => socket.end(answer));
  });
  const close = tracked(server);
  return { port: await listen(server, host), close };
}

export interface Answer {
  status: number;
  body: string;
}

/** A client whose requests share one kept-alive connection (one socket at most). */
export function keepAliveClient(port: number, localAddress = '127.0.0.1') {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    send(method: string, path: string, body?: string, limitMs = 5000): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path, agent, localAddress, timeout: limitMs }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`no HTTP answer on port ${port} within ${limitMs} ms`)));
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** Writes `text` on a new connection and resolves with everything received until the balancer closes it. */
export function rawExchange(port: number, text: string, limitMs = 5000): Promise<{ received: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection to ${port} still open after ${limitMs} ms; received ${JSON.stringify(received)}`));
    }, limitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, elapsedMs: Date.now() - started });
    });
  });
}

export const httpDefaults = `defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
`;

/** A balancer on 127.0.0.1 with a listen section of `lines` sending to `servers` (s0, s1...), after `defaults`. */
export async function startBalancer(servers: { host: string; port: number }[], lines = '', log?: string[], defaults = httpDefaults): Promise<{ balancer: Balancer; port: number }> {
  const port = await freePort();
  const serverLines = servers.map((server, index) => `  server s${index} ${server.host}:${server.port}`).join('\n');
  const text = `${defaults}listen test\n  bind 127.0.0.1:${port}\n  balance roundrobin\n${lines}${serverLines}\n`;
  return { balancer: await Balancer.start(readHaproxy(text, 'test.cfg').config, log ? { log: (line) => log.push(line) } : {}), port };
}

/** A client connection that keeps what it receives; `until` waits (bounded) for it to satisfy a test. */
export class RawClient {
  received = '';
  closed = false;
  private readonly socket: Socket;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.received += chunk;
      this.notify();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text, 'latin1');
  }

  async until(what: string, check: (received: string, closed: boolean) => boolean, limitMs = 5000): Promise<string> {
    const deadline = Date.now() + limitMs;
    while (!check(this.received, this.closed)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${limitMs} ms; received ${JSON.stringify(this.received.slice(0, 2000))}${this.closed ? ', then closed' : ''}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  /** Half-closes: sends its FIN and goes on reading. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Closes with a TCP reset, as a client that crashed or gave up. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
