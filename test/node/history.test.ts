// The pe-input series a node keeps: the newest pe-input-series-max inputs (-1: all, 0: none),
// each replayable.

import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runSimulation, simulateCommand } from '../../src/cli/simulate.js';
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
  for (let revision = 1; revision <= 5; revision++) history.record(cib, transition, revision, 1_800_000_000);
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

test('an input is replayed at the time it was decided (its execution-date): a failure that has since expired still counts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-history-'));
  dirs.push(dir);
  const decidedS = 1_700_000_000;
  const cib = cluster(['node1', 'node2'], [dummy('web', { 'migration-threshold': '1', 'failure-timeout': '10min' })]);
  const running = runSimulation(cib, { nodeUp: [], nodeDown: [], nodeFail: [], standby: [], opInject: [] }, decidedS - 120).after;
  const failed = runSimulation(running, { nodeUp: [], nodeDown: [], nodeFail: [], standby: [], opInject: ['web_monitor_10000@node1=1'] }, decidedS - 60).modified;
  const transition = schedule({ cib: failed, nowS: decidedS });
  const file = new InputHistory(dir).record(failed, transition, 1, decidedS)!;
  const summary = transition.summary.map((item) => item.line);
  assert.match(summary.join('\n'), /web +\( node1 -> node2 \)/, 'the failure moves web away');
  const replayed = simulateCommand(file, { nodeUp: [], nodeDown: [], nodeFail: [], standby: [], opInject: [] });
  assert.match(replayed, /^Using the original execution date of: 2023-11-14T22:13:20\.000Z\n/);
  assert.equal(replayed.slice(replayed.indexOf('Transition Summary:'), replayed.indexOf('\n\n', replayed.indexOf('Transition Summary:'))), ['Transition Summary:', ...summary].join('\n'));
  // Told another time (long after the failure-timeout), it decides otherwise: the date is what made it the same.
  const later = simulateCommand(file, { nodeUp: [], nodeDown: [], nodeFail: [], standby: [], opInject: [], time: String(decidedS + 86_400) });
  assert.doesNotMatch(later, /node1 -> node2/);
});
