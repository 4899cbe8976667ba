// Getting a connected server for a connection (tcp mode) or a request (http mode), the way
// HAProxy does: take a server of the backend (waiting in its queue when servers are at
// maxconn), connect within `timeout connect`, retry a failed connect `retries` times on the
// same server after a turnaround, and with `option redispatch` make the last retry on
// another server. Both modes share it so that they count and retry alike.

import type { Backend } from './backend.js';
import type { ServerState } from './server-state.js';

/** HAProxy waits min(timeout connect, 1 s) before retrying the same server, so a restarting server is not hammered. */
const maxTurnaroundMs = 1000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Connected<T> {
  /** Its slot is held: give it back with `backend.release(server)` when done. */
  server: ServerState;
  connection: T;
  retries: number;
}

/**
 * A connected server with its slot held, or undefined (no server usable, queue timeout, every
 * attempt failed, or `abandoned()` became true) with no slot held. `connect` resolves with the
 * connection or undefined when it failed; a connection arriving after abandon is handed to
 * `discard`. `acquired`: a server whose slot the caller already took, tried first.
 */
export async function connectWithRetries<T>(
  backend: Backend,
  clientAddress: string,
  connect: (server: ServerState) => Promise<T | undefined>,
  abandoned: () => boolean,
  discard: (connection: T) => void,
  acquired?: ServerState,
): Promise<Connected<T> | undefined> {
  const plan = backend.plan;
  let server = acquired ?? (await backend.acquire(clientAddress));
  for (let attempt = 0; server; attempt += 1) {
    if (abandoned()) break;
    const connection = await connect(server);
    if (connection !== undefined) {
      if (!abandoned()) return { server, connection, retries: attempt };
      discard(connection);
      break;
    }
    server.connectErrors += 1;
    if (attempt >= plan.retries) break;
    server.retries += 1;
    if (plan.redispatch && attempt === plan.retries - 1) {
      server.redispatches += 1;
      backend.release(server);
      server = await backend.acquire(clientAddress, server);
    } else {
      await delay(Math.min(plan.connectTimeoutMs ?? maxTurnaroundMs, maxTurnaroundMs));
    }
  }
  if (server) backend.release(server);
  return undefined;
}
