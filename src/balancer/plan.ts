// What the balancer runs, worked out once from the haproxy.cfg model: each listen/frontend
// with its addresses and the backend it sends to, each backend with its servers and the
// settings that apply to them (times in ms, HAProxy's defaults where a value is unset).
// Whatever this slice cannot serve faithfully is refused here with an InputError naming the
// proxy, so nothing that changes behaviour is silently ignored.

import { httpCheckOf, type HaproxyConfig, type HttpCheck, type Mode, type Proxy, type ProxySettings, type Server } from '../formats/haproxy/index.js';
import { InputError, type SourcePosition } from '../model/errors.js';

export type BalanceAlgorithm = 'roundrobin' | 'leastconn' | 'source';

export interface CheckPlan {
  host: string;
  port: number;
  interMs: number;
  fastInterMs: number;
  downInterMs: number;
  rise: number;
  fall: number;
  /** What bounds one check: `timeout check`, else `inter`. */
  timeoutMs: number;
  /** Present when `option httpchk` makes checks HTTP requests. */
  http?: HttpCheck;
}

export interface ServerPlan {
  name: string;
  host: string;
  /** Without a port, HAProxy connects to the port the client connected to, plus an offset. */
  port?: number;
  portOffset: number;
  weight: number;
  backup: boolean;
  disabled: boolean;
  /** 0 means no limit. */
  maxconn: number;
  check?: CheckPlan;
}

export interface BackendPlan {
  name: string;
  balance: BalanceAlgorithm;
  retries: number;
  redispatch: boolean;
  connectTimeoutMs?: number;
  serverTimeoutMs?: number;
  /** How long a connection may wait for a free server: `timeout queue`, else `timeout connect`. */
  queueTimeoutMs?: number;
  /** `timeout tunnel`: both sides' idle limit once a connection is a tunnel (a tcp session, an upgraded or CONNECT exchange), instead of `timeout client` and `timeout server`. */
  tunnelTimeoutMs?: number;
  serverKeepAlive: boolean;
  servers: ServerPlan[];
}

/** How connections are kept across HTTP requests: HAProxy's default keep-alive, `option http-server-close`, `option httpclose`. */
export type HttpConnectionMode = 'keep-alive' | 'server-close' | 'close';

/** What a `mode http` frontend does with each request; options set on either the frontend or its backend apply, as in HAProxy. */
export interface HttpPlan {
  /** `timeout http-request`: the time to receive a request's complete headers. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection waits for the next request: `timeout http-keep-alive`, else `timeout http-request`. */
  keepAliveTimeoutMs?: number;
  connectionMode: HttpConnectionMode;
  /** `option forwardfor [header NAME] [if-none]`: the header carrying the client's address. */
  forwardFor?: { header: string; ifNone: boolean };
  /** `option httplog`: a log line per request. */
  log: boolean;
}

export interface BindAddress {
  /** None: every address (`*:PORT`). */
  host?: string;
  port: number;
}

/** What identifies a bind across configurations: the same key means the same listening socket. */
export const bindKey = (address: BindAddress): string => `${address.host ?? '*'}:${address.port}`;

export interface FrontendPlan {
  name: string;
  mode: Mode;
  /** Present in mode http. */
  http?: HttpPlan;
  addresses: BindAddress[];
  backend: string;
  /** 0 means no limit. */
  maxconn: number;
  clientTimeoutMs?: number;
  queueTimeoutMs?: number;
  clientKeepAlive: boolean;
  /** Mode tcp: `option tcplog` (or `option httplog`, which HAProxy turns into it there), a log line per session. */
  tcpLog: boolean;
  /** `option dontlognull`: connections that carried no data are not logged. */
  dontLogNull: boolean;
}

export interface BalancerPlan {
  frontends: FrontendPlan[];
  backends: BackendPlan[];
}

/** Where each proxy's section starts in the file, for errors that name file:line. */
export type ProxyPositions = ReadonlyMap<Proxy, SourcePosition>;

function refuse(proxy: Proxy, what: string): never {
  throw new InputError(`${proxy.kind} '${proxy.name}': ${what}`);
}

