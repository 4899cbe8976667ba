// `tandem balancer-cmd`: sends one line of commands to a balancer's admin socket and returns
// its answer. Nothing listening, or no permission, is a clear InputError.

import { connect } from 'node:net';
import { InputError } from '../model/errors.js';

/** Bounds a reload too, which opens new binds before it answers. */
const answerLimitMs = 30_000;

export function sendAdminCommand(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new InputError(`the balancer at ${path} did not answer within ${answerLimitMs / 1000} s`));
    }, answerLimitMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.end(`${command}\n`));
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') reject(new InputError(`nothing listens on ${path}: is \`tandem balancer --admin-socket ${path}\` running?`));
      else if (error.code === 'EACCES') reject(new InputError(`permission denied on ${path}: only the user running the balancer may use its admin socket`));
      else reject(new InputError(`cannot reach the balancer at ${path}: ${error.message}`));
    });
  });
}
