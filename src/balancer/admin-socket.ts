// The balancer's admin socket, like HAProxy's `stats socket ... level admin`: a Unix socket
// (mode 0600: the file permissions are the authentication) taking one line of commands per
// connection, answering it, then closing, as HAProxy's non-interactive CLI does, so that
// `echo "show stat" | socat stdio unix-connect:PATH` works as it does with HAProxy.

import { lstatSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { InputError } from '../model/errors.js';
import { runAdminLine, type AdminTarget } from './admin-commands.js';

const maxLineBytes = 16 * 1024;

function serve(socket: Socket, target: AdminTarget): void {
  let buffer = '';
  let answered = false;
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  const answer = (line: string) => {
    if (answered) return;
    answered = true;
    runAdminLine(target, line).then(
      (text) => socket.end(text),
      (error: Error) => socket.end(`Internal error: ${error.message}\n\n`),
    );
  };
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    const newline = buffer.indexOf('\n');
    if (newline >= 0) answer(buffer.slice(0, newline));
    else if (buffer.length > maxLineBytes && !answered) {
      answered = true;
      socket.end(`Command line too long (over ${maxLineBytes} bytes).\n\n`);
    }
  });
  socket.on('end', () => answer(buffer)); // a last line without its newline
}

/** Whether something answers on the socket file (a running balancer), or it is left over from one that died. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Listens on `path`; a socket file left by a dead process is replaced, a live one or any other file is an InputError. */
export async function listenAdminSocket(path: string, target: AdminTarget): Promise<Server> {
  const existing = lstatSync(path, { throwIfNoEntry: false });
  if (existing && !existing.isSocket()) throw new InputError(`--admin-socket ${path}: the file exists and is not a socket; remove it or choose another path`);
  if (existing && (await answers(path))) throw new InputError(`--admin-socket ${path}: another process is serving this socket`);
  if (existing) rmSync(path);
  // Half-open: a client may end its side right after its line (socat, our client) and still get the answer.
  const server = createServer({ allowHalfOpen: true }, (socket) => serve(socket, target));
  // Mode 0600 from its creation (not chmod-ed after, when someone may already have connected):
  // listen() binds the socket file before it returns, under this umask.
  const umask = process.umask(0o177);
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', (error: Error) => reject(new InputError(`--admin-socket ${path}: ${error.message}`)));
    server.listen(path, () => resolve());
  });
  process.umask(umask);
  await listening;
  return server;
}
