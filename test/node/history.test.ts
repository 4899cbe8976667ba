// The pe-input series a node keeps: the newest pe-input-series-max inputs (-1: all, 0: none),
// each replayable.

import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseCibText } from '../../src/formats/index.js';
import { InputHistory } from '../../src/node/history.js';
import { schedule } from '../../src/scheduler/index.js';
import { cluster, dummy } from '../support/build.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function recordFive(seriesMax: string | undefined): InputHistory {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-history-'));
  dirs.push(dir);
  const history = new InputHistory(dir);
  const cib = cluster(['node1'], [dummy('web')]);
  if (seriesMax !== undefined) cib.configuration.properties['pe-input-series-max'] = seriesMax;
  const transition = schedule({ cib, nowS: 1_800_000_000 });
  for (let revision = 1; revision <= 5; revision++) history.record(cib, transition, revision);
  return history;
}

test('the newest pe-input-series-max inputs are kept, each replayable', () => {
  const kept = recordFive('3').list();
  assert.deepEqual(kept.map((entry) => entry.revision), [3, 4, 5]);
  const replayed = schedule({ cib: parseCibText(readFileSync(kept[2]!.file, 'utf8'), kept[2]!.file).cib, nowS: 1_800_000_000 });
  assert.deepEqual(replayed.summary.map((item) => item.line), kept[2]!.summary);
  assert.match(kept[2]!.summary[0]!, /Start +web/);
});

test('-1 keeps every input, 0 none, and unset the default 4000', () => {
  assert.equal(recordFive('-1').list().length, 5);
  assert.equal(recordFive('0').list().length, 0);
  assert.equal(recordFive(undefined).list().length, 5);
});
