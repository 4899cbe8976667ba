// The agent calls a killed daemon left behind: noted in the journal by the real OCF runner,
// found by the next incarnation, waited for, and ended by their process group when they
// overrun their deadline. Real processes throughout; the clock is never asserted on.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pino from 'pino';
import { runOcfAgent } from '../../src/agents/ocf.js';
import { InflightJournal, readInflight } from '../../src/node/inflight-journal.js';
import { leftoverStep, settleLeftovers } from '../../src/node/leftovers.js';
import { identify, stillRunning } from '../../src/agents/process-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-leftovers-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function capturingLog() {
  const lines: Array<{ msg: string; resource?: string; operation?: string; signal?: string }> = [];
  return { lines, log: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }) };
}

test('what to do about a leftover call: wait until its deadline, then SIGTERM, then SIGKILL; an unwatchable one is waited out', () => {
  const process = { pid: 1234, startTicks: 5 };
  assert.equal(leftoverStep({ deadlineMs: 10_000, process }, true, 9_999), 'wait');
  assert.equal(leftoverStep({ deadlineMs: 10_000, process }, true, 10_000), 'terminate');
  assert.equal(leftoverStep({ deadlineMs: 10_000, process }, true, 20_000), 'kill');
  assert.equal(leftoverStep({ deadlineMs: 10_000, process }, false, 9_999), 'ended');
  assert.equal(leftoverStep({ deadlineMs: 10_000, process: undefined }, false, 9_999), 'wait');
  assert.equal(leftoverStep({ deadlineMs: 10_000, process: undefined }, false, 10_000), 'ended');
});

test('the OCF runner notes a call while it runs, with its process, and forgets it once it ended', async () => {
  const ocfRoot = join(dir, 'ocf');
  const agentDir = join(ocfRoot, 'resource.d', 'test');
  mkdirSync(agentDir, { recursive: true });
  const marker = join(dir, 'agent-running');
  writeFileSync(join(agentDir, 'Slow'), `#!/bin/sh\ntouch ${marker}\nwhile [ -e ${marker} ]; do sleep 0.05; done\nexit 0\n`);
  chmodSync(join(agentDir, 'Slow'), 0o755);
  const journalDir = join(dir, 'journal-runner');
  const call = runOcfAgent({ agent: { class: 'ocf', provider: 'test', type: 'Slow' }, action: 'start', instance: 'slow', params: {}, meta: {}, timeoutMs: 20_000, ocfRoot }, new InflightJournal(journalDir));
  for (let polls = 0; polls < 200 && !existsSync(marker); polls += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  const [noted] = readInflight(journalDir).calls;
  assert.equal(noted?.instance, 'slow');
  assert.equal(noted?.action, 'start');
  assert.ok(noted?.process && stillRunning(noted.process), 'the noted process is the running agent');
  rmSync(marker);
  assert.equal((await call).rc, 0);
  assert.deepEqual(readdirSync(journalDir), []);
});

test('a leftover call past its deadline that ignores SIGTERM is killed with its process group; its journal entry goes', async () => {
  const journalDir = join(dir, 'journal-overrun');
  const agent = spawn('/bin/sh', ['-c', 'trap "" TERM; sleep 300 & wait'], { detached: true, stdio: 'ignore' });
  const entry = new InflightJournal(journalDir).begin({ instance: 'stuck', action: 'stop', deadlineMs: Date.now() });
  entry.spawned(agent.pid!);
  const identity = identify(agent.pid!)!;
  const exited = new Promise((resolve) => agent.once('exit', (_code, signal) => resolve(signal)));
  const { lines, log } = capturingLog();
  await settleLeftovers(journalDir, log);
  assert.equal(await exited, 'SIGKILL');
  assert.equal(stillRunning(identity), false);
  assert.deepEqual(lines.filter((line) => line.signal).map((line) => `${line.resource} ${line.operation} ${line.signal}`), ['stuck stop SIGTERM', 'stuck stop SIGKILL']);
  assert.deepEqual(readdirSync(journalDir), []);
});

test('a leftover whose process is gone, one never started, and an unreadable record are cleared at once', async () => {
  const journalDir = join(dir, 'journal-gone');
  const journal = new InflightJournal(journalDir);
  const finished = spawn('/bin/true');
  await new Promise((resolve) => finished.once('exit', resolve));
  journal.begin({ instance: 'gone', action: 'start', deadlineMs: Date.now() + 600_000 }).spawned(finished.pid!);
  journal.begin({ instance: 'unstarted', action: 'start', deadlineMs: Date.now() - 1 });
  writeFileSync(join(journalDir, 'torn.call'), '{"instance":"torn","act');
  const { lines, log } = capturingLog();
  await settleLeftovers(journalDir, log);
  assert.deepEqual(lines.filter((line) => line.msg === 'operation of the previous incarnation ended').map((line) => line.resource).sort(), ['gone', 'unstarted']);
  assert.equal(lines.filter((line) => line.msg.startsWith('unreadable record')).length, 1);
  assert.deepEqual(readdirSync(journalDir), []);
});
