// Choosing a server for a new connection, by the backend's `balance` algorithm. Candidates
// are the usable active servers; only when none is usable, the first usable backup server
// (HAProxy's behaviour without `option allbackups`). A pick is made for every request in mode
// http, so it walks the server list in place and allocates nothing.

import type { BalanceAlgorithm } from './plan.js';
import type { ServerState } from './server-state.js';

/**
 * The server chosen; 'wait': usable servers exist but the chosen one (source) or all of them
 * (roundrobin, leastconn) are at their maxconn; 'none': no server is usable.
 */
export type Pick = ServerState | 'wait' | 'none';

function isActiveCandidate(server: ServerState, exclude: ServerState | undefined): boolean {
  return server.usable && server !== exclude && !server.plan.backup;
}

function load(server: ServerState): number {
  return server.current / server.plan.weight;
}

/**
 * Smooth weighted round robin (as nginx does it) over the active candidates with a free slot
 * (and, for leastconn, the given load): each pick adds every one's weight to its running
 * weight, takes the highest, and lowers that one by the sum of weights. Servers come in
 * proportion to their weights and interleaved, never in bursts.
 */
function roundRobin(servers: readonly ServerState[], exclude: ServerState | undefined, onlyLoad: number | undefined): ServerState | undefined {
  let best: ServerState | undefined;
  let totalWeight = 0;
  for (const server of servers) {
    if (!isActiveCandidate(server, exclude) || server.full || (onlyLoad !== undefined && load(server) !== onlyLoad)) continue;
    server.rrCurrent += server.plan.weight;
    totalWeight += server.plan.weight;
    if (!best || server.rrCurrent > best.rrCurrent) best = server;
  }
  if (best) best.rrCurrent -= totalWeight;
  return best;
}

/** Fewest connections per unit of weight among the active candidates with a free slot; ties go round robin so that idle servers share. */
function leastConnections(servers: readonly ServerState[], exclude: ServerState | undefined): ServerState | undefined {
  let lowest = Infinity;
  for (const server of servers) if (isActiveCandidate(server, exclude) && !server.full) lowest = Math.min(lowest, load(server));
  return lowest === Infinity ? undefined : roundRobin(servers, exclude, lowest);
}

/** FNV-1a of `first`, a NUL and `second`, then murmur3's finaliser: a cheap 32-bit hash whose bits all depend on every byte. */
function hashPair(first: string, second: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < first.length; index += 1) hash = Math.imul(hash ^ first.charCodeAt(index), 0x01000193);
  hash = Math.imul(hash, 0x01000193); // the NUL between them: hash ^ 0 is hash
  for (let index = 0; index < second.length; index += 1) hash = Math.imul(hash ^ second.charCodeAt(index), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/**
 * Weighted rendezvous hashing of the client address over the active candidates: every server
 * gets a score from hash(client, server) and the highest wins. A client keeps its server as
 * long as that server is a candidate, and when one server leaves only its own clients move
 * (HAProxy's default map-based hashing would move others too).
 */
function sourceHash(servers: readonly ServerState[], exclude: ServerState | undefined, clientAddress: string): ServerState {
  let best: ServerState | undefined;
  let bestScore = -Infinity;
  for (const server of servers) {
    if (!isActiveCandidate(server, exclude)) continue;
    const unit = (hashPair(clientAddress, server.plan.name) + 1) / 4294967297; // in (0, 1)
    const score = -server.plan.weight / Math.log(unit);
    if (score > bestScore) {
      best = server;
      bestScore = score;
    }
  }
  return best!;
}

/** The pick among the servers other than `exclude`. */
function pickExcluding(algorithm: BalanceAlgorithm, servers: readonly ServerState[], clientAddress: string, exclude: ServerState | undefined): Pick {
  let hasActive = false;
  let backup: ServerState | undefined;
  for (const server of servers) {
    if (!server.usable || server === exclude) continue;
    if (!server.plan.backup) hasActive = true;
    else backup ??= server;
  }
  if (!hasActive) {
    if (!backup) return 'none';
    return backup.full ? 'wait' : backup;
  }
  if (algorithm === 'source') {
    const server = sourceHash(servers, exclude, clientAddress);
    return server.full ? 'wait' : server;
  }
  return (algorithm === 'leastconn' ? leastConnections(servers, exclude) : roundRobin(servers, exclude, undefined)) ?? 'wait';
}

/**
 * Picks a server for a connection from `clientAddress`, avoiding `exclude` (a server that
 * just refused it) when another is usable.
 */
export function pickServer(algorithm: BalanceAlgorithm, servers: readonly ServerState[], clientAddress: string, exclude?: ServerState): Pick {
  const pick = pickExcluding(algorithm, servers, clientAddress, exclude);
  return pick === 'none' && exclude ? pickExcluding(algorithm, servers, clientAddress, undefined) : pick;
}
