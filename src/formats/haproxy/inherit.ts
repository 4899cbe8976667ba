// Inheritance as HAProxy does it: a proxy starts from a copy of the defaults section in
// force (the last one above it, or the one named by `from`), itself started from HAProxy's
// built-in defaults; each line of the proxy then overrides what it names. Server lines start
// from the default-server options in force at that line.

import { emptySettings, type ProxyOption, type ProxySettings, type ServerOptions } from './model.js';

/** HAProxy's own defaults for what tandem acts on (configuration manual, "mode", "balance", "retries", server "inter"/"rise"/"fall"/"weight"). */
export function builtinSettings(): ProxySettings {
  const settings = emptySettings();
  settings.mode = 'tcp';
  settings.balance = { algorithm: 'roundrobin', args: [] };
  settings.retries = 3;
  settings.defaultServer = { inter: 2000, rise: 2, fall: 3, weight: 1, other: [] };
  return settings;
}

// Options that select one behaviour among several: setting one turns the others off.
const exclusiveOptions = [
  ['httpclose', 'http-server-close', 'http-keep-alive'],
  ['httpchk', 'tcp-check', 'ssl-hello-chk', 'smtpchk', 'mysql-check', 'pgsql-check', 'ldap-check', 'redis-check', 'spop-check', 'external-check'],
  ['tcplog', 'httplog', 'httpslog'],
];

/** Records an option line in a section's own options: the last mention of a name wins and moves last. */
export function declareOption(options: Record<string, ProxyOption>, name: string, option: ProxyOption): void {
  delete options[name];
  options[name] = option;
}

function applyOptions(inherited: Record<string, ProxyOption>, declared: Record<string, ProxyOption>): Record<string, ProxyOption> {
  const options = structuredClone(inherited);
  for (const [name, option] of Object.entries(declared)) {
    delete options[name];
    if (option.state !== 'set') continue; // `no` and `default` both leave the option off
    for (const group of exclusiveOptions) if (group.includes(name)) for (const other of group) delete options[other];
    options[name] = structuredClone(option);
  }
  return options;
}

export function mergeServerOptions(inherited: ServerOptions, declared: ServerOptions): ServerOptions {
  const merged: ServerOptions = { ...structuredClone(inherited), ...structuredClone(declared) };
  merged.other = [...structuredClone(inherited.other), ...structuredClone(declared.other)];
  return merged;
}

export function mergeSettings(inherited: ProxySettings, declared: ProxySettings): ProxySettings {
  const merged = structuredClone(inherited);
  if (declared.mode !== undefined) merged.mode = declared.mode;
  if (declared.balance !== undefined) merged.balance = structuredClone(declared.balance);
  if (declared.retries !== undefined) merged.retries = declared.retries;
  if (declared.maxconn !== undefined) merged.maxconn = declared.maxconn;
  if (declared.defaultBackend !== undefined) merged.defaultBackend = declared.defaultBackend;
  merged.options = applyOptions(inherited.options, declared.options);
  merged.timeouts = { ...inherited.timeouts, ...declared.timeouts };
  merged.defaultServer = mergeServerOptions(inherited.defaultServer, declared.defaultServer);
  // A proxy's stats lines add to those of its defaults (HAProxy copies them on the first one).
  merged.stats = [...merged.stats, ...structuredClone(declared.stats)];
  merged.other = [...merged.other, ...structuredClone(declared.other)];
  return merged;
}
