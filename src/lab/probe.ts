// A client's view of a service: opens a new connection every `intervalMs`, sends one HTTP
// request, and reports each attempt as a JSON line {sentMs, ok, answer}. Bounded: it stops
// by itself after `limitMs` or `attemptsLimit` attempts, or when its input closes.
// Usage: node probe.js HOST PORT INTERVAL_MS LIMIT_MS

import { connect } from 'node:net';

const attemptTimeoutMs = 1_000;
const attemptsLimit = 100_000;

interface ProbeResult {
  sentMs: number;
  doneMs: number;
  ok: boolean;
  answer?: string;
}

function attempt(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const sentMs = Date.now();
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const doneMs = Date.now();
      resolve(ok ? { sentMs, doneMs, ok, answer: answer.split('\r\n\r\n')[1]?.trim() ?? '' } : { sentMs, doneMs, ok });
    };
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('connect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => finish(answer.startsWith('HTTP/1.')));
    socket.on('error', () => finish(false));
  });
}

async function main(): Promise<void> {
  const [host, portText, intervalText, limitText] = process.argv.slice(2);
  const port = Number(portText);
  const intervalMs = Number(intervalText);
  const deadline = Date.now() + Number(limitText);
  let stopped = false;
  process.stdin.on('close', () => (stopped = true));
  process.stdin.resume();
  const inFlight = new Set<Promise<void>>();
  for (let count = 0; count < attemptsLimit && !stopped && Date.now() < deadline; count++) {
    const work = attempt(host!, port, attemptTimeoutMs).then((result) => void process.stdout.write(JSON.stringify(result) + '\n'));
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  await Promise.all(inFlight);
  process.exit(0);
}

void main();
