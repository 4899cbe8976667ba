// The head of a server's response as it arrives: it may come over several reads (kept, as a
// copy, until whole: the server connection's read buffer is reused), and interim 1xx answers
// (100-continue, 103) come before the final one, each passed on to the client as it is. A 101
// is final: it answers a request that asked to switch protocols, and what follows is the tunnel.

import { findHeadEnd, HeadError, maxHeadBytes, parseResponseHead, type ResponseHead } from './http-head.js';
import { composeHead } from './http-headers.js';

/** The final response head in buf[start, head.end); what follows it in buf is body. */
export interface FinalHead {
  buf: Buffer;
  start: number;
  head: ResponseHead;
}

export class ResponseHeadReader {
  private readonly requestIsHead: boolean;
  private readonly requestUpgrade: boolean;
  /** What was read of the head so far (a copy). */
  private pending: Buffer | undefined;

  constructor(requestIsHead: boolean, requestUpgrade: boolean) {
    this.requestIsHead = requestIsHead;
    this.requestUpgrade = requestUpgrade;
  }

  /** Some of a head has been read and not all of it. */
  get started(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Reads `chunk`: the final head once it is all there (undefined until then); `client` gets
   * each 1xx answer's bytes. Throws HeadError for what the parser refuses, a head over the
   * limit, or a 101 nobody asked for (an upgrade needs an HTTP/1.1 request that asked for one).
   */
  read(chunk: Buffer, client: { interimResponse(bytes: Buffer): void }): FinalHead | undefined {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let start = 0;
    for (let answers = 0; answers < 100; answers += 1) {
      const end = findHeadEnd(buf, start);
      if (end < 0) {
        if (buf.length - start > maxHeadBytes) throw new HeadError('response head too large');
        if (start < buf.length) this.pending = Buffer.from(start === 0 ? buf : buf.subarray(start));
        return undefined;
      }
      const head = parseResponseHead(buf, start, end, this.requestIsHead);
      if (head.status === 101 && !this.requestUpgrade) throw new HeadError('101 without an upgrade asked for');
      if (head.status >= 200 || head.status === 101) return { buf, start, head };
      client.interimResponse(composeHead(buf, start, end, head.dropped, undefined, undefined, undefined, 0, 0));
      start = end;
    }
    throw new HeadError('too many interim responses');
  }
}
