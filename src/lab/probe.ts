// A client's view of a service, run in the lab's client host: opens a new connection every
// `intervalMs`, sends one HTTP request, and reports each attempt as a JSON line {sentMs,
// doneMs, ok, answer}. Bounded: it stops by itself after `limitMs` or `attemptsLimit`
// attempts, or when its input closes.
// Usage: node probe.js HOST PORT INTERVAL_MS LIMIT_MS

import { attempt } from '../drill/attempt.js';

const attemptTimeoutMs = 1_000;
const attemptsLimit = 100_000;

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
