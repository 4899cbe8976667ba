// tandem's load balancer: a haproxy.cfg model served in mode tcp or http. It owns the listening
// sockets and the configuration running behind them (a Generation), and offers what the rest
// of tandem needs: the cluster's verdict on a server (taken at once, without waiting for
// `fall` failed checks), HAProxy's runtime admin states, `show stat`-like statistics, and
// reloads that neither refuse nor close a connection.

import type { HaproxyConfig } from '../formats/haproxy/index.js';
import { InputError } from '../model/errors.js';
import type { Backend } from './backend.js';
import { Generation } from './generation.js';
import { Listener } from './listener.js';
import { planBalancer, type BalancerPlan, type ProxyPositions } from './plan.js';
import type { AdminState, ClusterState, ServerState } from './server-state.js';
import { serversState } from './servers-state.js';
import { statsRows, type StatsRow } from './stats.js';

export interface BalancerOptions {
  /** Where per-request and per-session lines go (`option httplog`, `option tcplog`). */
  log?: (line: string) => void;
  /** Where each proxy's section is in the file (from the reader), so that refusals name file:line. */
  proxyPositions?: ProxyPositions;
}

/** What a reload did with the binds, by address. */
export interface ReloadSummary {
  kept: string[];
  opened: string[];
  closed: string[];
}

export class Balancer {
  private readonly log: ((line: string) => void) | undefined;
  private readonly listeners = new Map<string, Listener>();
  private current: Generation | undefined;
  /** Replaced generations still serving connections they had before a reload. */
  private readonly retired = new Set<Generation>();
  /** Reloads and the shutdown one after another, never interleaved. */
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(log: ((line: string) => void) | undefined) {
    this.log = log;
  }

  /** Plans the configuration (InputError if this balancer cannot serve it), starts checks, listens on every bind. */
  static async start(config: HaproxyConfig, options: BalancerOptions = {}): Promise<Balancer> {
    const balancer = new Balancer(options.log);
    await balancer.reload(config, options.proxyPositions);
    return balancer;
  }

  /**
   * Serves `config` instead of the configuration running now. All of it is planned and every
   * new bind opened first: if anything fails, an InputError says what and nothing changed.
   * Then, at once: binds on the same address keep their listening socket (no connection is
   * refused), new ones take connections, removed ones stop listening; connections running go
   * on to their end; server state carries over (see ServerState.continueFrom).
   */
  reload(config: HaproxyConfig, positions?: ProxyPositions): Promise<ReloadSummary> {
    const done = this.pending.then(() => this.replace(config, positions));
    this.pending = done.catch(() => {});
    return done;
  }

  /**
   * The cluster's verdict on a server, applied at once: 'down' takes it out of every new
   * connection's choice, 'drain' too but as the admin state drain (running connections go
   * on); 'up' lets it back once its health checks pass too. A server leaving 'down' needs a
   * passing check first (one runs now).
   */
  setClusterState(proxy: string, server: string, state: ClusterState): void {
    this.apply(proxy, server, (target) => target.setCluster(state));
    if (state !== 'down') this.current?.checkNow(proxy, server);
  }

  /** The cluster's verdict on a server of the running configuration; undefined when there is no such server. */
  clusterState(proxy: string, server: string): ClusterState | undefined {
    return this.current && find(this.current, proxy, server)?.server.cluster;
  }

  /** Sessions open on a server (scur), those still running on configurations replaced by a reload included; undefined when there is no such server. */
  serverSessions(proxy: string, server: string): number | undefined {
    if (!this.current || !find(this.current, proxy, server)) return undefined;
    return [this.current, ...this.retired].reduce((total, generation) => total + (find(generation, proxy, server)?.server.current ?? 0), 0);
  }

  /** What the running configuration was planned into. */
  get plan(): BalancerPlan {
    return this.current!.plan;
  }

  /** HAProxy's runtime `set server PROXY/SERVER state ready|drain|maint`: drain and maint take no new connections; running ones go on. */
  setAdminState(proxy: string, server: string, state: AdminState): void {
    this.apply(proxy, server, (target) => target.setAdmin(state));
  }

  stats(): StatsRow[] {
    return statsRows(this.current?.proxies ?? []);
  }

  /** HAProxy's `show servers state` text. */
  serversState(): string {
    return serversState(this.current?.proxies ?? []);
  }

  /** Stops listening and checking and ends every connection. */
  async close(): Promise<void> {
    const done = this.pending.then(() => {
      for (const listener of this.listeners.values()) listener.close();
      this.listeners.clear();
      this.current?.close();
      for (const generation of this.retired) generation.close();
      this.retired.clear();
    });
    this.pending = done;
    await done;
  }

  private async replace(config: HaproxyConfig, positions: ProxyPositions | undefined): Promise<ReloadSummary> {
    const next = new Generation(config, planBalancer(config, positions), this.log);
    const binds = next.binds();
    const opened = new Map<string, Listener>();
    try {
      for (const [key, { address, frontend }] of binds) {
        if (this.listeners.has(key)) continue;
        const listener = await Listener.open(address, frontend.accept).catch((error: Error) => {
          throw new InputError(`${frontend.plan.name}: cannot listen on ${key}: ${error.message}`);
        });
        opened.set(key, listener);
      }
    } catch (error) {
      for (const listener of opened.values()) listener.close();
      throw error;
    }
    // From here on all is synchronous: no connection arrives half-way through the switch.
    const summary: ReloadSummary = { kept: [], opened: [...opened.keys()], closed: [] };
    const previous = this.current;
    if (previous) next.takeOver(previous);
    for (const [key, listener] of this.listeners) {
      const bind = binds.get(key);
      if (bind) {
        listener.handTo(bind.frontend.accept);
        summary.kept.push(key);
      } else {
        listener.close();
        this.listeners.delete(key);
        summary.closed.push(key);
      }
    }
    for (const [key, listener] of opened) this.listeners.set(key, listener);
    this.current = next;
    next.startChecks();
    if (previous) this.retired.add(previous);
    for (const generation of this.retired) {
      if (generation.drained) {
        generation.close();
        this.retired.delete(generation);
      } else {
        generation.closeIdleHttp(); // its frontends' successors may be gone now
      }
    }
    return summary;
  }

  /** Applies a change to the server in the running configuration (InputError if there is none), and to its namesakes still serving from before a reload. */
  private apply(proxyName: string, serverName: string, change: (server: ServerState) => void): void {
    const found = this.current && find(this.current, proxyName, serverName);
    if (!found) {
      if (!this.current?.backend(proxyName)) throw new InputError(`no backend or listen section named '${proxyName}'`);
      throw new InputError(`backend '${proxyName}' has no server named '${serverName}'`);
    }
    for (const generation of [this.current!, ...this.retired]) {
      const target = find(generation, proxyName, serverName);
      if (!target) continue;
      change(target.server);
      target.backend.serveQueue();
    }
  }
}

function find(generation: Generation, proxyName: string, serverName: string): { backend: Backend; server: ServerState } | undefined {
  const backend = generation.backend(proxyName);
  const server = backend?.server(serverName);
  return backend && server ? { backend, server } : undefined;
}
