import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { bodyReader } from '../../src/balancer/http-body.js';
import { Framing, findHeadEnd, HeadError, maxHeaderCount, maxHeadBytes, parseRequestHead, parseResponseHead } from '../../src/balancer/http-head.js';
import { composeHead } from '../../src/balancer/http-headers.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

function request(text: string, forwardFor?: string) {
  const buf = bytes(text);
  const end = findHeadEnd(buf, 0);
  assert.ok(end > 0, `no end of head in ${JSON.stringify(text)}`);
  return { buf, head: parseRequestHead(buf, 0, end, forwardFor === undefined ? undefined : bytes(forwardFor)) };
}

function response(text: string, requestIsHead = false) {
  const buf = bytes(text);
  return { buf, head: parseResponseHead(buf, 0, findHeadEnd(buf, 0), requestIsHead) };
}

/** The head as the proxy forwards it (dropped lines out, nothing added). */
const forwarded = (buf: Buffer, head: { end: number; dropped: number[] }) => composeHead(buf, 0, head.end, head.dropped, undefined, undefined, undefined, 0, 0).toString('latin1');

test('a request head: method, target, version, framing, and where it ends (what follows is the next request)', () => {
  const { buf, head } = request('POST /up?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n');
  assert.equal(buf.toString('latin1', 0, head.methodEnd), 'POST');
  assert.equal(buf.toString('latin1', head.targetStart, head.targetEnd), '/up?x=1');
  assert.equal(head.minorVersion, 1);
  assert.equal(head.framing, Framing.Length);
  assert.equal(head.contentLength, 5);
  assert.equal(buf.toString('latin1', head.end, head.end + 5), 'hello');
  assert.equal(head.wantsClose, false);
  assert.equal(request('HEAD / HTTP/1.1\r\nHost: a\r\n\r\n').head.isHead, true);
  assert.equal(request('GET / HTTP/1.0\r\n\r\n').head.wantsClose, true, 'HTTP/1.0 closes unless asked to keep alive');
  assert.equal(request('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').head.wantsClose, false);
  assert.equal(request('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').head.wantsClose, true);
  assert.equal(request('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n').head.framing, Framing.None);
  assert.equal(request('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n').head.framing, Framing.Chunked);
  const list = request('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n');
  assert.equal(list.head.contentLength, 7, 'a list of the same length is one length');
  assert.equal(list.head.lengthRewritten, true);
  assert.equal(forwarded(list.buf, list.head), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'the list is left out, for one clean header');
  assert.equal(request('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n').head.lengthRewritten, false);
  assert.equal(request('GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n', 'x-forwarded-for').head.hasForwardFor, true);
  assert.equal(request('GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'x-forwarded-for').head.hasForwardFor, false);
});

test('hop-by-hop headers are left out of the forwarded head, the ones Connection names too; the rest goes byte for byte', () => {
  const { buf, head } = request('GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nx-hop: 1\r\nTE: trailers\r\nUpgrade: websocket\r\nProxy-Connection: x\r\nTrailer: Y\r\nX-End:  kept as is \r\n\r\n');
  assert.equal(forwarded(buf, head), 'GET / HTTP/1.1\r\nHost: a\r\nX-End:  kept as is \r\n\r\n');
  const plain = request('GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT');
  const view = composeHead(plain.buf, 0, plain.head.end, plain.head.dropped, undefined, undefined, plain.buf, plain.head.end, plain.head.end + 2);
  assert.equal(view.buffer, plain.buf.buffer, 'an unchanged head and its body bytes are a view of what was read');
  assert.equal(view.toString('latin1'), 'GET / HTTP/1.1\r\nHost: a\r\n\r\nNE');
  const added = composeHead(buf, 0, head.end, head.dropped, bytes('X-Forwarded-For: 127.0.0.9\r\n'), bytes('Connection: close\r\n'), bytes('body'), 1, 3);
  assert.equal(added.toString('latin1'), 'GET / HTTP/1.1\r\nHost: a\r\nX-End:  kept as is \r\nX-Forwarded-For: 127.0.0.9\r\nConnection: close\r\n\r\nod');
});

test('Upgrade stays in a request that asks to switch protocols (HTTP/1.1, named by Connection) and in the 101 answering it; elsewhere it is hop-by-hop', () => {
  const asked = request('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nX: 1\r\n\r\n');
  assert.equal(asked.head.upgrade, true);
  assert.equal(forwarded(asked.buf, asked.head), 'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nX: 1\r\n\r\n', 'the proxy says Connection itself');
  assert.equal(request('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n').head.upgrade, true);
  for (const text of ['GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nX: 1\r\n\r\n', 'GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\nX: 1\r\n\r\n']) {
    const notAsked = request(text);
    assert.equal(notAsked.head.upgrade, false, text);
    assert.doesNotMatch(forwarded(notAsked.buf, notAsked.head), /Upgrade/, text);
  }
  assert.equal(request('GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n').head.upgrade, false, 'no protocol named');
  assert.equal(request('CONNECT 127.0.0.5:443 HTTP/1.1\r\nHost: 127.0.0.5:443\r\n\r\n').head.isConnect, true);
  const switching = response('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  assert.equal(forwarded(switching.buf, switching.head), 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
  const declined = response('HTTP/1.1 200 OK\r\nUpgrade: websocket\r\nContent-Length: 0\r\n\r\n');
  assert.equal(forwarded(declined.buf, declined.head), 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
});

test('requests HAProxy refuses with 400 are refused: smuggling vectors, bad lengths, obs-fold, invalid bytes, limits', () => {
  const refused: Record<string, string> = {
    'both Content-Length and Transfer-Encoding': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    'Transfer-Encoding then Content-Length': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n',
    'differing lengths in a list': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n',
    'differing Content-Length headers': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
    'a signed length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n',
    'a hex length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n',
    'an empty length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n',
    'a huge length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n',
    'a last coding other than chunked': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    'an unknown coding alone': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n',
    'chunked twice': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    'Transfer-Encoding in HTTP/1.0': 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n',
    'space before the colon': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\n',
    'obs-fold': 'GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n',
    'a NUL in a value': 'GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n',
    'a bare CR in a value': 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n',
    'a bare LF': 'GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n',
    'a bare LF head': 'GET / HTTP/1.1\nHost: a\n\n',
    'an empty header name': 'GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n',
    'a separator in a header name': 'GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n',
    'a bad method': 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n',
    'a space in the target': 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n',
    'a control byte in the target': 'GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n',
    'not HTTP/1.x': 'GET / HTTP/2.0\r\nHost: a\r\n\r\n',
    'HTTP/0.9': 'GET /\r\n\r\n',
    'no Host in HTTP/1.1': 'GET / HTTP/1.1\r\nX: y\r\n\r\n',
    'two Host headers': 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    'too many headers': `GET / HTTP/1.1\r\nHost: a\r\n${'X: y\r\n'.repeat(maxHeaderCount)}\r\n`,
    'too large a head': `GET / HTTP/1.1\r\nHost: a\r\nX: ${'y'.repeat(maxHeadBytes)}\r\n\r\n`,
  };
  for (const [what, text] of Object.entries(refused)) {
    const buf = bytes(text);
    const end = findHeadEnd(buf, 0);
    assert.ok(end > 0, what);
    assert.throws(() => parseRequestHead(buf, 0, end), HeadError, what);
  }
});

test('a response head: framing by status, HEAD, Transfer-Encoding over Content-Length, until close', () => {
  assert.equal(response('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n').head.framing, Framing.Length);
  assert.equal(response('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n', true).head.framing, Framing.None, 'HEAD: no body whatever the length');
  for (const status of [100, 103, 204, 304]) assert.equal(response(`HTTP/1.1 ${status} X\r\nContent-Length: 3\r\n\r\n`).head.framing, Framing.None, `${status}`);
  const both = response('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n');
  assert.equal(both.head.framing, Framing.Chunked);
  assert.equal(forwarded(both.buf, both.head), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n', 'the length beside chunked is left out');
  const unbounded = response('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n');
  assert.equal(unbounded.head.framing, Framing.UntilClose);
  assert.equal(unbounded.head.wantsClose, true);
  assert.equal(response('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n').head.wantsClose, true);
  assert.equal(response('HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n').head.status, 200, 'the reason phrase may be left out');
  for (const bad of ['garbage\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n']) {
    const buf = bytes(bad);
    assert.throws(() => parseResponseHead(buf, 0, findHeadEnd(buf, 0), false), HeadError, bad);
  }
});

test('a chunked body is delimited exactly, however it is split across reads, extensions and trailers included', () => {
  const body = '5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n';
  const next = 'GET /next HTTP/1.1\r\n';
  const whole = bytes(body + next);
  for (let split = 0; split <= body.length; split += 1) {
    const reader = bodyReader(Framing.Chunked, -1);
    const first = reader.take(whole, 0, split);
    assert.equal(first, split, `split at ${split}: all of the first part is body`);
    assert.equal(reader.done, split === body.length);
    const second = reader.take(whole, split, whole.length);
    assert.equal(first + second, body.length, `split at ${split}`);
    assert.equal(reader.done, true);
  }
  for (const bad of ['x\r\n', '5\r\nhelloXX', '5\nhello\r\n', '12345678901234\r\n', '0\r\nX: y\n']) {
    const reader = bodyReader(Framing.Chunked, -1);
    assert.equal(reader.take(bytes(bad), 0, bad.length), -1, JSON.stringify(bad));
  }
  const length = bodyReader(Framing.Length, 4);
  assert.equal(length.take(bytes('abcdef'), 1, 3), 2);
  assert.equal(length.take(bytes('abcdef'), 0, 6), 2);
  assert.equal(length.done, true);
});

test('property: any chunked body, cut into any reads, is delimited exactly; any bytes as a head are parsed or refused with HeadError, never anything else', () => {
  const chunkedMessage = fc
    .record({
      chunks: fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 6 }),
      extension: fc.constantFrom('', ';a=b', ' ;x'),
      trailers: fc.array(fc.constantFrom('X-A: 1', 'X-Checksum: abc'), { maxLength: 2 }),
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
    })
    .map(({ chunks, extension, trailers, cuts }) => {
      const parts: Buffer[] = chunks.map((chunk) => Buffer.concat([bytes(`${chunk.length.toString(16)}${extension}\r\n`), Buffer.from(chunk), bytes('\r\n')]));
      parts.push(bytes(`0\r\n${trailers.map((line) => `${line}\r\n`).join('')}\r\n`));
      const body = Buffer.concat(parts);
      return { body, cuts: [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b) };
    });
  fc.assert(
    fc.property(chunkedMessage, ({ body, cuts }) => {
      const whole = Buffer.concat([body, bytes('GET / HTTP/1.1\r\n')]);
      const reader = bodyReader(Framing.Chunked, -1);
      let taken = 0;
      for (const [index, from] of [0, ...cuts].entries()) {
        const to = index < cuts.length ? cuts[index]! : whole.length;
        if (to <= from) continue;
        const count = reader.take(whole, from, to);
        assert.ok(count >= 0);
        taken += count;
        if (reader.done) break;
      }
      if (!reader.done) taken += reader.take(whole, taken, whole.length);
      assert.equal(taken, body.length);
      assert.equal(reader.done, true);
    }),
    { numRuns: 300 },
  );
  const headBytes = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((array) => Buffer.from(array)),
    fc.array(fc.constantFrom('GET / HTTP/1.1', 'Host: a', 'Content-Length: 3', 'Transfer-Encoding: chunked', ' folded', 'X:\ty', 'Connection: close, X', '\x00', ':', ''), { maxLength: 8 }).map((lines) => bytes(`${lines.join('\r\n')}\r\n\r\n`)),
  );
  fc.assert(
    fc.property(headBytes, (buf) => {
      const end = findHeadEnd(buf, 0);
      if (end < 0) return;
      for (const parse of [() => parseRequestHead(buf, 0, end), () => parseResponseHead(buf, 0, end, false)]) {
        try {
          const head = parse();
          assert.ok(head.end === end && head.dropped.every((offset) => offset >= 0 && offset <= end));
        } catch (error) {
          assert.ok(error instanceof HeadError, String(error));
        }
      }
    }),
    { numRuns: 500 },
  );
});
