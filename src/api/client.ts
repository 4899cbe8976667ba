// Talks to a running node over its control socket. A node that is not running is a clear
// InputError, not a stack trace.

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { InputError } from '../model/errors.js';
import { stillRunning } from '../agents/process-identity.js';
import { lockName, socketName, type Request, type Response } from './protocol.js';

const requestTimeoutMs = 30_000;
/** A line longer than this from the node is a fault, not something to keep buffering. */
const maxLineBytes = 256 * 1024 * 1024;

/** The pid of a live process holding the data directory's lock: a daemon that has not opened its socket yet. */
function startingDaemon(dataDir: string): number | undefined {
  try {
    const { pid, startTicks } = JSON.parse(readFileSync(join(dataDir, lockName), 'utf8')) as { pid?: unknown; startTicks?: unknown };
    if (typeof pid !== 'number') return undefined;
    // The start time tells the holder apart from a later process given the same pid.
    return stillRunning({ pid, startTicks: typeof startTicks === 'number' ? startTicks : undefined }) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function connectionError(error: NodeJS.ErrnoException, path: string, dataDir: string): InputError {
  if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
    const starting = startingDaemon(dataDir);
    if (starting !== undefined) return new InputError(`the node daemon (pid ${starting}) is starting and not answering yet (it first waits for agent calls a previous daemon left running); try again in a moment`);
    return new InputError(`the node daemon is not running (no socket at ${path}); start it with: tandem node --data-dir ${dataDir}`);
  }
  if (error.code === 'EACCES') return new InputError(`permission denied on ${path}: only the user running the node daemon may control it`);
  return new InputError(`cannot reach the node daemon at ${path}: ${error.message}`);
}

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
      reject(connectionError(error, path, dataDir));
    });
  });
}

export interface Following {
  /** Resolves when the connection is over: with why, unless `close` ended it. */
  ended: Promise<InputError | undefined>;
  close(): void;
}

/** Sends a request the node answers with a feed (`status.watch`): `onResult` gets each value as it comes, until the connection ends. */
export function follow(dataDir: string, request: Request, onResult: (result: unknown) => void): Following {
  const path = join(dataDir, socketName);
  const socket = connect(path);
  let closing = false;
  let failure: InputError | undefined;
  const fail = (error: InputError) => {
    failure ??= error;
    socket.destroy();
  };
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0 && !socket.destroyed) {
      let response: Response;
      try {
        response = JSON.parse(buffer.slice(0, newline)) as Response;
      } catch {
        return fail(new InputError(`the node daemon at ${path} sent a line that is not JSON`));
      }
      buffer = buffer.slice(newline + 1);
      if (!response.ok) return fail(new InputError(response.error));
      onResult(response.result);
      newline = buffer.indexOf('\n');
    }
    if (buffer.length > maxLineBytes) fail(new InputError(`the node daemon at ${path} sent a line of more than ${maxLineBytes} bytes`));
  });
  socket.on('error', (error: NodeJS.ErrnoException) => fail(connectionError(error, path, dataDir)));
  const ended = new Promise<InputError | undefined>((resolve) => {
    socket.once('close', () => resolve(failure ?? (closing ? undefined : new InputError(`the node daemon at ${path} closed the connection`))));
  });
  return {
    ended,
    close() {
      closing = true;
      socket.destroy();
    },
  };
}
