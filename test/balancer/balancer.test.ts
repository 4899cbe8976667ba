import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Balancer } from '../../src/balancer/balancer.js';
import { runBalancer } from '../../src/balancer/command.js';
import { statsCsv } from '../../src/balancer/stats.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import { eventually, freePort, httpGet, openClient, startHealthEndpoint, startHttpBackend, startNamedBackend, tally, whoAnswers, type Backend } from './support.js';

const defaults = `defaults
  mode tcp
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  timeout queue 5s
`;

interface Setup {
  balancer: Balancer;
  port: number;
  backends: Backend[];
  close(): Promise<void>;
}

const checked = 'check inter 100 rise 2 fall 2';

/**
 * Named backends on 127.0.0.2, .3, ... and a balancer before them, on 127.0.0.1. `proxy`
 * gets the balancer's port and the server lines; `options` gives each server line its options.
 */
async function setup(proxy: (port: number, servers: string) => string, options: (name: string) => string = () => '', names = ['a', 'b', 'c']): Promise<Setup> {
  const backends = await Promise.all(names.map((name, index) => startNamedBackend(name, `127.0.0.${index + 2}`)));
  const servers = backends.map((backend) => `  server ${backend.name} ${backend.host}:${backend.port} ${options(backend.name)}`).join('\n');
  const port = await freePort();
  const balancer = await Balancer.start(readHaproxy(`${defaults}${proxy(port, servers)}\n`, 'test.cfg').config);
  return {
    balancer,
    port,
    backends,
    close: async () => {
      await balancer.close();
      await Promise.all(backends.map((backend) => backend.close()));
    },
  };
}

const listen = (balance: string, extra = '') => (port: number, servers: string) => `listen test\n  bind 127.0.0.1:${port}\n  balance ${balance}\n${extra}${servers}`;

/**
 * One port with a backend behind it on each host (the seed's `check port 9200` on every
 * Galera node): a port free on the first host may be taken on another, then another is tried.
 */
async function samePortOnEach(hosts: string[], start: (host: string, port: number) => Promise<Backend>): Promise<{ port: number; backends: Backend[] }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort(hosts[0]);
    const started = await Promise.allSettled(hosts.map((host) => start(host, port)));
    const backends = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (backends.length === hosts.length) return { port, backends };
    await Promise.all(backends.map((backend) => backend.close()));
    if (attempt >= 10) throw new Error(`no port free on all of ${hosts.join(', ')} in ${attempt} tries`);
  }
}

const statusOf = (balancer: Balancer, server: string) => balancer.stats().find((row) => row.pxname === 'test' && row.svname === server)?.status;

test('roundrobin spreads connections evenly over three backends', async () => {
  const { port, close } = await setup(listen('roundrobin'));
  try {
    assert.deepEqual(Object.fromEntries(await tally(port, 9)), { a: 3, b: 3, c: 3 });
  } finally {
    await close();
  }
});

test('roundrobin follows weights, and a backup server serves only when no active one is up', async () => {
  const { balancer, port, close } = await setup(listen('roundrobin'), (name) => ({ a: 'weight 3', b: '', c: 'backup' })[name]!);
  try {
    assert.deepEqual(Object.fromEntries(await tally(port, 8)), { a: 6, b: 2 });
    balancer.setClusterState('test', 'a', 'down');
    balancer.setAdminState('test', 'b', 'maint');
    assert.deepEqual(Object.fromEntries(await tally(port, 3)), { c: 3 });
  } finally {
    await close();
  }
});

test('source keeps each client on one backend, and only the clients of a lost backend move', async () => {
  const { balancer, port, close } = await setup(listen('source'));
  try {
    const clients = ['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14', '127.0.0.15', '127.0.0.16', '127.0.0.17'];
    const first = new Map<string, string>();
    for (const client of clients) {
      const counts = await tally(port, 3, client);
      assert.equal(counts.size, 1, `${client} was sent to ${[...counts.keys()].join(', ')}`);
      first.set(client, [...counts.keys()][0]!);
    }
    const lost = first.get(clients[0]!)!;
    balancer.setClusterState('test', lost, 'down');
    for (const client of clients) {
      const now = await whoAnswers(port, client);
      if (first.get(client) === lost) assert.notEqual(now, lost);
      else assert.equal(now, first.get(client), `${client} moved although its backend lives`);
    }
  } finally {
    await close();
  }
});

