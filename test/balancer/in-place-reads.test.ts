import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { connect, createServer, type Socket } from 'node:net';
import { copiesTo, InPlaceReads, readInto, withOwnReads } from '../../src/balancer/in-place-reads.js';

/** Reads `text` through `reads` as Node would: into the buffer it offers, then the callback. */
function read(reads: InPlaceReads, text: string): Buffer {
  const buffer = reads.onread.buffer();
  const bytes = buffer.write(text, 'latin1');
  reads.onread.callback(bytes, buffer);
  return buffer;
}

test('in-place reads: the buffer is reused while the sink keeps nothing, and replaced once a write still holds bytes of it', () => {
  let holds = false;
  const seen: string[] = [];
  const reads = new InPlaceReads(copiesTo(() => assert.fail('no copy once a sink is set')));
  reads.sink = { data: (chunk) => (seen.push(chunk.toString('latin1')), true), holdsReadBytes: () => holds };
  const first = read(reads, 'one');
  assert.equal(reads.onread.buffer(), first, 'nothing held: the same buffer again');
  holds = true;
  read(reads, 'two');
  const third = reads.onread.buffer();
  assert.notEqual(third, first, 'a write still holds the old buffer: the next read goes elsewhere');
  assert.equal(first.toString('latin1', 0, 3), 'two', 'the held bytes are left as they were');
  assert.deepEqual(seen, ['one', 'two']);
});

test('in-place reads: before a sink, each read is handed over as a copy; the sink says when to pause', () => {
  const copies: Buffer[] = [];
  const reads = new InPlaceReads(copiesTo((copy) => copies.push(copy)));
  const buffer = read(reads, 'early');
  buffer.write('xxxxx', 'latin1');
  assert.equal(copies[0]!.toString('latin1'), 'early', 'a copy, not a view of the buffer read into');
  reads.sink = { data: () => false, holdsReadBytes: () => false };
  const again = reads.onread.buffer();
  assert.equal(reads.onread.callback(again.write('late', 'latin1'), again), false);
});

test('in-place reads: a released buffer serves one new socket, once, however often it is released', () => {
  const released = new InPlaceReads(copiesTo(() => {}));
  const buffer = released.onread.buffer();
  released.release();
  released.release();
  const next = new InPlaceReads(copiesTo(() => {}));
  const after = new InPlaceReads(copiesTo(() => {}));
  assert.equal(next.onread.buffer(), buffer, 'the spare buffer is taken');
  assert.notEqual(after.onread.buffer(), buffer, 'and not handed out twice');
});

test('an accepted socket is rebuilt to read in place: its bytes come as copies in data events, then straight to a sink, and pausing holds them back', async () => {
  const accepted: Socket[] = [];
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  try {
    await new Promise((resolve) => client.once('connect', resolve));
    for (let waited = 0; accepted.length === 0 && waited < 100; waited += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const socket = withOwnReads(accepted[0]!);
    assert.notEqual(socket, accepted[0], 'this Node lets tandem take the handle: the socket was rebuilt');
    const nextData = () => new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    socket.resume();
    client.write('copied');
    assert.equal(await nextData(), 'copied');
    const sunk: string[] = [];
    let arrived: () => void = () => {};
    readInto(socket, { data: (chunk) => (sunk.push(chunk.toString()), arrived(), false), holdsReadBytes: () => false });
    client.write('in place');
    await new Promise<void>((resolve) => (arrived = resolve));
    assert.deepEqual(sunk, ['in place']);
    client.write('held back');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(sunk, ['in place'], 'the sink said false: reading paused');
    const resumed = new Promise<void>((resolve) => (arrived = resolve));
    socket.resume();
    await resumed;
    assert.deepEqual(sunk, ['in place', 'held back']);
    socket.destroy();
  } finally {
    client.destroy();
    server.close();
  }
});
