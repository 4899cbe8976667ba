// One configuration at run time: its frontends, backends, servers and health checks. A reload
// makes a new generation beside the old one; the new one takes over the old one's server
// states and waiting connections, and the old one lives on, without checks, until the
// connections it was serving are over.

import type { HaproxyConfig } from '../formats/haproxy/index.js';
import { Backend } from './backend.js';
import { Frontend, type ServeConnection } from './frontend.js';
import { HealthChecker } from './health-check.js';
import { HttpProxy } from './http-proxy.js';
import { bindKey, type BalancerPlan, type BindAddress, type FrontendPlan } from './plan.js';
import type { ServerState } from './server-state.js';
import { Session, type SessionSettings } from './session.js';

export interface ProxyRuntime {
  name: string;
  frontend?: Frontend;
  http?: HttpProxy;
  backend?: Backend;
}

function serveTcp(plan: FrontendPlan, backend: Backend, log: ((line: string) => void) | undefined, connectionsOpen: () => number): ServeConnection {
  const settings: SessionSettings = {
    clientTimeoutMs: plan.clientTimeoutMs,
    serverKeepAlive: backend.plan.serverKeepAlive,
    frontend: plan.name,
    connectionsOpen,
    log: plan.tcpLog ? log : undefined,
    dontLogNull: plan.dontLogNull,
  };
  return (client, done) => {
    const session = new Session(client, backend, settings, done);
    void session.start();
    return session;
  };
}

export class Generation {
  /** In configuration order (HAProxy's proxy ids follow it). */
  readonly proxies: ProxyRuntime[];
  readonly plan: BalancerPlan;
  private readonly checkers = new Map<ServerState, HealthChecker>();

  /** Builds the run-time objects; nothing listens, connects or checks yet. */
  constructor(config: HaproxyConfig, plan: BalancerPlan, log: ((line: string) => void) | undefined) {
    this.plan = plan;
    const backends = new Map(plan.backends.map((backendPlan) => [backendPlan.name, new Backend(backendPlan)]));
    this.proxies = config.proxies.map((proxy) => {
      const runtime: ProxyRuntime = { name: proxy.name };
      const backend = proxy.kind === 'frontend' ? undefined : backends.get(proxy.name);
      if (backend) runtime.backend = backend;
      const frontendPlan = proxy.kind === 'backend' ? undefined : plan.frontends.find((candidate) => candidate.name === proxy.name);
      if (frontendPlan) {
        const frontendBackend = backends.get(frontendPlan.backend)!;
        if (frontendPlan.http) runtime.http = new HttpProxy(frontendPlan, frontendPlan.http, frontendBackend, log);
        runtime.frontend = new Frontend(frontendPlan, runtime.http ? runtime.http.serve : serveTcp(frontendPlan, frontendBackend, log, () => runtime.frontend?.current ?? 0));
      }
      return runtime;
    });
  }

  /** Every bind address (by its key) with the frontend that takes its connections. */
  binds(): Map<string, { address: BindAddress; frontend: Frontend }> {
    const binds = new Map<string, { address: BindAddress; frontend: Frontend }>();
    for (const { frontend } of this.proxies) for (const address of frontend?.plan.addresses ?? []) binds.set(bindKey(address), { address, frontend: frontend! });
    return binds;
  }

  backend(name: string): Backend | undefined {
    return this.proxies.find((proxy) => proxy.name === name && proxy.backend)?.backend;
  }

  /**
   * Takes over from the generation before: the state of servers of the same backend and
   * name, the connections waiting for a frontend slot, and the next requests of kept-alive
   * HTTP connections (see HttpProxy.retire). The previous generation's checks stop.
   */
  takeOver(previous: Generation): void {
    previous.stopChecks();
    for (const { backend } of this.proxies) {
      const before = backend && previous.backend(backend.plan.name);
      if (!before) continue;
      for (const server of backend.servers) {
        const same = before.server(server.plan.name);
        if (same) server.continueFrom(same);
      }
    }
    for (const old of previous.proxies) {
      const next = this.proxies.find((proxy) => proxy.name === old.name);
      if (old.frontend && next?.frontend) old.frontend.handQueueTo(next.frontend);
      old.http?.retire(next?.http);
    }
  }

  startChecks(): void {
    for (const { backend } of this.proxies) {
      for (const server of backend?.servers ?? []) {
        if (!server.plan.check) continue;
        const checker = new HealthChecker(server, () => backend!.serveQueue());
        this.checkers.set(server, checker);
        checker.start();
      }
    }
  }

  /** Checks a server at once instead of at its next interval (when the cluster says it is back). */
  checkNow(proxyName: string, serverName: string): void {
    const server = this.backend(proxyName)?.server(serverName);
    if (server) this.checkers.get(server)?.checkNow();
  }

  /** A replaced generation with no connection left: nothing more will happen in it. */
  get drained(): boolean {
    return this.proxies.every(({ frontend, backend }) => (frontend?.idle ?? true) && (backend?.idle ?? true));
  }

  /** In a replaced generation: closes the idle HTTP connections whose frontend is gone from the configuration. */
  closeIdleHttp(): void {
    for (const { http } of this.proxies) http?.closeIdleIfStopped();
  }

  /** Stops checks and ends every connection, running or waiting. */
  close(): void {
    this.stopChecks();
    for (const { backend } of this.proxies) backend?.close();
    for (const { frontend } of this.proxies) frontend?.close();
    for (const { http } of this.proxies) http?.close();
  }

  private stopChecks(): void {
    for (const checker of this.checkers.values()) checker.stop();
    this.checkers.clear();
  }
}
