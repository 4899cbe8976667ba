// The faults `tandem drill` strikes on this node: its network cut (the link carrying its
// cluster address goes down for a while; a detached process brings it up again, so the
// node comes back even if tandem dies meanwhile), and a resource's supervised process
// killed hard (tandem:process keeps its pid). Each answers before it strikes: once cut,
// nothing gets out.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DrillAnswer } from '../cluster/drills.js';

export type DrillOrder = { fault: 'cut'; durationMs: number } | { fault: 'kill-process'; resource: string };

export interface DrillContext {
  /** The address this node is reached at: its link is the one cut. */
  address: string | undefined;
  /** Where tandem:process keeps its pid files. */
  runDir: string;
}

const longestCutMs = 300_000;

/** The interface that carries `address`, from `ip -o -4 addr show`. */
export function interfaceOf(ipOutput: string, address: string): string | undefined {
  for (const line of ipOutput.split('\n')) {
    const match = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\//.exec(line);
    if (match && match[2] === address) return match[1]!.split('@')[0];
  }
  return undefined;
}

function prepareCut(durationMs: number, context: DrillContext): { answer: DrillAnswer; strike?: () => void } {
  if (!(durationMs > 0 && durationMs <= longestCutMs)) return { answer: { ok: false, detail: `a cut lasts 1 ms to ${longestCutMs / 1000} s` } };
  if (!context.address) return { answer: { ok: false, detail: 'this node was started without --address: which link to cut is unknown' } };
  const listed = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  const link = listed.status === 0 ? interfaceOf(listed.stdout, context.address) : undefined;
  if (!link) return { answer: { ok: false, detail: `no interface here carries ${context.address}` } };
  const seconds = (durationMs / 1000).toFixed(3);
  return {
    answer: { ok: true, detail: `cutting ${link} (${context.address}) for ${seconds} s` },
    strike: () => {
      // Detached, in its own session: it brings the link back whatever becomes of tandem.
      spawn('/bin/sh', ['-c', `sleep ${seconds}; ip link set dev "$0" up`, link], { detached: true, stdio: 'ignore' }).unref();
      spawnSync('ip', ['link', 'set', 'dev', link, 'down']);
    },
  };
}

function prepareKill(resource: string, context: DrillContext): { answer: DrillAnswer; strike?: () => void } {
  const instance = resource.replace(/[^A-Za-z0-9_.:-]/g, '_');
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(context.runDir, `${instance}.pid`), 'utf8'), 10);
  } catch {
    return { answer: { ok: false, detail: `${resource} has no supervised process here (kill-process takes a tandem:process resource running on this node)` } };
  }
  return {
    answer: { ok: true, detail: `killing ${resource}'s process group ${pid}` },
    strike: () => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone: the drill then measures nothing worse than a stopped service.
      }
    },
  };
}

export async function prepareFault(order: DrillOrder, context: DrillContext): Promise<{ answer: DrillAnswer; strike?: () => void }> {
  return order.fault === 'cut' ? prepareCut(order.durationMs, context) : prepareKill(order.resource, context);
}