test('leastconn sends a new connection to the server with the fewest', async () => {
  const { port, close } = await setup(listen('leastconn'), () => '', ['a', 'b']);
  const held: ReturnType<typeof openClient>[] = [];
  try {
    // Held open one after another: each new one goes where fewer are, so they end up two and two.
    const answers: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      held.push(openClient(port));
      answers.push(await held[index]!.firstLine);
    }
    assert.notEqual(answers[0], answers[1]);
    assert.notEqual(answers[2], answers[3]);
    assert.deepEqual(answers.filter((answer) => answer === 'a').length, 2);
  } finally {
    for (const client of held) client.socket.destroy();
    await close();
  }
});

test('a killed backend is skipped once its checks fail, and comes back after rise successes', async () => {
  const { balancer, port, backends, close } = await setup(listen('roundrobin', '  retries 1\n  option redispatch\n'), () => checked);
  const b = backends[1]!;
  let revived: Backend | undefined;
  try {
    await b.close();
    await eventually('b is DOWN', () => statusOf(balancer, 'b') === 'DOWN', 5000); // inter * fall is 200 ms
    assert.deepEqual(Object.fromEntries(await tally(port, 6)), { a: 3, c: 3 });
    revived = await startNamedBackend('b', b.host, b.port);
    await eventually('b is UP', () => statusOf(balancer, 'b') === 'UP', 5000);
    assert.deepEqual(Object.fromEntries(await tally(port, 6)), { a: 2, b: 2, c: 2 });
  } finally {
    await close();
    await revived?.close();
  }
});

test('option httpchk with check port: a 503 from the health endpoint takes the server down, a 200 brings it back', async () => {
  const health = await startHealthEndpoint('127.0.0.3');
  const { balancer, port, close } = await setup(listen('roundrobin', '  option httpchk GET /health\n'), (name) => (name === 'b' ? `check port ${health.port} inter 100 rise 2 fall 2` : ''), ['a', 'b']);
  try {
    await eventually('b is checked UP', () => balancer.stats().find((row) => row.svname === 'b')?.check_status === 'L7OK', 5000);
    health.status = 503;
    await eventually('b is DOWN', () => statusOf(balancer, 'b') === 'DOWN', 5000);
    assert.deepEqual(Object.fromEntries(await tally(port, 4)), { a: 4 });
    health.status = 200;
    await eventually('b is UP', () => statusOf(balancer, 'b') === 'UP', 5000);
  } finally {
    await close();
    await health.close();
  }
});

test('setClusterState down takes a live server out at once; up brings it back after its check', async () => {
  const { balancer, port, close } = await setup(listen('roundrobin'), () => checked);
  try {
    balancer.setClusterState('test', 'b', 'down');
    assert.deepEqual(Object.fromEntries(await tally(port, 6)), { a: 3, c: 3 });
    assert.equal(statusOf(balancer, 'b'), 'DOWN (cluster)');
    balancer.setClusterState('test', 'b', 'up');
    assert.notEqual(statusOf(balancer, 'b'), 'UP', 'back from down, b waits for a passing check');
    await eventually('b is UP', () => statusOf(balancer, 'b') === 'UP', 5000);
    assert.ok((await tally(port, 6)).get('b')! >= 1);
  } finally {
    await close();
  }
});

test('drain and maint take no new connections; ready takes them again', async () => {
  const { balancer, port, close } = await setup(listen('roundrobin'), () => '', ['a', 'b']);
  try {
    balancer.setAdminState('test', 'a', 'drain');
    assert.equal(statusOf(balancer, 'a'), 'DRAIN');
    assert.deepEqual(Object.fromEntries(await tally(port, 4)), { b: 4 });
    balancer.setAdminState('test', 'a', 'maint');
    assert.equal(statusOf(balancer, 'a'), 'MAINT');
    assert.deepEqual(Object.fromEntries(await tally(port, 4)), { b: 4 });
    balancer.setAdminState('test', 'a', 'ready');
    assert.deepEqual(Object.fromEntries(await tally(port, 4)), { a: 2, b: 2 });
  } finally {
    await close();
  }
});

test('retries with redispatch hide a server whose port is closed', async () => {
  const { balancer, port, backends, close } = await setup(listen('roundrobin', '  retries 1\n  option redispatch\n'), () => '', ['dead', 'alive']);
  try {
    await backends[0]!.close(); // listed, never checked, refuses every connection
    assert.deepEqual(Object.fromEntries(await tally(port, 6)), { alive: 6 });
    const dead = balancer.stats().find((row) => row.svname === 'dead')!;
    assert.ok(Number(dead.econ) >= 3 && Number(dead.wredis) >= 3, JSON.stringify(dead));
  } finally {
    await close();
  }
});

