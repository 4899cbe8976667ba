// The lab's power switch, as a fence agent (`fence_tandem_lab`): speaks the fence-agent
// protocol (name=value options on standard input, exit status 0 for success) and powers a
// lab host off: its link goes down and every process in its namespace is killed. `port` is
// the host's namespace. A lab host stays off until the lab boots it again, so `reboot` is
// carried out as `off`; `on` is not supported.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function options(): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of readFileSync(0, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) found[match[1]!] = match[2]!;
  }
  return found;
}

function powerOff(namespace: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(namespace)) return false;
  const link = spawnSync('ip', ['-n', namespace, 'link', 'set', 'eth0', 'down']);
  const pids = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' });
  if (link.status !== 0 || pids.status !== 0) return false;
  for (const pid of pids.stdout.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  return true;
}

const given = options();
const action = given.action ?? given.option ?? 'reboot';
const port = given.port ?? given.plug ?? '';
switch (action) {
  case 'monitor':
  case 'status':
  case 'list':
  case 'metadata':
    process.exit(0);
    break;
  case 'off':
  case 'reboot':
    process.exit(powerOff(port) ? 0 : 1);
    break;
  default:
    process.stderr.write(`fence_tandem_lab: action ${action} is not supported\n`);
    process.exit(1);
}
