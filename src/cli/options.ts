// Option values the commands share, checked once: a user's mistake is an InputError that
// names the option and what it takes.

import { InputError } from '../model/errors.js';

export function leaseTtlOption(text: string): number {
  const leaseTtlMs = Number(text);
  if (!Number.isInteger(leaseTtlMs) || leaseTtlMs < 1_000 || leaseTtlMs % 1_000 !== 0) throw new InputError(`--lease-ttl-ms ${text}: etcd leases are whole seconds: 1000, 2000, ...`);
  return leaseTtlMs;
}

export function watchdogTimeoutOption(text: string): number {
  const timeoutMs = Number(text);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1_000) throw new InputError(`--watchdog-timeout-ms ${text}: expected whole milliseconds, 1000 or more`);
  return timeoutMs;
}

export function portOption(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new InputError(`${option} ${text}: expected a TCP port (1-65535)`);
  return value;
}

export function millisecondsOption(text: string, option: string, least: number, most: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < least || value > most) throw new InputError(`${option} ${text}: expected whole milliseconds, ${least} to ${most}`);
  return value;
}
