// The node daemon with real OCF agents (ocf:heartbeat:Dummy from Debian's resource-agents).
// Every wait is bounded; the daemon is ended by PID and the temporary directory removed.

import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { cli, TestNode, waitFor as waitUntil, type Report } from '../support/daemon.js';

const node = new TestNode();
const { dir, dataDir } = node;
const main = cli;
after(() => node.close());
const tandem = (...args: string[]) => node.tandem(...args);
const status = () => node.status();
const startDaemon = (logName: string) => node.start(logName);
const operations = (logName: string, operation: string) => node.operations(logName, operation);
/** Waits, and on a timeout says what the node reported last. */
const waitFor = (what: string, condition: () => boolean, limitMs?: number) => waitUntil(what, condition, limitMs, () => {
  const report = status();
  return report && { roles: roles(report), pending: report.pending, failCounts: report.failCounts };
});

function roles(report: Report | undefined): string {
  const group = report?.view.resources.find((resource) => resource.kind === 'group');
  return (group?.members ?? []).map((member) => `${member.id}:${member.role}@${member.nodes.join(',')}`).join(' ');
}

const config = `primitive ip ocf:heartbeat:Dummy params state=${dir}/ip.state op monitor interval=1s timeout=10s
primitive web ocf:heartbeat:Dummy params state=${dir}/web.state op monitor interval=1s timeout=10s
group g ip web
property stonith-enabled=false
`;

test('commands say clearly when the daemon is not running', () => {
  const result = tandem('status');
  assert.equal(result.status, 1);
  assert.equal(result.stderr, `tandem: the node daemon is not running (no socket at ${dataDir}/tandem.sock); start it with: tandem node --data-dir ${dataDir}\n`);
});

test('a node runs a group with real OCF agents, recovers a failure and survives kill -9', async () => {
  const first = startDaemon('first.log');
  await waitFor('the control socket', () => status() !== undefined);
  // Only its owner (root, here) may talk to the daemon: the socket's file permissions are the authentication.
  assert.equal(statSync(join(dataDir, 'tandem.sock')).mode & 0o777, 0o600);
  assert.equal(statSync(dataDir).mode & 0o077, 0, 'nor may others reach into its data directory');

  const file = join(dir, 'cluster.crm');
  writeFileSync(file, config);
  const loaded = tandem('configure', 'load', file);
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('the group to start', () => roles(status()) === 'ip:Started@node1 web:Started@node1');
  assert.ok(existsSync(join(dir, 'ip.state')) && existsSync(join(dir, 'web.state')), 'the Dummy agents really ran');

  // A bad configuration changes nothing and says where it is wrong.
  const before = status()!.revision;
  const bad = join(dir, 'bad.crm');
  writeFileSync(bad, `${config}colocation c inf: web nowhere\n`);
  const rejected = tandem('configure', 'load', bad);
  assert.equal(rejected.status, 1);
  assert.equal(rejected.stderr, `tandem: ${bad}:5:23: constraint names resource "nowhere", which is not defined\n`);
  assert.equal(status()!.revision, before);

  // The service dies behind the cluster's back: the monitor notices and recovers it.
  rmSync(join(dir, 'web.state'));
  await waitFor('recovery of web', () => {
    const report = status();
    return existsSync(join(dir, 'web.state')) && report?.failCounts.some((entry) => entry.resource === 'web' && entry.count === 1) === true && roles(report) === 'ip:Started@node1 web:Started@node1';
  });
  assert.ok(status()!.failedActions.some((action) => action.resource === 'web' && action.operation === 'monitor' && action.rc === 7));
  assert.deepEqual(operations('first.log', 'stop'), ['web=0']);

  // kill -9 the daemon; a new one learns what runs by probing and starts nothing twice.
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  startDaemon('second.log');
  await waitFor('the restarted node to settle', () => {
    const report = status();
    return report !== undefined && report.pending.length === 0 && roles(report) === 'ip:Started@node1 web:Started@node1';
  });
  assert.deepEqual(operations('second.log', 'monitor').sort(), ['ip=0', 'web=0']);
  assert.deepEqual(operations('second.log', 'start'), []);
  assert.ok(status()!.failCounts.some((entry) => entry.resource === 'web' && entry.count === 1), 'fail counts survive the restart');
});

