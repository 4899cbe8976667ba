// Accepted client connections read into a buffer of their own (Node's `onread`), as server
// connections already are. Node offers `onread` to sockets it connects but not to those a
// server accepts, which read through its stream machinery: a 64 KiB allocation per read, cut
// down to what came, pushed through a Readable, with a tick scheduled after it. That is about
// 1.5 µs of CPU a read, a tenth of what a request costs in mode tcp. So each accepted socket
// is rebuilt on its native handle (the `handle` option Node's own server uses), with `onread`.
//
// Its bytes go where the connection's user says (`readInto`): a mode tcp session writes the
// bytes read straight to its server, from the buffer. Until then, and for mode http (whose
// parser keeps what it reads), each read is copied out and emitted as 'data', as Node would.
// If the handle cannot be taken (not a TCP handle; a Node whose sockets changed), the socket
// stays as Node made it, and `readInto` falls back to 'data' events.

import { Socket } from 'node:net';

/** What one read takes at most: HAProxy's buffer size (tune.bufsize). */
const readBytes = 16 * 1024;

/** Where a connection's bytes go when read in place. */
export interface ReadSink {
  /** `chunk` is a view of the read buffer; returns false when the bytes cannot go on for now (the socket pauses). */
  data(chunk: Buffer): boolean;
  /** After `data`: some of the chunk is still referenced (a write not flushed yet), so the next read goes into a new buffer. */
  holdsReadBytes(): boolean;
}

/** A sink that keeps nothing of the buffer: each read is copied out and handed to `take`. */
export function copiesTo(take: (copy: Buffer) => void): ReadSink {
  return {
    data: (chunk) => {
      take(Buffer.from(chunk));
      return true;
    },
    holdsReadBytes: () => false,
  };
}

/**
 * Buffers of closed sockets, for new ones: a connection's two 16 KiB buffers, allocated and
 * left to the collector for each, cost more than the rest of its setup in a run of short
 * connections. Bounded (4 MiB): beyond, they go to the collector.
 */
const spareBuffers: Buffer[] = [];
const maxSpareBuffers = 256;

/**
 * A socket's reads into a buffer of its own, handed to a sink as views of it. A write the
 * kernel took whole is done with the bytes when write() returns; one that had to be queued
 * keeps a reference to them (`holdsReadBytes`), and the next read goes into a new buffer.
 * The sink may change from read to read (`copiesTo` until the bytes' user is known).
 */
export class InPlaceReads {
  sink: ReadSink;
  private buffer = spareBuffers.pop() ?? Buffer.allocUnsafe(readBytes);
  private released = false;

  constructor(sink: ReadSink) {
    this.sink = sink;
  }

  /**
   * The socket is closed, and nothing written from its buffer is still waiting to go (the
   * peer those writes went to is closed too, or none did): the buffer serves another socket.
   */
  release(): void {
    // Twice would hand one buffer to two sockets.
    if (this.released) return;
    this.released = true;
    if (spareBuffers.length < maxSpareBuffers) spareBuffers.push(this.buffer);
  }

  /** Node's `onread` option for the socket. */
  readonly onread = {
    buffer: (): Buffer => this.buffer,
    callback: (bytes: number, buffer: Uint8Array): boolean => {
      const sink = this.sink;
      const flowing = sink.data((buffer as Buffer).subarray(0, bytes));
      if (sink.holdsReadBytes()) this.buffer = Buffer.allocUnsafe(readBytes);
      // false pauses the socket until it is resumed.
      return flowing;
    },
  };
}

const ownReads = new WeakMap<Socket, InPlaceReads>();

/** What tandem takes of a socket Node accepted: its native handle, and the server counting it. */
interface AcceptedInternals {
  _handle: { readStart?: unknown } | null;
  _server: unknown;
}

/**
 * The accepted socket `accepted` (paused, nothing read yet) rebuilt to read in place, paused
 * too; `accepted` itself as it is if its handle cannot be taken.
 */
export function withOwnReads(accepted: Socket): Socket {
  const internals = accepted as unknown as AcceptedInternals;
  const handle = internals._handle;
  if (handle === null || typeof handle.readStart !== 'function') return accepted;
  let socket: Socket | undefined;
  const asData = copiesTo((copy) => socket!.emit('data', copy));
  const reads = new InPlaceReads(asData);
  // Read bytes went out only as copies unless a sink took the buffer: its user releases it then.
  const releaseUnlessSunk = () => reads.sink === asData && reads.release();
  internals._handle = null; // the handle is the new socket's alone: closing it is its business
  socket = new Socket({ handle, allowHalfOpen: true, readable: true, writable: true, pauseOnCreate: true, onread: reads.onread } as ConstructorParameters<typeof Socket>[0]);
  // The server counts its connections down as they close.
  (socket as unknown as AcceptedInternals)._server = internals._server;
  socket.once('close', releaseUnlessSunk);
  ownReads.set(socket, reads);
  return socket;
}

/**
 * From now on `socket`'s bytes go to `sink` as they are read; a socket without own reads hands
 * over its 'data' events. Returns the reads to release once the socket and those it wrote to
 * are closed, if any.
 */
export function readInto(socket: Socket, sink: ReadSink): InPlaceReads | undefined {
  const reads = ownReads.get(socket);
  if (reads) {
    reads.sink = sink;
    return reads;
  }
  socket.on('data', (chunk: Buffer) => {
    if (!sink.data(chunk)) socket.pause();
  });
}
