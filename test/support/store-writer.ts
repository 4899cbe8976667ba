// A child process for the store crash test: commits changes to an embedded store as fast as
// it can and prints each acknowledged revision, until it is killed (or after a bound).

import { EmbeddedStore } from '../../src/store/embedded.js';

const directory = process.argv[2]!;
const maxChanges = 10_000;
const store = EmbeddedStore.open(directory);
for (let change = 0; change < maxChanges; change += 1) {
  const committed = await store.update((cib) => {
    const counter = Number(cib.configuration.properties['test-counter'] ?? '0');
    cib.configuration.properties['test-counter'] = String(counter + 1);
    // Enough text that a write is more than one page: a torn file would show.
    cib.configuration.properties['test-padding'] = 'x'.repeat(20_000 + (counter % 7) * 1_000);
    return cib;
  });
  process.stdout.write(`ack ${committed.revision} ${committed.cib.configuration.properties['test-counter']}\n`);
}
