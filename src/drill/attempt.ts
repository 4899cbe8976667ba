// One client attempt at a service: a new TCP connection, and with `http` one request
// (`GET /`, HTTP/1.0) whose response must start like HTTP; the answer's body is kept, so a
// service that names its node shows where the client was served.

import { connect } from 'node:net';

export interface Attempt {
  sentMs: number;
  doneMs: number;
  ok: boolean;
  answer?: string;
}

export function attempt(host: string, port: number, timeoutMs: number, http = true): Promise<Attempt> {
  const sentMs = Date.now();
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const doneMs = Date.now();
      resolve(ok ? { sentMs, doneMs, ok, answer: http ? (answer.split('\r\n\r\n')[1]?.trim() ?? '') : '' } : { sentMs, doneMs, ok });
    };
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('connect', () => (http ? socket.write('GET / HTTP/1.0\r\n\r\n') : finish(true)));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => finish(answer.startsWith('HTTP/1.')));
    socket.on('error', () => finish(false));
  });
}
