// The lab's watchdog "hardware" for one host (run by the lab in the root namespace, so it
// outlives the host's processes): it reads a FIFO that the host's tandem feeds as it would
// feed /dev/watchdog; if no byte comes within the timeout once armed, it powers the host off
// as a reset would (link down, every process killed). A 'V' just before the writer closes
// disarms it (the watchdog API's magic close); a writer that dies without it leaves it armed.
//
//   node watchdog-lab.js FIFO NAMESPACE TIMEOUT_MS

import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';

const [fifo = '', namespace = '', timeoutText] = process.argv.slice(2);
const timeoutMs = Number(timeoutText);
if (!fifo || !/^[A-Za-z0-9_-]+$/.test(namespace) || !(timeoutMs > 0)) {
  process.stderr.write('usage: watchdog-lab.js FIFO NAMESPACE TIMEOUT_MS\n');
  process.exit(2);
}

let timer: NodeJS.Timeout | undefined;
const say = (what: string) => process.stdout.write(`${new Date().toISOString()} ${namespace}: ${what}\n`);

function reset(): void {
  timer = undefined;
  say(`not fed for ${timeoutMs} ms: resetting the host`);
  spawnSync('ip', ['-n', namespace, 'link', 'set', 'eth0', 'down']);
  const pids = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function arm(): void {
  clearTimeout(timer);
  timer = setTimeout(reset, timeoutMs);
}

/** One writer at a time: each open of the FIFO by the host's tandem, until it closes it. */
function listen(): void {
  let last = '';
  const stream = createReadStream(fifo);
  stream.on('data', (chunk: Buffer | string) => {
    const text = chunk.toString();
    if (text.length === 0) return;
    if (!timer) say('armed');
    last = text[text.length - 1]!;
    arm();
  });
  stream.on('end', () => {
    if (last === 'V' && timer) {
      clearTimeout(timer);
      timer = undefined;
      say('disarmed (magic close)');
    }
    listen();
  });
  stream.on('error', (error) => {
    say(`cannot read ${fifo}: ${error.message}`);
    process.exit(1);
  });
}

process.on('SIGTERM', () => process.exit(0));
listen();
