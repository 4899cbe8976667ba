// The typed model of an HAProxy configuration (haproxy.cfg) as tandem's load balancer sees it.
// Times are in milliseconds. Each defaults section and proxy keeps two views: `declared`,
// what its own lines say (what the writer prints back), and `settings`, what applies once
// inheritance from the defaults section is done the way HAProxy does it (what the balancer
// uses). Whatever tandem does not act on is kept as a `Directive`, never dropped.

export type ProxyKind = 'listen' | 'frontend' | 'backend';
export type Mode = 'tcp' | 'http';

export const timeoutNames = ['connect', 'client', 'server', 'check', 'queue', 'http-request', 'http-keep-alive', 'tunnel', 'tarpit', 'client-fin', 'server-fin'] as const;
export type TimeoutName = (typeof timeoutNames)[number];

/** The balance algorithms tandem implements; the others are kept with a warning. */
export const supportedBalance = ['roundrobin', 'leastconn', 'source'] as const;

/** The options tandem implements; the other valid ones are kept with a warning. */
export const supportedOptions = ['httpchk', 'tcpka', 'tcplog', 'httplog', 'redispatch', 'forwardfor', 'httpclose', 'http-server-close', 'dontlognull'] as const;

/** A line tandem keeps but does not act on: its words, unquoted, keyword first. */
export interface Directive {
  words: string[];
}

export interface GlobalSection {
  maxconn?: number;
  daemon: boolean;
  user?: string;
  group?: string;
  chroot?: string;
  other: Directive[];
}

export interface Balance {
  /** roundrobin, leastconn, source; or static-rr, first, uri, url_param, hdr(NAME), random... */
  algorithm: string;
  args: string[];
}

/** `option NAME ARGS` is 'set', `no option NAME` is 'no', `default option NAME` is 'default'. */
export interface ProxyOption {
  state: 'set' | 'no' | 'default';
  args: string[];
}

/** `option httpchk [[METHOD] URI [VERSION]]`; an absent part means HAProxy's default (OPTIONS / HTTP/1.0). */
export interface HttpCheck {
  method?: string;
  uri?: string;
  version?: string;
}

export interface ServerOptions {
  check?: boolean; // check / no-check
  inter?: number;
  fastinter?: number;
  downinter?: number;
  rise?: number;
  fall?: number;
  /** The port health checks go to (`port`), when not the server's own. */
  port?: number;
  /** The address health checks go to (`addr`), when not the server's own. */
  addr?: string;
  weight?: number;
  backup?: boolean; // backup / no-backup
  disabled?: boolean; // disabled / enabled
  maxconn?: number;
  maxqueue?: number;
  onMarkedDown?: 'shutdown-sessions';
  onMarkedUp?: 'shutdown-backup-sessions';
  /** Valid HAProxy server options tandem does not implement (ssl, cookie, send-proxy...). */
  other: { name: string; value?: string }[];
}

/** A listening address; host '' means all addresses (`*:80` or `:80`). Sockets (unix paths, fd@...) are kept as written. */
export type ListenAddress = { host: string; port: number; lastPort?: number } | { socket: string };

export interface Bind {
  addresses: ListenAddress[];
  /** Bind options (ssl, crt, interface...): kept, not implemented. */
  options: string[];
}

/** Without port nor offset, HAProxy connects to the port the client connected to. */
export type ServerAddress = { host: string; port?: number; portOffset?: number } | { socket: string };

export interface Server {
  name: string;
  address: ServerAddress;
  /** The options written on the server line. */
  declared: ServerOptions;
  /** What applies: HAProxy's defaults, then default-server lines above it, then its own. */
  options: ServerOptions;
}

/** `default-server` options as written, and how many servers of the proxy come before them (they apply to later servers only). */
export interface DefaultServerLine {
  serversBefore: number;
  options: ServerOptions;
}

export interface UseBackend {
  backend: string;
  condition?: { test: 'if' | 'unless'; words: string[] };
}

/** What a defaults section gives to the proxies after it. */
export interface ProxySettings {
  mode?: Mode;
  balance?: Balance;
  /** By option name, in the order of their last mention. */
  options: Record<string, ProxyOption>;
  retries?: number;
  timeouts: Partial<Record<TimeoutName, number>>;
  maxconn?: number;
  defaultBackend?: string;
  defaultServer: ServerOptions;
  /** `stats ...` lines without the word stats; kept, tandem's stats page is on the balancer's own stats port. */
  stats: Directive[];
  other: Directive[];
}

export interface DefaultsSection {
  name?: string;
  from?: string;
  declared: ProxySettings;
  settings: ProxySettings;
}

export interface Proxy {
  kind: ProxyKind;
  name: string;
  /** The named defaults section it inherits from (`from NAME`), instead of the last one before it. */
  from?: string;
  /** Index in `defaults` of the last defaults section before this proxy, if any. */
  defaultsIndex?: number;
  declared: ProxySettings;
  settings: ProxySettings;
  binds: Bind[];
  servers: Server[];
  defaultServerLines: DefaultServerLine[];
  useBackends: UseBackend[];
}

/** userlist, peers, resolvers, mailers, program, ring, cache...: kept, not used by tandem. */
export interface OtherSection {
  words: string[];
  lines: Directive[];
}

export interface HaproxyConfig {
  global: GlobalSection;
  defaults: DefaultsSection[];
  proxies: Proxy[];
  otherSections: OtherSection[];
}

export function emptyServerOptions(): ServerOptions {
  return { other: [] };
}

export function emptySettings(): ProxySettings {
  return { options: {}, timeouts: {}, defaultServer: emptyServerOptions(), stats: [], other: [] };
}

/** The httpchk request, if health checks are HTTP ones. */
export function httpCheckOf(settings: ProxySettings): HttpCheck | undefined {
  const option = settings.options.httpchk;
  if (option?.state !== 'set') return undefined;
  const [first, second, third] = option.args;
  if (second === undefined) return first === undefined ? {} : { uri: first };
  return third === undefined ? { method: first!, uri: second } : { method: first!, uri: second, version: third };
}
