// Choosing a server for a new connection, by the backend's `balance` algorithm. Candidates
// are the usable active servers; only when none is usable, the first usable backup server
// (HAProxy's behaviour without `option allbackups`).

import type { BalanceAlgorithm } from './plan.js';
import type { ServerState } from './server-state.js';

export type Pick = { server: ServerState } | { wait: true } | { none: true };

/** One pass, one array: a pick is made for every request in mode http. */
function candidatesOf(servers: readonly ServerState[], exclude: ServerState | undefined): ServerState[] {
  let active: ServerState[] | undefined;
  let backup: ServerState | undefined;
  for (const server of servers) {
    if (!server.usable || server === exclude) continue;
    if (!server.plan.backup) (active ??= []).push(server);
    else backup ??= server;
  }
  return active ?? (backup ? [backup] : []);
}

/**
 * Smooth weighted round robin (as nginx does it): each pick adds every candidate's weight to
 * its running weight, takes the highest, and lowers that one by the sum of weights. Servers
 * come in proportion to their weights and interleaved, never in bursts.
 */
function roundRobin(candidates: readonly ServerState[]): ServerState {
  let best = candidates[0]!;
  let totalWeight = 0;
  for (const server of candidates) {
    server.rrCurrent += server.plan.weight;
    totalWeight += server.plan.weight;
    if (server.rrCurrent > best.rrCurrent) best = server;
  }
  best.rrCurrent -= totalWeight;
  return best;
}

/** Fewest connections per unit of weight; ties go round robin so that idle servers share. */
function leastConnections(candidates: readonly ServerState[]): ServerState {
  const load = (server: ServerState) => server.current / server.plan.weight;
  const lowest = Math.min(...candidates.map(load));
  return roundRobin(candidates.filter((server) => load(server) === lowest));
}

/** FNV-1a then murmur3's finaliser: a cheap 32-bit hash whose bits all depend on every byte. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/**
 * Weighted rendezvous hashing of the client address: every server gets a score from
 * hash(client, server) and the highest wins. A client keeps its server as long as that server
 * is a candidate, and when one server leaves only its own clients move (HAProxy's default
 * map-based hashing would move others too).
 */
function sourceHash(candidates: readonly ServerState[], clientAddress: string): ServerState {
  let best = candidates[0]!;
  let bestScore = -Infinity;
  for (const server of candidates) {
    const unit = (hash32(`${clientAddress}\u0000${server.plan.name}`) + 1) / 4294967297; // in (0, 1)
    const score = -server.plan.weight / Math.log(unit);
    if (score > bestScore) [best, bestScore] = [server, score];
  }
  return best;
}

/**
 * Picks a server for a connection from `clientAddress`, avoiding `exclude` (a server that
 * just refused it) when another is usable. `wait` means usable servers exist but the chosen
 * one (source) or all of them (roundrobin, leastconn) are at their maxconn.
 */
export function pickServer(algorithm: BalanceAlgorithm, servers: readonly ServerState[], clientAddress: string, exclude?: ServerState): Pick {
  let candidates = candidatesOf(servers, exclude);
  if (candidates.length === 0 && exclude) candidates = candidatesOf(servers, undefined);
  if (candidates.length === 0) return { none: true };
  if (algorithm === 'source') {
    const server = sourceHash(candidates, clientAddress);
    return server.full ? { wait: true } : { server };
  }
  const free = candidates.some((server) => server.full) ? candidates.filter((server) => !server.full) : candidates;
  if (free.length === 0) return { wait: true };
  return { server: algorithm === 'leastconn' ? leastConnections(free) : roundRobin(free) };
}
