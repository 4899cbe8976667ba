// `option tcplog`: one line per tcp session in HAProxy's format, with the termination state
// saying who ended it and when; `option dontlognull` leaves out sessions that carried nothing.
// Real sockets on loopback; every wait bounded.

import { strict as assert } from 'node:assert';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { Balancer } from '../../src/balancer/balancer.js';
import { readHaproxy } from '../../src/formats/haproxy/index.js';
import { eventually, freePort, startNamedBackend } from './support.js';

async function startBalancer(lines: string, server: string): Promise<{ port: number; log: string[]; balancer: Balancer }> {
  const port = await freePort();
  const log: string[] = [];
  const text = `defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\nlisten front\n  bind 127.0.0.1:${port}\n${lines}  server ${server}\n`;
  const balancer = await Balancer.start(readHaproxy(text, 'test.cfg').config, { log: (line) => log.push(line) });
  return { port, log, balancer };
}

/** Connects, optionally sends, reads until the balancer closes (or `limitMs`), and returns what came back. */
function session(port: number, send: string | undefined, limitMs = 5000): Promise<{ received: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    let received = '';
    let localPort = 0;
    socket.once('connect', () => (localPort = socket.localPort ?? 0));
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the session did not end within ${limitMs} ms`));
    }, limitMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (send !== undefined && received.includes('\n')) {
        socket.end(send);
        send = undefined;
      }
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(limit);
      resolve({ received, localPort });
    });
  });
}

test('option tcplog: a session that ends normally, with its server, timers, bytes to the client and counts', async () => {
  const backend = await startNamedBackend('a', '127.0.0.2');
  const { port, log, balancer } = await startBalancer('  option tcplog\n', `a ${backend.host}:${backend.port}`);
  try {
    const { received, localPort } = await session(port, 'hello\n');
    assert.equal(received, 'a\nhello\n');
    await eventually('the session to be logged', () => log.length === 1);
    const pattern = new RegExp(`^127\\.0\\.0\\.1:${localPort} \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\] front front/a (\\d+)/(\\d+)/(\\d+) 8 -- 1/1/1/1/0 0/0$`);
    const match = pattern.exec(log[0]!);
    assert.ok(match, log[0]);
    const [waitMs, connectMs, totalMs] = match.slice(1).map(Number) as [number, number, number];
    assert.ok(waitMs + connectMs <= totalMs, log[0]);
  } finally {
    await balancer.close();
    await backend.close();
  }
});

test('option tcplog: a refused connection is SC with the server tried; dontlognull leaves it out', async () => {
  const downPort = await freePort();
  for (const dontLogNull of [false, true]) {
    const { port, log, balancer } = await startBalancer(`  option tcplog\n  retries 0\n${dontLogNull ? '  option dontlognull\n' : ''}`, `down 127.0.0.1:${downPort}`);
    try {
      const { received } = await session(port, undefined);
      assert.equal(received, '');
      if (dontLogNull) {
        // Nothing to wait for: give the balancer time to log, had it meant to.
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(log, []);
      } else {
        await eventually('the session to be logged', () => log.length === 1);
        assert.match(log[0]!, / front front\/down \d+\/-1\/\d+ 0 SC 1\/1\/0\/0\/0 0\/0$/, 'the refused connection holds no slot');
      }
    } finally {
      await balancer.close();
    }
  }
});

test('option tcplog: an idle client past timeout client is cD; without tcplog nothing is logged', async () => {
  const silent = createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.2', resolve));
  const silentPort = (silent.address() as { port: number }).port;
  try {
    for (const option of ['  option tcplog\n', '']) {
      const { port, log, balancer } = await startBalancer(`${option}  timeout client 300ms\n  timeout server 10s\n`, `quiet 127.0.0.2:${silentPort}`);
      try {
        await session(port, undefined);
        if (option === '') {
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.deepEqual(log, []);
        } else {
          await eventually('the session to be logged', () => log.length === 1);
          assert.match(log[0]!, / front front\/quiet \d+\/\d+\/\d+ 0 cD 1\/1\/1\/1\/0 0\/0$/);
          assert.ok(Number(/\/(\d+) 0 cD/.exec(log[0]!)![1]) >= 250, 'the session lasted the client timeout');
        }
      } finally {
        await balancer.close();
      }
    }
  } finally {
    silent.close();
  }
});