test('maxconn 1 queues a second client until the first leaves', async () => {
  const { balancer, port, close } = await setup(listen('roundrobin'), () => 'maxconn 1', ['only']);
  const first = openClient(port);
  let second: ReturnType<typeof openClient> | undefined;
  try {
    assert.equal(await first.firstLine, 'only');
    second = openClient(port);
    const queued = () => balancer.stats().find((row) => row.svname === 'BACKEND')?.qcur === 1;
    await eventually('the second client is queued', queued, 5000);
    let answered = false;
    void second.firstLine.then(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(answered, false, 'the second client was served while the first held the only slot');
    first.socket.end();
    assert.equal(await second.firstLine, 'only');
  } finally {
    first.socket.destroy();
    second?.socket.destroy();
    await close();
  }
});

test('the stats CSV has HAProxy column names and shows a server the cluster took out as DOWN (cluster)', async () => {
  const { balancer, close } = await setup(listen('roundrobin'), () => checked, ['a', 'b']);
  try {
    balancer.setClusterState('test', 'b', 'down');
    const [header, ...lines] = statsCsv(balancer.stats()).trimEnd().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    for (const name of ['pxname', 'svname', 'scur', 'stot', 'bin', 'bout', 'status', 'lastchg', 'check_status']) assert.ok(columns.includes(name), name);
    const rows = lines.map((line) => Object.fromEntries(line.split(',').map((value, index) => [columns[index], value])));
    assert.deepEqual(rows.map((row) => [row.pxname, row.svname, row.status]), [
      ['test', 'FRONTEND', 'OPEN'],
      ['test', 'a', 'UP'],
      ['test', 'b', 'DOWN (cluster)'],
      ['test', 'BACKEND', 'UP'],
    ]);
  } finally {
    await close();
  }
});

test('the seed haproxy.cfg, moved onto loopback, loads and serves through `tandem balancer`', async () => {
  const seed = readFileSync(new URL('../../../examples/seed/haproxy.cfg', import.meta.url), 'utf8');
  // The guide's controllers 10.0.0.N become HTTP backends on 127.0.0.(20+N); its Galera check port 9200 one that answers 200.
  const hostOf = (address: string) => `127.0.0.${20 + Number(address.split('.')[3])}`;
  const backends = new Map<string, Backend>();
  for (const [, address, port] of seed.matchAll(/server \S+ (10\.0\.0\.\d+):(\d+)/g)) {
    const key = `${address}:${port}`;
    if (!backends.has(key)) backends.set(key, await startHttpBackend(key, hostOf(address!)));
  }
  const galeraHosts = ['10.0.0.4', '10.0.0.5', '10.0.0.6'].map(hostOf);
  const { port: clustercheckPort, backends: clusterchecks } = await samePortOnEach(galeraHosts, (host, port) => startHttpBackend('synced', host, port));
  const binds = new Map<string, number>();
  for (const [, port] of seed.matchAll(/bind 10\.213\.0\.50:(\d+)/g)) binds.set(port!, await freePort());
  const text = seed
    .replace(/bind 10\.213\.0\.50:(\d+)/g, (_, port: string) => `bind 127.0.0.1:${binds.get(port)}`)
    .replace(/(10\.0\.0\.\d+):(\d+)/g, (key: string, address: string) => `${hostOf(address)}:${backends.get(key)!.port}`)
    .replaceAll('check port 9200', `check port ${clustercheckPort}`);
  const dir = mkdtempSync(join(tmpdir(), 'tandem-balancer-'));
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, text);
  const statsPort = await freePort();
  const log: string[] = [];
  let stop: (signal: string) => void = () => undefined;
  const running = runBalancer({ configFile: file, statsPort }, (line) => log.push(line), new Promise((resolve) => (stop = resolve)));
  try {
    await eventually('the balancer is listening', () => log.some((line) => line.startsWith('balancing 14 proxies')), 5000);
    assert.ok(log.includes(`${file}:7: warning: global 'pidfile' is valid HAProxy but tandem does not implement it; kept as written`), log.join('\n'));
    for (const proxy of readHaproxy(seed, 'seed').config.proxies) {
      const seedPort = (proxy.binds[0]!.addresses[0] as { port: number }).port;
      const expected = proxy.servers.map(({ address }) => `${(address as { host: string }).host}:${(address as { port: number }).port}`);
      const answer = await httpGet(binds.get(String(seedPort))!);
      assert.equal(answer.status, 200, proxy.name);
      assert.ok(expected.includes(answer.body), `${proxy.name} answered ${answer.body}`);
    }
    const csv = await httpGet(statsPort, '/;csv');
    const galera = csv.body.split('\n').filter((line) => line.startsWith('galera_cluster,controller'));
    assert.equal(galera.length, 3);
    assert.ok(galera.every((line) => line.includes(',UP,')), csv.body);
    const page = await httpGet(statsPort, '/');
    assert.equal(page.body.match(/<th class="pxname" colspan="17">/g)?.length, 14, 'a table per proxy');
  } finally {
    stop('SIGTERM');
    try {
      await running;
    } finally {
      // Even when the balancer failed: an open backend would keep this test file from ever exiting.
      await Promise.all([...backends.values(), ...clusterchecks].map((backend) => backend.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('mode tcp: two sessions at once carry 16 MiB each from the server to a client that reads late, every byte whole and in order', async () => {
  const mib = 1024 * 1024;
  const totalBytes = 16 * mib;
  /** Bytes that differ from block to block and from session to session, so a read landing in the wrong place shows. */
  const block = (session: number, index: number) => Buffer.alloc(mib, `${session}:${index}:`.padEnd(13, '.'));
  const expected = (session: number) => {
    const hash = createHash('sha256');
    for (let index = 0; index < totalBytes / mib; index += 1) hash.update(block(session, index));
    return hash.digest('hex');
  };
  const server = createServer((socket) => {
    socket.once('data', (first) => {
      const session = Number(first.toString());
      let index = 0;
      const writeMore = () => {
        while (index < totalBytes / mib) {
          const flowing = socket.write(block(session, index));
          index += 1;
          if (!flowing) return void socket.once('drain', writeMore);
        }
        socket.end();
      };
      writeMore();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const serverPort = (server.address() as { port: number }).port;
  const port = await freePort();
  const balancer = await Balancer.start(readHaproxy(`${defaults}listen bulk\n  bind 127.0.0.1:${port}\n  server s 127.0.0.2:${serverPort}\n`, 'bulk.cfg').config);
  try {
    const receive = (session: number) =>
      new Promise<string>((resolve, reject) => {
        const hash = createHash('sha256');
        const client = connect({ host: '127.0.0.1', port }, () => client.write(String(session)));
        client.pause();
        setTimeout(() => client.resume(), 300 * session);
        client.on('data', (chunk) => hash.update(chunk));
        client.on('end', () => resolve(hash.digest('hex')));
        client.on('error', reject);
      });
    const [first, second] = await Promise.all([receive(1), receive(2)]);
    assert.equal(first, expected(1));
    assert.equal(second, expected(2));
  } finally {
    await balancer.close();
    server.close();
  }
});

test('mode tcp: waves of sessions carry 4 MiB each from clients to a server that reads late, every byte whole and in order, as read buffers pass from closed sessions to new ones', async () => {
  const mib = 1024 * 1024;
  const blocks = 4;
  /** Bytes that differ from block to block and from session to session, so a read landing in the wrong buffer shows. */
  const block = (session: number, index: number) => Buffer.alloc(mib, `${session}:${index}:`.padEnd(13, '.'));
  const server = createServer((socket) => {
    const hash = createHash('sha256');
    socket.pause();
    setTimeout(() => socket.resume(), 200);
    socket.on('data', (chunk) => hash.update(chunk));
    socket.on('end', () => socket.end(hash.digest('hex')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  const serverPort = (server.address() as { port: number }).port;
  const port = await freePort();
  const balancer = await Balancer.start(readHaproxy(`${defaults}listen upload\n  bind 127.0.0.1:${port}\n  server s 127.0.0.2:${serverPort}\n`, 'upload.cfg').config);
  const send = (session: number) =>
    new Promise<{ sent: string; received: string }>((resolve, reject) => {
      const hash = createHash('sha256');
      let received = '';
      const client = connect({ host: '127.0.0.1', port }, () => {
        let index = 0;
        const writeMore = () => {
          while (index < blocks) {
            const bytes = block(session, index);
            hash.update(bytes);
            index += 1;
            if (!client.write(bytes)) return void client.once('drain', writeMore);
          }
          client.end();
        };
        writeMore();
      });
      client.setEncoding('utf8');
      client.on('data', (text: string) => (received += text));
      client.on('end', () => resolve({ sent: hash.digest('hex'), received }));
      client.on('error', reject);
    });
  try {
    for (let wave = 0; wave < 3; wave += 1) {
      const results = await Promise.all(Array.from({ length: 6 }, (_, index) => send(wave * 10 + index)));
      for (const { sent, received } of results) assert.equal(received, sent);
    }
  } finally {
    await balancer.close();
    server.close();
  }
});