/** Runs the planning of one proxy; what it refuses is placed at the proxy's section. */
function planningOf<T>(proxy: Proxy, positions: ProxyPositions | undefined, plan: () => T): T {
  try {
    return plan();
  } catch (error) {
    const position = positions?.get(proxy);
    if (error instanceof InputError && !error.position && position) throw new InputError(error.detail, position);
    throw error;
  }
}

function checkPlanOf(proxy: Proxy, server: Server, host: string, port: number | undefined): CheckPlan | undefined {
  const options = server.options;
  if (!options.check) return undefined;
  const checkPort = options.port ?? port;
  if (checkPort === undefined) refuse(proxy, `server '${server.name}' has no port to check: add 'port N' to its line`);
  const interMs = options.inter ?? 2000;
  const plan: CheckPlan = {
    host: options.addr ?? host,
    port: checkPort,
    interMs,
    fastInterMs: options.fastinter ?? interMs,
    downInterMs: options.downinter ?? interMs,
    rise: options.rise ?? 2,
    fall: options.fall ?? 3,
    timeoutMs: proxy.settings.timeouts.check ?? interMs,
  };
  const http = httpCheckOf(proxy.settings);
  if (http) plan.http = http;
  return plan;
}

function serverPlanOf(proxy: Proxy, server: Server): ServerPlan {
  const address = server.address;
  if ('socket' in address) refuse(proxy, `server '${server.name}' is a socket (${address.socket}); tandem's balancer connects to host:port servers only`);
  const options = server.options;
  const plan: ServerPlan = {
    name: server.name,
    host: address.host,
    portOffset: address.portOffset ?? 0,
    weight: options.weight ?? 1,
    backup: options.backup ?? false,
    disabled: options.disabled ?? false,
    maxconn: options.maxconn ?? 0,
  };
  if (address.port !== undefined) plan.port = address.port;
  const check = checkPlanOf(proxy, server, address.host, address.port);
  if (check) plan.check = check;
  return plan;
}

function backendPlanOf(proxy: Proxy): BackendPlan {
  const settings = proxy.settings;
  const algorithm = settings.balance?.algorithm ?? 'roundrobin';
  if (algorithm !== 'roundrobin' && algorithm !== 'leastconn' && algorithm !== 'source') refuse(proxy, `balance ${algorithm} is not implemented: use roundrobin, leastconn or source`);
  const timeouts = settings.timeouts;
  const plan: BackendPlan = {
    name: proxy.name,
    balance: algorithm,
    retries: settings.retries ?? 3,
    redispatch: settings.options.redispatch?.state === 'set',
    serverKeepAlive: settings.options.tcpka?.state === 'set',
    servers: proxy.servers.map((server) => serverPlanOf(proxy, server)),
  };
  if (timeouts.connect !== undefined) plan.connectTimeoutMs = timeouts.connect;
  if (timeouts.server !== undefined) plan.serverTimeoutMs = timeouts.server;
  const queue = timeouts.queue ?? timeouts.connect;
  if (queue !== undefined) plan.queueTimeoutMs = queue;
  if (timeouts.tunnel !== undefined) plan.tunnelTimeoutMs = timeouts.tunnel;
  return plan;
}

const isSet = (settings: ProxySettings, option: string) => settings.options[option]?.state === 'set';

function forwardForOf(proxy: Proxy, settings: ProxySettings): HttpPlan['forwardFor'] {
  if (!isSet(settings, 'forwardfor')) return undefined;
  const args = settings.options.forwardfor!.args;
  const plan = { header: 'X-Forwarded-For', ifNone: false };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === 'if-none') plan.ifNone = true;
    else if (arg === 'header' && args[index + 1] !== undefined) plan.header = args[(index += 1)]!;
    else refuse(proxy, `option forwardfor ${args.join(' ')}: only 'header NAME' and 'if-none' are implemented by tandem's balancer`);
  }
  return plan;
}

