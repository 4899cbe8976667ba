// wrk, driven by a small Lua script of its own: at full speed (saturation, on kept-alive
// connections or a new connection per request), or paced (each connection pausing a random
// 0..N ms between requests, so that every target is offered about the same load, well below
// what it can take, and its latency is its own rather than queueing).
// The script prints the figures on one line that this file reads, with microsecond precision.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  requestsPerS: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** wrk's socket errors and non-2xx responses, or '' when there were none. */
  errors: string;
}

const report = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
`;

/** Writes the two scripts into `dir`; returns their paths. */
export function writeWrkScripts(dir: string, pauseMaxMs: number): { saturation: string; paced: string } {
  const saturation = join(dir, 'saturation.lua');
  const paced = join(dir, 'paced.lua');
  writeFileSync(saturation, report);
  writeFileSync(paced, `function delay() return math.random(0, ${pauseMaxMs}) end\n${report}`);
  return { saturation, paced };
}

export function parseWrkReport(target: string, output: string): WrkResult {
  const line = /^RESULT (.*)$/m.exec(output);
  if (!line) throw new Error(`wrk printed no result for ${target}:\n${output}`);
  const [requests, durationUs, p50Us, p99Us, p999Us, maxUs, connect, read, write, timeout, status] = line[1]!.split(' ').map(Number) as number[];
  const socketErrors = connect! + read! + write! + timeout!;
  const errors = [socketErrors > 0 ? `socket errors: connect ${connect}, read ${read}, write ${write}, timeout ${timeout}` : '', status! > 0 ? `non-2xx or 3xx responses: ${status}` : ''].filter(Boolean).join('; ');
  return { requests: requests!, requestsPerS: requests! / (durationUs! / 1e6), p50Ms: p50Us! / 1000, p99Ms: p99Us! / 1000, p999Ms: p999Us! / 1000, maxMs: maxUs! / 1000, errors };
}

/** `closeEach`: every request on a new connection (the client asks for `Connection: close`). */
export function runWrk(url: string, script: string, durationS: number, connections: number, closeEach = false): string {
  const header = closeEach ? ['-H', 'Connection: close'] : [];
  return execFileSync('wrk', ['-t', '1', '-c', String(connections), '-d', `${durationS}s`, ...header, '-s', script, url], { encoding: 'utf8' });
}
