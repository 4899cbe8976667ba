// Serves the control interface on a Unix socket in the node's data directory (mode 0600:
// the file permissions are the authentication).

import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { socketName, type Request, type Response } from './protocol.js';

export type Handler = (request: Request) => Promise<unknown>;

const maxRequestBytes = 16 * 1024 * 1024;

function serve(socket: Socket, handle: Handler, log: Logger): void {
  let buffer = '';
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
    let response: Response;
    try {
      response = { ok: true, result: await handle(JSON.parse(line) as Request) };
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