function httpPlanOf(proxy: Proxy, backend: Proxy): HttpPlan {
  const front = proxy.settings;
  const back = backend.settings;
  const either = (option: string) => isSet(front, option) || isSet(back, option);
  const plan: HttpPlan = {
    // The most closing mode of the two sides wins, as in HAProxy.
    connectionMode: either('httpclose') ? 'close' : either('http-server-close') ? 'server-close' : 'keep-alive',
    log: isSet(front, 'httplog'),
  };
  const forwardFor = forwardForOf(proxy, front) ?? forwardForOf(backend, back);
  if (forwardFor) plan.forwardFor = forwardFor;
  const timeouts = front.timeouts;
  if (timeouts['http-request'] !== undefined) plan.requestTimeoutMs = timeouts['http-request'];
  const keepAlive = timeouts['http-keep-alive'] ?? timeouts['http-request'];
  if (keepAlive !== undefined) plan.keepAliveTimeoutMs = keepAlive;
  return plan;
}

function frontendPlanOf(proxy: Proxy, backendProxy: Proxy | undefined): FrontendPlan {
  const settings = proxy.settings;
  if (proxy.useBackends.length > 0) refuse(proxy, `use_backend rules are not implemented by tandem's balancer yet; use default_backend`);
  const backend = proxy.kind === 'listen' ? proxy.name : settings.defaultBackend;
  if (backend === undefined) refuse(proxy, `no backend to send connections to: add 'default_backend NAME'`);
  if (!backendProxy) refuse(proxy, `default_backend '${backend}' is not a backend or listen section`);
  const mode = settings.mode ?? 'tcp';
  const backendMode = backendProxy.settings.mode ?? 'tcp';
  if (mode !== backendMode) refuse(proxy, `mode ${mode} with backend '${backend}' in mode ${backendMode}: tandem's balancer needs both in the same mode`);
  const addresses: FrontendPlan['addresses'] = [];
  for (const bind of proxy.binds) {
    if (bind.options.length > 0) refuse(proxy, `bind options (${bind.options.join(' ')}) are not implemented by tandem's balancer`);
    for (const address of bind.addresses) {
      if ('socket' in address) refuse(proxy, `bind ${address.socket}: tandem's balancer listens on host:port addresses only`);
      for (let port = address.port; port <= (address.lastPort ?? address.port); port += 1) addresses.push(address.host === '' ? { port } : { host: address.host, port });
    }
  }
  const tcpLog = mode === 'tcp' && (isSet(settings, 'tcplog') || isSet(settings, 'httplog'));
  const plan: FrontendPlan = { name: proxy.name, mode, addresses, backend, maxconn: settings.maxconn ?? 0, clientKeepAlive: isSet(settings, 'tcpka'), tcpLog, dontLogNull: isSet(settings, 'dontlognull') };
  if (mode === 'http') plan.http = httpPlanOf(proxy, backendProxy);
  const timeouts = settings.timeouts;
  if (timeouts.client !== undefined) plan.clientTimeoutMs = timeouts.client;
  const queue = timeouts.queue ?? timeouts.connect;
  if (queue !== undefined) plan.queueTimeoutMs = queue;
  return plan;
}

/** A port is bound once: two sections on the same address would share nothing but the error at start. */
function refuseSharedBinds(proxy: Proxy, frontend: FrontendPlan, owners: Map<string, string>): void {
  for (const address of frontend.addresses) {
    const key = bindKey(address);
    const owner = owners.get(key);
    if (owner !== undefined) refuse(proxy, `bind ${key} is already bound by '${owner}'`);
    owners.set(key, frontend.name);
  }
}

/** `positions` (from the reader) lets errors name the section's file and line. */
export function planBalancer(config: HaproxyConfig, positions?: ProxyPositions): BalancerPlan {
  const plan: BalancerPlan = { frontends: [], backends: [] };
  const owners = new Map<string, string>();
  const backendProxy = (name: string | undefined) => config.proxies.find((proxy) => proxy.name === name && proxy.kind !== 'frontend');
  for (const proxy of config.proxies) {
    planningOf(proxy, positions, () => {
      if (proxy.kind !== 'backend' && proxy.binds.length > 0) {
        const frontend = frontendPlanOf(proxy, backendProxy(proxy.kind === 'listen' ? proxy.name : proxy.settings.defaultBackend));
        refuseSharedBinds(proxy, frontend, owners);
        plan.frontends.push(frontend);
      }
      if (proxy.kind !== 'frontend') plan.backends.push(backendPlanOf(proxy));
    });
  }
  return plan;
}
