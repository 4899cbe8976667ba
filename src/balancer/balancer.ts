// tandem's load balancer: a haproxy.cfg model served in mode tcp or http. It owns the frontends'
// listeners, the backends' servers and their health checks, and offers what the rest of
// tandem needs: the cluster's verdict on a server (taken at once, without waiting for `fall`
// failed checks), HAProxy's runtime admin states, and `show stat`-like statistics.

import type { HaproxyConfig } from '../formats/haproxy/index.js';
import { InputError } from '../model/errors.js';
import { Backend } from './backend.js';
import { Frontend, type ServeConnection } from './frontend.js';
import { HealthChecker } from './health-check.js';
import { HttpProxy } from './http-proxy.js';
import { planBalancer, type FrontendPlan } from './plan.js';
import type { AdminState, ClusterState, ServerState } from './server-state.js';
import { Session } from './session.js';
import { statsRows, type StatsRow } from './stats.js';

interface ProxyRuntime {
  name: string;
  frontend?: Frontend;
  http?: HttpProxy;
  backend?: Backend;
}

export interface BalancerOptions {
  /** Where per-request lines go (`option httplog`). */
  log?: (line: string) => void;
}

function serveTcp(plan: FrontendPlan, backend: Backend): ServeConnection {
  const settings = { clientTimeoutMs: plan.clientTimeoutMs, serverKeepAlive: backend.plan.serverKeepAlive };
  return (client, done) => {
    const session = new Session(client, backend, settings, done);
    void session.start();
    return session;
  };
}

export class Balancer {
  private readonly proxies: ProxyRuntime[];
  private readonly checkers = new Map<ServerState, HealthChecker>();

  private constructor(proxies: ProxyRuntime[]) {
    this.proxies = proxies;
  }

  /** Plans the configuration (InputError if this balancer cannot serve it), starts checks, listens on every bind. */
  static async start(config: HaproxyConfig, options: BalancerOptions = {}): Promise<Balancer> {
    const plan = planBalancer(config);
    const backends = new Map(plan.backends.map((backendPlan) => [backendPlan.name, new Backend(backendPlan)]));
    const proxies: ProxyRuntime[] = config.proxies.map((proxy) => {
      const runtime: ProxyRuntime = { name: proxy.name };
      const backend = proxy.kind === 'frontend' ? undefined : backends.get(proxy.name);
      if (backend) runtime.backend = backend;
      const frontendPlan = proxy.kind === 'backend' ? undefined : plan.frontends.find((candidate) => candidate.name === proxy.name);
      if (frontendPlan) {
        const frontendBackend = backends.get(frontendPlan.backend)!;
        if (frontendPlan.http) runtime.http = new HttpProxy(frontendPlan, frontendPlan.http, frontendBackend, options.log);
        runtime.frontend = new Frontend(frontendPlan, runtime.http ? runtime.http.serve : serveTcp(frontendPlan, frontendBackend));
      }
      return runtime;
    });
    const balancer = new Balancer(proxies);
    for (const backend of backends.values()) {
      for (const server of backend.servers) {
        if (!server.plan.check) continue;
        const checker = new HealthChecker(server, () => backend.serveQueue());
        balancer.checkers.set(server, checker);
        checker.start();
      }
    }
    try {
      for (const { frontend } of proxies) await frontend?.listen();
    } catch (error) {
      await balancer.close();
      throw error;
    }
    return balancer;
  }

  /**
   * The cluster's verdict on a server, applied at once: 'down' takes it out of every new
   * connection's choice; 'up' lets it back once its health checks pass too (a check runs now).
   */
  setClusterState(proxy: string, server: string, state: ClusterState): void {
    const { backend, target } = this.find(proxy, server);
    target.setCluster(state);
    if (state === 'up') this.checkers.get(target)?.checkNow();
    backend.serveQueue();
  }

  /** HAProxy's runtime `set server PROXY/SERVER state ready|drain|maint`: drain and maint take no new connections; running ones go on. */
  setAdminState(proxy: string, server: string, state: AdminState): void {
    const { backend, target } = this.find(proxy, server);
    target.setAdmin(state);
    backend.serveQueue();
  }

  stats(): StatsRow[] {
    return statsRows(this.proxies);
  }

  /** Stops health checks and listeners and ends every connection. */
  async close(): Promise<void> {
    for (const checker of this.checkers.values()) checker.stop();
    for (const { backend } of this.proxies) backend?.close();
    await Promise.all(this.proxies.map(({ frontend }) => frontend?.close()));
    for (const { http } of this.proxies) http?.close();
  }

  private find(proxyName: string, serverName: string): { backend: Backend; target: ServerState } {
    const backend = this.proxies.find((proxy) => proxy.name === proxyName && proxy.backend)?.backend;
    if (!backend) throw new InputError(`no backend or listen section named '${proxyName}'`);
    const target = backend.server(serverName);
    if (!target) throw new InputError(`backend '${proxyName}' has no server named '${serverName}'`);
    return { backend, target };
  }
}
