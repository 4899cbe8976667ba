// One daemon per data directory: a second `tandem node` (or `tandem cluster init|join|start`)
// on it is refused, naming the directory and the holder's pid, while the first runs on; a
// lock left by a daemon killed with -9 is stale and taken over.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { lockDataDir } from '../../src/node/data-dir-lock.js';
import { identify } from '../../src/agents/process-identity.js';
import { cli, TestNode, waitFor } from '../support/daemon.js';

const node = new TestNode();
const { dataDir } = node;
after(() => node.close());

const refusal = (pid: number) => `tandem: ${dataDir} is in use by another tandem process (pid ${pid}, lock ${dataDir}/tandem.lock): stop it first, or give another --data-dir\n`;

function secondDaemon(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });
}

test('a second daemon on the same data directory is refused while the first runs on; after kill -9 of the first, a new one starts', async () => {
  const first = node.start('first.log');
  await waitFor('the first daemon', () => node.status() !== undefined);
  const revision = node.status()!.revision;

  const second = secondDaemon('node', '--name', 'node1');
  assert.equal(second.status, 1);
  assert.equal(second.stderr, refusal(first.pid!));
  for (const lifecycle of [['cluster', 'start'], ['cluster', 'init', '--credentials', join(node.dir, 'none'), '--address', '127.0.0.1'], ['cluster', 'join', '--credentials', join(node.dir, 'none'), '--peer', '127.0.0.1']]) {
    const refused = secondDaemon(...lifecycle);
    assert.equal(refused.status, 1, `tandem ${lifecycle.join(' ')}: ${refused.stderr}`);
    assert.equal(refused.stderr, refusal(first.pid!), `tandem ${lifecycle.join(' ')}`);
  }
  assert.equal(existsSync(join(dataDir, 'cluster.json')), false, 'the refused cluster commands wrote nothing');
  assert.equal(node.status()?.revision, revision, 'the first daemon still answers on its socket, its store untouched');

  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  assert.ok(existsSync(join(dataDir, 'tandem.lock')), 'kill -9 left the lock behind');
  const third = node.start('third.log');
  await waitFor('a daemon on the stale lock', () => node.status() !== undefined);
  assert.equal(JSON.parse(readFileSync(join(dataDir, 'tandem.lock'), 'utf8')).pid, third.pid);
});

test('a lock naming a live process that is not its holder (its pid reused) is stale; a clean release removes the lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-lock-test-'));
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    mkdirSync(dir, { recursive: true });
    const live = identify(sleeper.pid!)!;
    writeFileSync(join(dir, 'tandem.lock'), JSON.stringify({ pid: live.pid, startTicks: live.startTicks! - 1 }) + '\n');
    const lock = lockDataDir(dir);
    assert.equal(JSON.parse(readFileSync(join(dir, 'tandem.lock'), 'utf8')).pid, process.pid);
    lock.release();
    assert.equal(existsSync(join(dir, 'tandem.lock')), false);
  } finally {
    sleeper.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