test("the operator's commands: cleanup, stop/start, ban/clear, standby/online, migration-threshold, history", async () => {
  const ok = (...args: string[]) => {
    const result = tandem(...args);
    assert.equal(result.status, 0, `tandem ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const settled = (expected: string) => () => {
    const report = status();
    return report !== undefined && report.pending.length === 0 && roles(report) === expected;
  };
  const running = 'ip:Started@node1 web:Started@node1';
  const stopped = 'ip:Stopped@ web:Stopped@';

  ok('resource', 'cleanup', 'web');
  await waitFor('cleanup to forget the failure', () => status()?.failCounts.length === 0 && status()?.failedActions.length === 0);
  await waitFor('web re-probed and running', settled(running));

  ok('resource', 'stop', 'g');
  await waitFor('the group to stop', settled(stopped));
  assert.ok(!existsSync(join(dir, 'ip.state')) && !existsSync(join(dir, 'web.state')));
  ok('resource', 'start', 'g');
  await waitFor('the group to start again', settled(running));

  // Named no node, a ban is from the node the group runs on, as crm_resource --ban does.
  ok('resource', 'ban', 'g');
  await waitFor('a ban on the only node to stop it', settled(stopped));
  assert.match(tandem('configure', 'show').stdout, /location cli-ban-g-on-node1 g -INFINITY: node1/);
  // crm_mon's "Last change": when the configuration last changed, by what, on which node.
  assert.match(ok('status'), /\* Last change: {2}\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} via tandem resource on node1\n/);
  const nowhere = tandem('resource', 'move', 'g');
  assert.notEqual(nowhere.status, 0);
  assert.match(nowhere.stderr, /g is not running anywhere: name the node to move it to/);
  ok('resource', 'clear', 'g');
  await waitFor('clear to let it run', settled(running));

  ok('node', 'standby', 'node1');
  await waitFor('standby to empty the node', settled(stopped));
  ok('node', 'online', 'node1');
  await waitFor('online to bring it back', settled(running));

  assert.equal(ok('property', 'get', 'stonith-enabled'), 'stonith-enabled=false\n');
  ok('property', 'set', 'migration-threshold-test', 'kept');
  assert.equal(ok('property', 'get', 'migration-threshold-test'), 'migration-threshold-test=kept\n');

  // A ticket the group needs: without it the group stops; granted, it runs again (crm_ticket's --force too).
  writeFileSync(join(dir, 'ticket.crm'), `${config}rsc_ticket g-needs-site site: g loss-policy=stop\n`);
  ok('configure', 'load', join(dir, 'ticket.crm'));
  await waitFor('the group to stop for want of its ticket', settled(stopped));
  ok('ticket', 'grant', 'site', '--force');
  await waitFor('the granted ticket to let the group run', settled(running));
  assert.match(ok('status'), /\* Tickets:\n {4}\* site:\tgranted \(last-granted=/);
  ok('ticket', 'revoke', 'site', '--force');
  await waitFor('the revoked ticket to stop the group', settled(stopped));
  ok('configure', 'load', join(dir, 'cluster.crm'));
  await waitFor('the group back without its ticket constraint', settled(running));

  // migration-threshold=1: one failure bans the member from the node. Its group would move
  // with it, but with no other node Pacemaker rolls the ban back for the members before it
  // (crm_simulate agrees): ip stays, web stays stopped until the failure is cleaned up.
  writeFileSync(join(dir, 'threshold.crm'), config.replace('primitive web ocf:heartbeat:Dummy', 'primitive web ocf:heartbeat:Dummy meta migration-threshold=1'));
  ok('configure', 'load', join(dir, 'threshold.crm'));
  rmSync(join(dir, 'web.state'));
  await waitFor('web to be stopped and banned after one failure', settled('ip:Started@node1 web:Stopped@'));
  assert.ok(status()!.failCounts.some((entry) => entry.resource === 'web' && entry.count === 1));
  ok('resource', 'cleanup', 'web');
  await waitFor('cleanup to let web run again', settled(running));

  const history = ok('history');
  const inputs = history.split('\n').filter((line) => line.endsWith(')') && line.includes('pe-input-'));
  assert.ok(inputs.length >= 5, history);
  const replay = spawnSync(process.execPath, [main, 'simulate', inputs[0]!.split(' ')[0]!], { encoding: 'utf8' });
  assert.equal(replay.status, 0, replay.stderr);
  assert.match(replay.stdout, /Transition Summary:\n {2}\* Start/);
});

test('a supervised process (tandem:process) that dies is restarted at once, not at the next monitor', async () => {
  writeFileSync(join(dir, 'process.crm'), `${config}primitive sleeper tandem:process params command="exec sleep 600" op monitor interval=60s\n`);
  const loaded = tandem('configure', 'load', join(dir, 'process.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  const pidfile = join(dataDir, 'run', 'sleeper.pid');
  const sleeperStarted = () => (status()?.view.resources as Array<{ id?: string; role?: string }> | undefined)?.some((resource) => resource.id === 'sleeper' && resource.role === 'Started') === true;
  await waitFor('the process to run', () => existsSync(pidfile) && sleeperStarted() && status()?.pending.length === 0);
  const first = Number.parseInt(readFileSync(pidfile, 'utf8'), 10);
  process.kill(first, 'SIGKILL');
  // The monitor interval is 60 s: a restart within the wait below comes from the exit itself.
  await waitFor('a new process', () => existsSync(pidfile) && Number.parseInt(readFileSync(pidfile, 'utf8'), 10) !== first, 5_000);
  const second = Number.parseInt(readFileSync(pidfile, 'utf8'), 10);
  assert.doesNotThrow(() => process.kill(second, 0));
  await waitFor('the failure to be counted', () => status()?.failCounts.some((entry) => entry.resource === 'sleeper' && entry.count === 1) === true);
});

test('configure edit saves what the editor changed; resource restart stops, then starts', async () => {
  const edit = spawnSync(process.execPath, [main, 'configure', 'edit', '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, EDITOR: 'sed -i s/interval=60s/interval=30s/' } });
  assert.equal(edit.status, 0, edit.stderr);
  assert.match(tandem('configure', 'show').stdout, /primitive sleeper tandem:process[^]*op monitor interval=30s/);
  // An edit that does not parse changes nothing and says where it is wrong.
  const revision = status()!.revision;
  const broken = spawnSync(process.execPath, [main, 'configure', 'edit', '--data-dir', dataDir], { encoding: 'utf8', env: { ...process.env, EDITOR: 'sed -i s/interval=30s/interval=thirty/' } });
  assert.equal(broken.status, 1);
  const kept = /^tandem: (\/.*configuration\.crm):\d+:\d+: .*interval.*the edit is kept in \1/.exec(broken.stderr);
  assert.ok(kept, broken.stderr);
  assert.match(readFileSync(kept[1]!, 'utf8'), /interval=thirty/, 'the rejected edit is kept for the operator');
  rmSync(dirname(kept[1]!), { recursive: true, force: true });
  assert.equal(status()!.revision, revision);
  assert.match(tandem('configure', 'show').stdout, /op monitor interval=30s/);
  const pidfile = join(dataDir, 'run', 'sleeper.pid');
  const before = Number.parseInt(readFileSync(pidfile, 'utf8'), 10);
  const restarted = tandem('resource', 'restart', 'sleeper');
  assert.equal(restarted.status, 0, restarted.stderr);
  await waitFor('sleeper to run again', () => existsSync(pidfile) && Number.parseInt(readFileSync(pidfile, 'utf8'), 10) !== before && status()?.pending.length === 0);
});

test('a failed start is fatal (start-failure-is-fatal): fail count INFINITY, and it is not retried here', async () => {
  writeFileSync(join(dir, 'broken.crm'), `${config}primitive broken tandem:process params command="exit 1"\n`);
  const loaded = tandem('configure', 'load', join(dir, 'broken.crm'));
  assert.equal(loaded.status, 0, loaded.stderr);
  await waitFor('the start failure to ban it', () => {
    const report = status();
    return report?.failCounts.some((entry) => entry.resource === 'broken' && entry.count === 1_000_000) === true && report.pending.length === 0;
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.deepEqual(operations('second.log', 'start').filter((entry) => entry.startsWith('broken=')), ['broken=1']);
  assert.match(tandem('status').stdout, /\* broken: migration-threshold=1000000 fail-count=INFINITY last-failure=/);
});

test('status --watch refreshes and shows a change as it happens', async () => {
  const watch = spawn(process.execPath, [main, 'status', '--watch', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  watch.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  try {
    const refreshes = () => seen.split('Cluster Summary:').length - 1;
    await waitFor('two refreshes', () => refreshes() >= 2);
    assert.match(seen, /\* ip\t\(ocf:heartbeat:Dummy\):\t Started node1/);
    assert.equal(tandem('resource', 'stop', 'g').status, 0);
    const shown = refreshes();
    await waitFor('the stop to show', () => refreshes() > shown && /\* ip\t\(ocf:heartbeat:Dummy\):\t Stopped \(disabled\)\n[^]*$/.test(seen.slice(seen.lastIndexOf('Cluster Summary:'))));
  } finally {
    watch.kill('SIGTERM');
  }
  assert.equal(tandem('resource', 'start', 'g').status, 0);
});
