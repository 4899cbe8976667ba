import { strict as assert } from 'node:assert';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Balancer } from '../../src/balancer/balancer.js';
import { clustercheckAnswer, parseLocalState } from '../../src/clustercheck/decision.js';
import { clientArguments } from '../../src/clustercheck/mysql-client.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import { startTandem } from './process-support.js';
import { eventually, freePort, httpGet } from './support.js';

const synced = { status: 200, body: 'Galera cluster node is synced.\r\n' };
const notSynced = { status: 503, body: 'Galera cluster node is not synced.\r\n' };

test('clustercheck answers 200 for Synced (4), and for Donor/Desynced (2) only when donors are available; 503 otherwise and when unreadable', () => {
  const answers = (availableWhenDonor: boolean) =>
    [0, 1, 2, 3, 4, 5].map((state) => clustercheckAnswer({ state }, { availableWhenDonor }).status);
  assert.deepEqual(answers(false), [503, 503, 503, 503, 200, 503]);
  assert.deepEqual(answers(true), [503, 503, 200, 503, 200, 503]);
  assert.deepEqual(clustercheckAnswer({ error: "'mariadb' failed: ERROR 2002" }, { availableWhenDonor: true }), { ...notSynced, reason: "'mariadb' failed: ERROR 2002" });
  assert.deepEqual(clustercheckAnswer({ state: 4 }, { availableWhenDonor: false }), { ...synced, reason: 'wsrep_local_state 4 (Synced)' });
  assert.equal(clustercheckAnswer({ state: 2 }, { availableWhenDonor: false }).reason, 'wsrep_local_state 2 (Donor/Desynced)');
});

test('the client output is read for wsrep_local_state alone; the client runs with its option file first and no password in its arguments', () => {
  assert.deepEqual(parseLocalState('wsrep_local_state\t4\n'), { state: 4 });
  assert.deepEqual(parseLocalState('wsrep_local_state_uuid\t9a6b\nwsrep_local_state\t2\nwsrep_local_state_comment\tDonor/Desynced\n'), { state: 2 });
  assert.match((parseLocalState('') as { error: string }).error, /no wsrep_local_state/);
  const args = clientArguments({ command: 'mariadb', defaultsFile: '/etc/clustercheck.cnf', user: 'check', password: 'secret', socket: '/run/db.sock', timeoutMs: 2500 });
  assert.equal(args[0], '--defaults-file=/etc/clustercheck.cnf');
  assert.ok(args.includes('--connect-timeout=3') && args.includes('--user=check') && args.includes('--socket=/run/db.sock'), args.join(' '));
  assert.ok(!args.some((arg) => arg.includes('secret')));
});

const galeraLibrary = '/usr/lib/galera/libgalera_smm.so';

