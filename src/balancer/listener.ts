// A listening socket of the balancer, owned by the balancer rather than by a frontend so that
// it outlives a reload: the bound socket stays open while the frontend its connections go to
// is swapped, and no connection is refused in between (the kernel queues them as always).
// Each accepted socket is made to read in place (in-place-reads.ts) before a frontend gets it.

import { createServer, type Server, type Socket } from 'node:net';
import { withOwnReads } from './in-place-reads.js';
import type { BindAddress } from './plan.js';

export type Accept = (socket: Socket) => void;

export class Listener {
  private readonly server: Server;
  private accept: Accept;

  private constructor(server: Server, accept: Accept) {
    this.server = server;
    this.accept = accept;
  }

  /** Binds and listens; rejects with the system's error if the address cannot be bound. */
  static open(address: BindAddress, accept: Accept): Promise<Listener> {
    // Paused on connect: nothing is read from a client until a frontend serves it.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    const listener = new Listener(server, accept);
    server.on('connection', (socket: Socket) => listener.accept(withOwnReads(socket)));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port }, () => {
        server.off('error', reject);
        resolve(listener);
      });
    });
  }

  /** From now on, new connections go to `accept`; those accepted before stay where they are. */
  handTo(accept: Accept): void {
    this.accept = accept;
  }

  /** Stops listening at once; connections already accepted are not touched. */
  close(): void {
    if (this.server.listening) this.server.close();
  }
}
