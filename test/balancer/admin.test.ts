import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runTandem, startTandem } from './process-support.js';
import { eventually, freePort, httpGet, startNamedBackend, tally, type Backend } from './support.js';

const defaults = `defaults
  mode tcp
  timeout connect 1s
  timeout client 10s
  timeout server 10s
`;

function configText(port: number, backends: Backend[]): string {
  const servers = backends.map((backend, index) => `  server ${backend.name} ${backend.host}:${backend.port}${index === 0 ? ' check inter 100 rise 1 fall 1' : ''}`);
  return `${defaults}listen test\n  bind 127.0.0.1:${port}\n  balance roundrobin\n${servers.join('\n')}\n`;
}

/** The `show servers state` fields of one server: [op_state, admin_state]. */
function serverState(text: string, server: string): [string, string] {
  const fields = text.split('\n').find((line) => line.split(' ')[3] === server)?.split(' ');
  assert.ok(fields, `no line for ${server} in:\n${text}`);
  return [fields[5]!, fields[6]!];
}

test('the admin socket (mode 0600) answers HAProxy runtime commands, sent with tandem balancer-cmd; the stats port serves HTML, CSV and JSON', async () => {
  const backends = await Promise.all(['a', 'b', 'c'].map((name, index) => startNamedBackend(name, `127.0.0.${index + 2}`)));
  const [a, b] = backends as [Backend, Backend, Backend];
  const [port, statsPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'tandem-admin-'));
  const file = join(dir, 'haproxy.cfg');
  const socket = join(dir, 'admin.sock');
  writeFileSync(file, configText(port, [a, b]));
  const balancer = startTandem(['balancer', '--config', file, '--admin-socket', socket, '--stats-port', String(statsPort)]);
  const send = async (...words: string[]) => {
    const result = await runTandem(['balancer-cmd', '--admin-socket', socket, ...words]);
    assert.equal(result.stderr, '');
    return result;
  };
  try {
    await balancer.waitForLine(/^balancing 1 proxies/);
    assert.equal(statSync(socket).mode & 0o777, 0o600);

    const stat = (await send('show', 'stat')).stdout;
    assert.match(stat, /^# pxname,svname,/);
    assert.ok(stat.includes('\ntest,b,') && stat.endsWith('\n\n'), stat);

    assert.deepEqual(await send('set', 'server', 'test/a', 'state', 'maint'), { code: 0, stdout: '\n', stderr: '' });
    let state = (await send('show servers state')).stdout;
    assert.match(state, /^1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state /);
    assert.deepEqual([serverState(state, 'a'), serverState(state, 'b')], [['0', '1'], ['2', '0']]);
    assert.deepEqual(Object.fromEntries(await tally(port, 2)), { b: 2 });

    await send('enable server test/a; set server test/b state drain');
    state = (await send('show servers state test')).stdout;
    assert.deepEqual([serverState(state, 'a')[1], serverState(state, 'b')[1]], ['0', '8']);
    await send('disable', 'server', 'test/b');
    assert.equal(serverState((await send('show servers state')).stdout, 'b')[1], '1');

    assert.equal((await send('set server nope/a state ready')).stdout, 'No such backend.\n\n');
    assert.equal((await send('set server test/zz state ready')).stdout, 'No such server.\n\n');
    assert.equal((await send('set server test/a state bogus')).stdout, "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n");
    assert.equal((await send('disable server test')).stdout, "Require 'backend/server'.\n\n");
    assert.equal((await send('show servers state nope')).stdout, "Can't find backend.\n\n");
    assert.match((await send('frobnicate')).stdout, /^Unknown command\. Please enter one of the following commands only :\n {2}help/);
    assert.match((await send('help')).stdout, /set server <bk>\/<srv> state <state>/);

    writeFileSync(file, configText(port, backends));
    const reloaded = await send('reload');
    assert.equal(reloaded.code, 0);
    assert.equal(reloaded.stdout, `Success=1\n--\nreloaded ${file}: 1 proxies; binds kept: 127.0.0.1:${port}; opened: none; closed: none\n\n`);
    assert.ok((await send('show stat')).stdout.includes('\ntest,c,'));
    assert.equal(serverState((await send('show servers state')).stdout, 'b')[1], '1', 'the runtime maint of b carried over the reload');

    writeFileSync(file, `${defaults}listen test\n  bind 127.0.0.1:${port}\n  balanse roundrobin\n`);
    const refused = await runTandem(['balancer-cmd', '--admin-socket', socket, 'reload']);
    assert.equal(refused.code, 1);
    assert.ok(refused.stdout.startsWith(`Success=0\n--\n${file}:8:3: `) && refused.stdout.endsWith('\n\n'), refused.stdout);
    assert.ok((await send('show stat')).stdout.includes('\ntest,c,'), 'the refused reload changed nothing');

    const statusOfA = async () => (JSON.parse((await httpGet(statsPort, '/json')).body) as { svname: string; status: string }[]).find((row) => row.svname === 'a')?.status;
    await eventually('a is checked UP', async () => (await statusOfA()) === 'UP', 5000);
    const html = await httpGet(statsPort, '/');
    assert.equal(html.status, 200);
    assert.match(html.body, /<tr class="active_up"><td class="al">a<\/td>/);
    assert.match(html.body, /<tr class="maintain"><td class="al">b<\/td>/);
    assert.match(html.body, /<tr class="active_no_check"><td class="al">c<\/td>/);
    const csv = await httpGet(statsPort, '/;csv;norefresh');
    assert.match(csv.body, /^# pxname,svname,/);
    const json = JSON.parse((await httpGet(statsPort, '/json')).body) as { svname: string; status: string }[];
    assert.deepEqual(json.map((row) => [row.svname, row.status]), [['FRONTEND', 'OPEN'], ['a', 'UP'], ['b', 'MAINT'], ['c', 'no check'], ['BACKEND', 'UP']]);
    assert.equal((await httpGet(statsPort, '/nope')).status, 404);

    assert.equal(await balancer.stop(), 0);
    assert.equal(existsSync(socket), false, 'the socket file is removed at exit');
  } finally {
    await balancer.stop();
    await Promise.all(backends.map((backend) => backend.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('balancer-cmd with nothing listening says so in one line and exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-admin-'));
  try {
    const result = await runTandem(['balancer-cmd', '--admin-socket', join(dir, 'none.sock'), 'show', 'stat']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `tandem: nothing listens on ${join(dir, 'none.sock')}: is \`tandem balancer --admin-socket ${join(dir, 'none.sock')}\` running?\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an admin socket left by a killed balancer is taken over; one a live balancer serves is refused', async () => {
  const a = await startNamedBackend('a', '127.0.0.2');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-admin-'));
  const socket = join(dir, 'admin.sock');
  const [first, second] = [join(dir, 'first.cfg'), join(dir, 'second.cfg')];
  writeFileSync(first, configText(await freePort(), [a]));
  writeFileSync(second, configText(await freePort(), [a]));
  const killed = startTandem(['balancer', '--config', first, '--admin-socket', socket]);
  let live: ReturnType<typeof startTandem> | undefined;
  try {
    await killed.waitForLine(/^balancing/);
    process.kill(killed.child.pid!, 'SIGKILL');
    await new Promise((resolve) => killed.child.once('exit', resolve));
    assert.ok(existsSync(socket), 'a killed balancer leaves its socket file');
    live = startTandem(['balancer', '--config', second, '--admin-socket', socket]);
    await live.waitForLine(/^balancing/);
    assert.match((await runTandem(['balancer-cmd', '--admin-socket', socket, 'show', 'stat'])).stdout, /^# pxname/);
    const refused = await runTandem(['balancer', '--config', first, '--admin-socket', socket]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `tandem: --admin-socket ${socket}: another process is serving this socket\n`);
  } finally {
    await killed.stop();
    await live?.stop();
    await a.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
