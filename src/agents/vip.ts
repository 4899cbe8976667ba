// The built-in `tandem:vip` agent: a virtual IPv4 address, with IPaddr2's parameters (ip,
// cidr_netmask, nic). start adds the address and announces it with gratuitous ARP (in the
// background, so peers learn the new holder at once while start returns); stop removes
// it; monitor checks it is configured. It does in milliseconds what IPaddr2's shell
// script does in about a second on a busy machine.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { OcfRc } from '../model/status.js';
import { builtinMetadata } from './metadata.js';
import type { AgentCall, AgentResult } from './ocf.js';

export const vipMetadata = builtinMetadata('vip', 'A virtual IPv4 address, announced with gratuitous ARP', "Adds an IPv4 address to an interface (IPaddr2's parameters), announces it with gratuitous ARP, removes it on stop.", [
  { name: 'ip', required: true, unique: true, type: 'string', description: 'The IPv4 address' },
  { name: 'cidr_netmask', type: 'integer', description: "Prefix length (default: that of the interface's network holding the address)" },
  { name: 'nic', type: 'string', description: 'Interface (default: the one whose network holds the address)' },
  { name: 'arp_count', type: 'integer', default: '5', description: 'Gratuitous ARP packets sent on start' },
  { name: 'arp_interval', type: 'integer', default: '200', description: 'Milliseconds between them' },
]);

/** resource-agents' send_arp (what IPaddr2 uses), or iputils' arping. */
const sendArpPath = '/usr/libexec/heartbeat/send_arp';

interface Interface {
  nic: string;
  address: string;
  prefixLength: number;
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => resolve({ status: null, output: error.message }));
    child.on('close', (status) => resolve({ status, output }));
  });
}

function toNumber(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function sameNetwork(a: number, b: number, prefixLength: number): boolean {
  const size = 2 ** (32 - prefixLength);
  return Math.floor(a / size) === Math.floor(b / size);
}

/**
 * The addresses of the interfaces that are up, as the kernel gives them to this process at
 * no cost: enough to place an address being started (one spawn less on the failover path).
 */
function upInterfaces(): Interface[] {
  return Object.entries(networkInterfaces()).flatMap(([nic, entries]) =>
    (entries ?? []).filter((entry) => entry.family === 'IPv4').map((entry) => ({ nic, address: entry.address, prefixLength: Number(entry.cidr?.split('/')[1] ?? 32) })),
  );
}

/** Every IPv4 address configured, on interfaces up or down (what stop and monitor must see). */
async function interfaces(timeoutMs: number): Promise<Interface[]> {
  const { output } = await run('ip', ['-o', '-4', 'addr', 'show'], timeoutMs);
  const found: Interface[] = [];
  for (const line of output.split('\n')) {
    const match = /^\d+:\s+(\S+)\s+inet (\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line);
    if (match) found.push({ nic: match[1]!.replace(/@.*$/, ''), address: match[2]!, prefixLength: Number(match[3]) });
  }
  return found;
}

interface Placement {
  nic: string;
  prefixLength: number;
  present: boolean;
}

/** What is wrong with a vip's parameters, if anything (validate-all, and configure load). */
export function vipParamsProblem(params: Record<string, string>): string | undefined {
  if (toNumber(params.ip ?? '') === undefined) return `the "ip" parameter must be an IPv4 address, not "${params.ip ?? ''}"`;
  const mask = params.cidr_netmask;
  if (mask !== undefined && !(/^\d+$/.test(mask) && Number(mask) <= 32)) return `cidr_netmask="${mask}" must be a prefix length from 0 to 32`;
  return undefined;
}

/** Where the address goes: the given nic, or the interface whose network holds it. */
function placement(call: AgentCall, all: Interface[]): Placement | string {
  const ip = call.params.ip!;
  const target = toNumber(ip)!;
  const present = all.find((entry) => entry.address === ip);
  if (present && (!call.params.nic || present.nic === call.params.nic)) return { nic: present.nic, prefixLength: present.prefixLength, present: true };
  const own = all.filter((entry) => entry.address !== ip);
  const candidate = call.params.nic ? own.find((entry) => entry.nic === call.params.nic) : own.find((entry) => entry.nic !== 'lo' && sameNetwork(toNumber(entry.address)!, target, entry.prefixLength));
  const prefixLength = call.params.cidr_netmask !== undefined ? Number(call.params.cidr_netmask) : candidate?.prefixLength;
  if (call.params.nic) return { nic: call.params.nic, prefixLength: prefixLength ?? 32, present: false };
  if (!candidate || prefixLength === undefined) return `no interface has a network holding ${ip}; give nic= and cidr_netmask=`;
  return { nic: candidate.nic, prefixLength, present: false };
}

/** Announces the new holder: unsolicited ARP replies, in the background. */
function announce(nic: string, ip: string, count: number, intervalMs: number): void {
  const child = existsSync(sendArpPath)
    ? spawn(sendArpPath, ['-i', String(intervalMs), '-r', String(count), nic, ip, 'auto', 'not_used', 'not_used'], { stdio: 'ignore', detached: true })
    : spawn('arping', ['-U', '-c', String(count), '-w', String(Math.ceil((count * intervalMs) / 1000) + 1), '-I', nic, ip], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

export async function runVipAgent(call: AgentCall): Promise<AgentResult> {
  const started = Date.now();
  const result = (rc: number, output = ''): AgentResult => ({ rc, timedOut: false, notInstalled: false, durationMs: Date.now() - started, output });
  if (call.action === 'meta-data') return result(OcfRc.success, vipMetadata);
  const problem = vipParamsProblem(call.params);
  if (call.action === 'validate-all') return result(problem ? OcfRc.errConfigured : OcfRc.success, problem ?? '');
  if (problem) return result(call.action === 'stop' || call.action === 'monitor' ? OcfRc.notRunning : OcfRc.errConfigured, problem);
  const where = placement(call, call.action === 'start' ? upInterfaces() : await interfaces(call.timeoutMs));
  const ip = call.params.ip!;
  switch (call.action) {
    case 'monitor':
      return result(typeof where !== 'string' && where.present ? OcfRc.success : OcfRc.notRunning);
    case 'start': {
      if (typeof where === 'string') return result(OcfRc.errConfigured, where);
      if (!where.present) {
        const added = await run('ip', ['addr', 'add', `${ip}/${where.prefixLength}`, 'dev', where.nic], call.timeoutMs);
        // Already there (on an interface that is down, which the list of those up leaves out): as good.
        const present = /File exists/.test(added.output);
        if (added.status !== 0 && !present) return result(OcfRc.errGeneric, `ip addr add ${ip}/${where.prefixLength} dev ${where.nic}: ${added.output.trim()}`);
      }
      announce(where.nic, ip, Number(call.params.arp_count ?? 5), Number(call.params.arp_interval ?? 200));
      return result(OcfRc.success);
    }
    case 'stop': {
      if (typeof where === 'string' || !where.present) return result(OcfRc.success);
      const removed = await run('ip', ['addr', 'del', `${ip}/${where.prefixLength}`, 'dev', where.nic], call.timeoutMs);
      return result(removed.status === 0 ? OcfRc.success : OcfRc.errGeneric, removed.output.trim());
    }
    default:
      return result(OcfRc.errUnimplemented, `action ${call.action} is not implemented`);
  }
}
