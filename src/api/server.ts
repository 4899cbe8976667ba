// Serves the control interface on a Unix socket in the node's data directory (mode 0600:
// the file permissions are the authentication). A handler may answer with a Feed: the
// connection then stays open and gets a line per value until the client closes it; a
// client that reads slower than values come gets only the latest one once it catches up.

import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { socketName, type Request, type Response } from './protocol.js';

export type Handler = (request: Request) => Promise<unknown>;

/** An answer that goes on: `start` gets the function that sends one value, and returns the function that stops it. */
export class Feed {
  constructor(readonly start: (send: (value: unknown) => void) => () => void) {}
}

const maxRequestBytes = 16 * 1024 * 1024;

/**
 * Sends a feed's values on the socket. At most one line waits in this process beyond what
 * the socket took (Node's buffer above its high-water mark): a newer value replaces it.
 */
function follow(socket: Socket, feed: Feed): void {
  let waiting: string | undefined;
  const send = (value: unknown) => {
    if (socket.destroyed) return;
    const line = JSON.stringify({ ok: true, result: value } satisfies Response) + '\n';
    if (socket.writableNeedDrain) waiting = line;
    else socket.write(line);
  };
  socket.on('drain', () => {
    if (waiting === undefined || socket.destroyed) return;
    const line = waiting;
    waiting = undefined;
    socket.write(line);
  });
  const stop = feed.start(send);
  socket.once('close', stop);
  // A follower does not keep the daemon's process alive: it sees the connection close when the daemon ends.
  socket.unref();
}

function serve(socket: Socket, handle: Handler, log: Logger): void {
  let buffer = '';
  /** Once a feed runs, the connection is its own: further request lines are not answered. */
  let following = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > maxRequestBytes) {
      socket.end(JSON.stringify({ ok: false, error: 'request too large' } satisfies Response) + '\n');
      return;
    }
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      void answer(line);
      newline = buffer.indexOf('\n');
    }
  });
  socket.on('error', (error) => log.debug({ err: error }, 'control connection error'));
  const answer = async (line: string) => {
    if (following) return;
    let response: Response;
    try {
      const result = await handle(JSON.parse(line) as Request);
      if (result instanceof Feed) {
        if (following || socket.destroyed) return;
        following = true;
        follow(socket, result);
        return;
      }
      response = { ok: true, result };
    } catch (error) {
      response = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (!socket.destroyed) socket.write(JSON.stringify(response) + '\n');
  };
}

export function listen(dataDir: string, handle: Handler, log: Logger): Promise<Server> {
  const path = join(dataDir, socketName);
  rmSync(path, { force: true });
  const server = createServer((socket) => serve(socket, handle, log));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      resolve(server);
    });
  });
}
