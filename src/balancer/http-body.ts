// Where an HTTP/1.1 message body ends, found as its bytes go by: the proxy forwards the bytes
// as they came (no copy, no re-chunking) and only needs to know how many of a read belong to
// the body, so that what follows (a pipelined request, or nothing) is kept apart. A chunked
// body is followed by a small state machine over the chunk-size lines, chunk ends and
// trailers; chunk data itself is skipped over without being looked at.

import { Framing, maxHeadBytes } from './http-head.js';

export interface BodyReader {
  /** The body has been read to its end. */
  readonly done: boolean;
  /** How many bytes of buf[start, end) belong to the body (all of them unless it ends there); -1: not valid chunked framing. */
  take(buf: Buffer, start: number, end: number): number;
}

class NoBody implements BodyReader {
  readonly done = true;
  take(): number {
    return 0;
  }
}

const noBody = new NoBody();

class LengthBody implements BodyReader {
  private remaining: number;
  constructor(length: number) {
    this.remaining = length;
  }
  get done(): boolean {
    return this.remaining === 0;
  }
  take(_buf: Buffer, start: number, end: number): number {
    const taken = Math.min(this.remaining, end - start);
    this.remaining -= taken;
    return taken;
  }
}

/** A response delimited by the server closing its connection: every byte is body. */
class UntilCloseBody implements BodyReader {
  readonly done = false;
  take(_buf: Buffer, start: number, end: number): number {
    return end - start;
  }
}

const CR = 13;
const LF = 10;

const enum Chunk {
  SizeStart,
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

/** Chunk sizes up to 2^52 (13 hex digits) keep the count exact in a double. */
const maxSizeDigits = 13;
/** A chunk-size line's extensions, and the trailer section, are bounded like a head. */
const maxLineBytes = maxHeadBytes;

const hexValue = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit += 1) {
  hexValue['0123456789abcdef'.charCodeAt(digit)] = digit;
  hexValue['0123456789ABCDEF'.charCodeAt(digit)] = digit;
}

class ChunkedBody implements BodyReader {
  private state = Chunk.SizeStart;
  private remaining = 0;
  private digits = 0;
  /** Bytes of the current size line's extensions, or of the trailer section. */
  private lineBytes = 0;

  get done(): boolean {
    return this.state === Chunk.Done;
  }

  take(buf: Buffer, start: number, end: number): number {
    let at = start;
    while (at < end) {
      switch (this.state) {
        case Chunk.Data: {
          const skipped = Math.min(this.remaining, end - at);
          at += skipped;
          this.remaining -= skipped;
          if (this.remaining === 0) this.state = Chunk.DataCr;
          continue;
        }
        case Chunk.SizeStart:
        case Chunk.Size: {
          const byte = buf[at]!;
          const value = hexValue[byte]!;
          if (value >= 0) {
            if (++this.digits > maxSizeDigits) return -1;
            this.remaining = this.remaining * 16 + value;
            this.state = Chunk.Size;
          } else if (this.state === Chunk.SizeStart) {
            return -1;
          } else if (byte === CR) {
            this.state = Chunk.SizeLf;
          } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) {
            this.state = Chunk.Extension; // chunk-ext (and BWS before it): passed on as is
            this.lineBytes = 0;
          } else {
            return -1;
          }
          break;
        }
        case Chunk.Extension: {
          const byte = buf[at]!;
          if (byte === CR) this.state = Chunk.SizeLf;
          else if (byte === LF || ++this.lineBytes > maxLineBytes) return -1;
          break;
        }
        case Chunk.SizeLf:
          if (buf[at] !== LF) return -1;
          this.digits = 0;
          if (this.remaining > 0) {
            this.state = Chunk.Data;
          } else {
            this.state = Chunk.TrailerStart;
            this.lineBytes = 0;
          }
          break;
        case Chunk.DataCr:
          if (buf[at] !== CR) return -1;
          this.state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (buf[at] !== LF) return -1;
          this.state = Chunk.SizeStart;
          break;
        case Chunk.TrailerStart:
          if (buf[at] === CR) this.state = Chunk.EndLf;
          else if (buf[at] === LF) return -1;
          else this.state = Chunk.Trailer;
          break;
        case Chunk.Trailer: {
          const byte = buf[at]!;
          if (byte === CR) this.state = Chunk.TrailerLf;
          else if (byte === LF) return -1;
          break;
        }
        case Chunk.TrailerLf:
          if (buf[at] !== LF) return -1;
          this.state = Chunk.TrailerStart;
          break;
        case Chunk.EndLf:
          if (buf[at] !== LF) return -1;
          this.state = Chunk.Done;
          return at + 1 - start;
        case Chunk.Done:
          return at - start;
      }
      if (this.state >= Chunk.TrailerStart && ++this.lineBytes > maxLineBytes) return -1;
      at += 1;
    }
    return at - start;
  }
}

export function bodyReader(framing: Framing, contentLength: number): BodyReader {
  switch (framing) {
    case Framing.None:
      return noBody;
    case Framing.Length:
      return new LengthBody(contentLength);
    case Framing.Chunked:
      return new ChunkedBody();
    case Framing.UntilClose:
      return new UntilCloseBody();
  }
}
