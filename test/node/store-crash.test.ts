// The embedded store under kill -9: a writer commits changes as fast as it can and prints
// each one it was told is durable; it is killed at a different moment each round, and the
// store opened again must hold every acknowledged change, whole.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EmbeddedStore } from '../../src/store/embedded.js';

const storeModule = new URL('../../src/store/embedded.js', import.meta.url).href;
/** The writer: commits changes as fast as it can and prints each acknowledged revision (bounded in count). */
const writer = `
import { EmbeddedStore } from ${JSON.stringify(storeModule)};
const store = EmbeddedStore.open(process.argv[1]);
for (let change = 0; change < 10000; change += 1) {
  const committed = await store.update((cib) => {
    const counter = Number(cib.configuration.properties['test-counter'] ?? '0');
    cib.configuration.properties['test-counter'] = String(counter + 1);
    // Enough text that a write is more than one page: a torn file would show.
    cib.configuration.properties['test-padding'] = 'x'.repeat(20000 + (counter % 7) * 1000);
    return cib;
  });
  process.stdout.write('ack ' + committed.revision + ' ' + committed.cib.configuration.properties['test-counter'] + '\\n');
}
`;
const dir = mkdtempSync(join(tmpdir(), 'tandem-store-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until it has acknowledged `acks` more changes plus a little, kills it with SIGKILL, and returns the last revision it acknowledged. */
async function killWhileWriting(acks: number, extraMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let lastAcked = -1;
  let seen = 0;
  let buffered = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`the writer acknowledged ${seen} changes in 20 s`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [, revision, counter] = line.split(' ');
        assert.equal(Number(counter), Number(revision), 'the counter moves with the revision');
        lastAcked = Number(revision);
        seen += 1;
      }
      if (seen >= acks) {
        clearTimeout(limit);
        resolve();
      }
    });
  });
  await new Promise((resolve) => setTimeout(resolve, extraMs));
  child.kill('SIGKILL');
  await exited;
  return lastAcked;
}

test('kill -9 at any moment: every acknowledged change is there when the store opens again, and nothing is torn', async () => {
  let previous = 0;
  for (let round = 0; round < 12; round += 1) {
    const acked = await killWhileWriting(3 + (round % 4), (round * 7) % 23);
    assert.ok(acked > previous, `round ${round}: the writer made progress`);
    const store = EmbeddedStore.open(dir);
    const { revision, cib } = await store.read();
    await store.close();
    assert.ok(revision >= acked, `round ${round}: revision ${revision} holds the acknowledged ${acked}`);
    assert.equal(cib.configuration.properties['test-counter'], String(revision), 'the state is the one of its revision');
    previous = revision;
  }
});
