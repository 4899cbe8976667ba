// Talks to a running node over its control socket. A node that is not running is a clear
// InputError, not a stack trace.

import { connect } from 'node:net';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';
import { socketName, type Request, type Response } from './protocol.js';

const requestTimeoutMs = 30_000;

export function call(dataDir: string, request: Request): Promise<unknown> {
  const path = join(dataDir, socketName);
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new InputError(`the node daemon at ${path} did not answer within ${requestTimeoutMs / 1000} s`));
    }, requestTimeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      const response = JSON.parse(buffer.slice(0, newline)) as Response;
      if (response.ok) resolve(response.result);
      else reject(new InputError(response.error));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') reject(new InputError(`the node daemon is not running (no socket at ${path}); start it with: tandem node --data-dir ${dataDir}`));
      else if (error.code === 'EACCES') reject(new InputError(`permission denied on ${path}: only the user running the node daemon may control it`));
      else reject(new InputError(`cannot reach the node daemon at ${path}: ${error.message}`));
    });
  });
}
