// Prints a configuration in haproxy.cfg syntax that reads back (readHaproxy) to the same
// model: each section's own lines (never what it inherited), each proxy after the defaults
// section it followed, each default-server line before the servers it applied to.

import type { DefaultsSection, GlobalSection, HaproxyConfig, ListenAddress, OtherSection, Proxy, ProxySettings, ServerAddress, ServerOptions } from './model.js';

function escapeChar(char: string): string {
  const escapes: Record<string, string> = { '\\': '\\\\', '"': '\\"', $: '\\$', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  const code = char.charCodeAt(0);
  if (escapes[char] !== undefined) return escapes[char];
  return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char;
}

/** A word as HAProxy's tokenizer reads it back: bare when it can be, else double-quoted with escapes. */
function quoteWord(word: string): string {
  if (/^[^\s"'#\\\x00-\x1f\x7f]+$/.test(word)) return word;
  return `"${[...word].map(escapeChar).join('')}"`;
}

/** In the largest unit that divides it exactly; a bare number is milliseconds. */
function formatTime(ms: number): string {
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const unit = units.find(([, size]) => ms > 0 && ms % size === 0);
  return unit ? `${ms / unit[1]}${unit[0]}` : String(ms);
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listenAddressText(address: ListenAddress): string {
  if ('socket' in address) return address.socket;
  return `${address.host === '' ? '*' : hostText(address.host)}:${address.port}${address.lastPort === undefined ? '' : `-${address.lastPort}`}`;
}

function serverAddressText(address: ServerAddress): string {
  if ('socket' in address) return address.socket;
  if (address.port !== undefined) return `${hostText(address.host)}:${address.port}`;
  if (address.portOffset !== undefined) return `${hostText(address.host)}:${address.portOffset < 0 ? '' : '+'}${address.portOffset}`;
  // A bare IPv6 address would lose its last group as a port: brackets keep it whole.
  return hostText(address.host);
}

function serverOptionWords(options: ServerOptions): string[] {
  const words: string[] = [];
  if (options.check !== undefined) words.push(options.check ? 'check' : 'no-check');
  if (options.port !== undefined) words.push('port', String(options.port));
  if (options.addr !== undefined) words.push('addr', options.addr);
  for (const name of ['inter', 'fastinter', 'downinter'] as const) if (options[name] !== undefined) words.push(name, formatTime(options[name]));
  for (const name of ['rise', 'fall', 'weight', 'maxconn', 'maxqueue'] as const) if (options[name] !== undefined) words.push(name, String(options[name]));
  if (options.backup !== undefined) words.push(options.backup ? 'backup' : 'no-backup');
  if (options.disabled !== undefined) words.push(options.disabled ? 'disabled' : 'enabled');
  if (options.onMarkedDown !== undefined) words.push('on-marked-down', options.onMarkedDown);
  if (options.onMarkedUp !== undefined) words.push('on-marked-up', options.onMarkedUp);
  for (const kept of options.other) words.push(kept.name, ...(kept.value === undefined ? [] : [kept.value]));
  return words;
}

/** The lines a defaults section and a proxy share; default-server is printed by each its own way. */
function settingsLines(settings: ProxySettings): string[][] {
  const lines: string[][] = [];
  if (settings.mode !== undefined) lines.push(['mode', settings.mode]);
  if (settings.balance !== undefined) lines.push(['balance', settings.balance.algorithm, ...settings.balance.args]);
  for (const [name, option] of Object.entries(settings.options)) lines.push([...(option.state === 'set' ? [] : [option.state]), 'option', name, ...option.args]);
  if (settings.retries !== undefined) lines.push(['retries', String(settings.retries)]);
  for (const [name, ms] of Object.entries(settings.timeouts)) lines.push(['timeout', name, formatTime(ms)]);
  if (settings.maxconn !== undefined) lines.push(['maxconn', String(settings.maxconn)]);
  for (const stats of settings.stats) lines.push(['stats', ...stats.words]);
  for (const directive of settings.other) lines.push(directive.words);
  if (settings.defaultBackend !== undefined) lines.push(['default_backend', settings.defaultBackend]);
  return lines;
}

function section(header: string[], lines: string[][]): string {
  const line = (words: string[]) => words.map(quoteWord).join(' ');
  return [line(header), ...lines.map((words) => `    ${line(words)}`)].join('\n');
}

function globalSection(global: GlobalSection): string | undefined {
  const lines: string[][] = [];
  if (global.maxconn !== undefined) lines.push(['maxconn', String(global.maxconn)]);
  if (global.daemon) lines.push(['daemon']);
  for (const name of ['user', 'group', 'chroot'] as const) if (global[name] !== undefined) lines.push([name, global[name]]);
  lines.push(...global.other.map((directive) => directive.words));
  return lines.length > 0 ? section(['global'], lines) : undefined;
}

function fromWords(from: string | undefined): string[] {
  return from === undefined ? [] : ['from', from];
}

function defaultsSection(defaults: DefaultsSection): string {
  const lines = settingsLines(defaults.declared);
  const defaultServer = serverOptionWords(defaults.declared.defaultServer);
  if (defaultServer.length > 0) lines.push(['default-server', ...defaultServer]);
  return section(['defaults', ...(defaults.name === undefined ? [] : [defaults.name]), ...fromWords(defaults.from)], lines);
}

function proxySection(proxy: Proxy): string {
  const lines: string[][] = proxy.binds.map((bind) => ['bind', bind.addresses.map(listenAddressText).join(','), ...bind.options]);
  lines.push(...settingsLines(proxy.declared));
  for (const rule of proxy.useBackends) lines.push(['use_backend', rule.backend, ...(rule.condition ? [rule.condition.test, ...rule.condition.words] : [])]);
  const defaultServerBefore = (index: number) => proxy.defaultServerLines.filter((line) => line.serversBefore === index).map((line) => ['default-server', ...serverOptionWords(line.options)]);
  proxy.servers.forEach((server, index) => {
    lines.push(...defaultServerBefore(index));
    lines.push(['server', server.name, serverAddressText(server.address), ...serverOptionWords(server.declared)]);
  });
  lines.push(...defaultServerBefore(proxy.servers.length));
  return section([proxy.kind, proxy.name, ...fromWords(proxy.from)], lines);
}

function otherSection(other: OtherSection): string {
  return section(other.words, other.lines.map((directive) => directive.words));
}

export function writeHaproxy(config: HaproxyConfig): string {
  const sections: string[] = [];
  const global = globalSection(config.global);
  if (global !== undefined) sections.push(global);
  let defaultsPrinted = 0;
  for (const proxy of config.proxies) {
    // Print the defaults sections this proxy followed, so that it follows the same one again.
    for (; defaultsPrinted <= (proxy.defaultsIndex ?? -1); defaultsPrinted += 1) sections.push(defaultsSection(config.defaults[defaultsPrinted]!));
    sections.push(proxySection(proxy));
  }
  for (; defaultsPrinted < config.defaults.length; defaultsPrinted += 1) sections.push(defaultsSection(config.defaults[defaultsPrinted]!));
  sections.push(...config.otherSections.map(otherSection));
  return sections.map((text) => `${text}\n`).join('\n');
}