function client(socket: string, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('mariadb', ['--no-defaults', `--socket=${socket}`, '--user=root', '--batch', '--skip-column-names', '--execute', sql], { timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** Starts mariadbd on `dataDir` (a single-node Galera cluster bootstrapped on loopback when `galera` is set); resolves once it answers. */
async function startMariadb(dataDir: string, socket: string, host: string, port: number, galera?: { port: number }): Promise<ChildProcess> {
  const args = ['--no-defaults', `--user=${userInfo().username}`, `--datadir=${dataDir}`, `--socket=${socket}`, `--pid-file=${dataDir}/mariadbd.pid`, `--bind-address=${host}`, `--port=${port}`, '--skip-name-resolve', `--log-error=${dataDir}/error.log`, '--innodb-buffer-pool-size=16M'];
  if (galera) {
    args.push('--wsrep-on=ON', `--wsrep-provider=${galeraLibrary}`, '--wsrep-cluster-address=gcomm://', '--wsrep-new-cluster', `--wsrep-provider-options=gmcast.listen_addr=tcp://${host}:${galera.port}`, `--wsrep-node-address=${host}`, '--binlog-format=ROW', '--innodb-autoinc-lock-mode=2');
  }
  const server = spawn('/usr/sbin/mariadbd', args, { stdio: 'ignore' });
  await eventually('mariadbd answers', () => client(socket, 'SELECT 1').then(() => true, () => false), 60_000);
  return server;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  const killer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), 30_000);
  await exited;
  clearTimeout(killer);
}

test('with a real single-node Galera cluster: 200 when synced, 503 when desynced (200 with --available-when-donor), and the balancer follows through option httpchk + check port', async () => {
  for (const path of ['/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db', galeraLibrary]) assert.ok(existsSync(path), `${path} is missing: scripts/install.sh installs mariadb-server and galera-4`);
  const dir = mkdtempSync(join(tmpdir(), 'tandem-galera-'));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'mariadbd.sock');
  const host = '127.0.0.50';
  const [mysqlPort, galeraPort, strictPort, donorPort, balancerPort] = [await freePort(host), await freePort(host), await freePort(host), await freePort(host), await freePort()];
  const install = spawnSync('mariadb-install-db', ['--no-defaults', `--user=${userInfo().username}`, `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 120_000, encoding: 'utf8' });
  assert.equal(install.status, 0, install.stderr);
  let mariadb: ChildProcess | undefined;
  const checkArgs = (port: number) => ['clustercheck', '--bind', host, '--port', String(port), '--socket', socket, '--user', 'root', '--timeout-s', '5'];
  const strict = startTandem(checkArgs(strictPort));
  const donorsAvailable = startTandem([...checkArgs(donorPort), '--available-when-donor']);
  const haproxy = `defaults\n  mode tcp\n  timeout connect 1s\n  timeout check 6s\nlisten galera_cluster\n  bind 127.0.0.1:${balancerPort}\n  option httpchk\n  server node1 ${host}:${mysqlPort} check port ${strictPort} inter 200 rise 1 fall 1\n`;
  let balancer: Balancer | undefined;
  const answer = async (port: number) => {
    const { status, body } = await httpGet(port, '/', 15_000, host);
    return { status, body };
  };
  try {
    mariadb = await startMariadb(dataDir, socket, host, mysqlPort, { port: galeraPort });
    await strict.waitForLine(/^clustercheck on/);
    await donorsAvailable.waitForLine(/^clustercheck on/);
    assert.deepEqual(await answer(strictPort), synced);
    await strict.waitForLine(/^answering 200: wsrep_local_state 4 \(Synced\)$/);

    balancer = await Balancer.start(readHaproxy(haproxy, 'galera.cfg').config);
    const status = () => balancer!.stats().find((row) => row.svname === 'node1')?.status;
    await eventually('node1 is UP', () => status() === 'UP', 10_000);
    const greeting = await new Promise<string>((resolve, reject) => {
      const socketThrough = connect({ host: '127.0.0.1', port: balancerPort });
      socketThrough.once('data', (data) => {
        socketThrough.destroy();
        resolve(data.toString('latin1'));
      });
      socketThrough.once('error', reject);
    });
    assert.match(greeting, /MariaDB/, 'the MariaDB greeting comes through the balancer');

    await client(socket, 'SET GLOBAL wsrep_desync=ON');
    assert.equal((await client(socket, "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'")).trim(), 'wsrep_local_state\t2');
    assert.deepEqual(await answer(strictPort), notSynced);
    assert.deepEqual(await answer(donorPort), synced);
    await eventually('node1 is DOWN while desynced', () => status() === 'DOWN', 10_000);

    await client(socket, 'SET GLOBAL wsrep_desync=OFF');
    await eventually('synced again', async () => (await answer(strictPort)).status === 200, 10_000);
    await eventually('node1 is UP again', () => status() === 'UP', 10_000);

    await stopProcess(mariadb);
    assert.deepEqual(await answer(strictPort), notSynced);
    await strict.waitForLine(/^answering 503: 'mariadb' failed: ERROR 2002/);

    // The same server without wsrep: it reports no wsrep_local_state, which is not synced either.
    mariadb = await startMariadb(dataDir, socket, host, mysqlPort);
    assert.deepEqual(await answer(donorPort), notSynced);
    await donorsAvailable.waitForLine(/^answering 503: the server reports no wsrep_local_state/);
  } finally {
    await balancer?.close();
    await Promise.all([strict.stop(), donorsAvailable.stop(), stopProcess(mariadb)]);
    rmSync(dir, { recursive: true, force: true });
  }
});
