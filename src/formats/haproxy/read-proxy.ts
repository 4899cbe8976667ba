// One line of a defaults, listen, frontend or backend section: the keyword is checked
// against HAProxy's keyword matrix (unknown, or not allowed in this kind of section, is an
// error), then read into the section's settings, or kept with a warning when tandem does
// not implement it.

import type { InputWarning, SourcePosition } from '../../model/errors.js';
import { mergeServerOptions } from './inherit.js';
import { allowedIn, lookupKeyword, whereAllowed, type SectionKind } from './keywords.js';
import type { Word } from './lexer.js';
import type { ListenAddress, Proxy, ProxySettings, ServerOptions } from './model.js';
import { parseServerOptions } from './read-server.js';
import { keptWarning, readBalance, readCount, readMode, readOption, readStats, readTimeout, single } from './read-settings.js';
import { fail, parseListenAddress, parseServerAddress } from './values.js';

export interface SectionState {
  kind: SectionKind;
  /** A defaults section with a name accepts a few more keywords (rules, ACLs). */
  named: boolean;
  /** What the section starts from: its defaults section's settings, or HAProxy's built-in ones. */
  inherited: ProxySettings;
  declared: ProxySettings;
  /** The proxy being read; none for a defaults section. */
  proxy?: Proxy;
  /** The default-server options in force for the next server line. */
  serverDefaults: ServerOptions;
  serverLines: Map<string, SourcePosition>;
}

/** A default_backend or use_backend name, checked once every proxy is known; `proxy` is none in a defaults section. */
export interface BackendReference {
  word: Word;
  proxy?: Proxy;
}

export interface ReadContext {
  warnings: InputWarning[];
  backendReferences: BackendReference[];
}

/** Proxy and server names: HAProxy permits letters, digits and - _ . : only. */
export function checkName(word: Word, what: string): void {
  const bad = /[^A-Za-z0-9_.:-]/.exec(word.text);
  if (bad) fail(word, `character '${bad[0]}' is not permitted in ${what} name '${word.text}': use letters, digits, '-', '_', '.' and ':'`, bad.index);
}

function readBind(keyword: Word, args: Word[], proxy: Proxy, context: ReadContext): void {
  const [list, ...options] = args;
  if (list === undefined) fail(keyword, `'bind' expects addresses: bind [ADDRESS]:PORT[,[ADDRESS]:PORT...] [options]`);
  const parts = list.text.split(',');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // HAProxy accepts a trailing comma
  let offset = 0;
  const addresses = parts.map((part): ListenAddress => {
    if (part === '') fail(list, `empty address in '${list.text}': expected [ADDRESS]:PORT between commas`, offset);
    const address = parseListenAddress(part, list, offset);
    if ('socket' in address) context.warnings.push(keptWarning(`listening on '${part}'`, list));
    offset += part.length + 1;
    return address;
  });
  if (options[0]) context.warnings.push(keptWarning(`bind option${options.length > 1 ? 's' : ''} '${options.map((word) => word.text).join(' ')}'`, options[0]));
  proxy.binds.push({ addresses, options: options.map((word) => word.text) });
}

function readServer(keyword: Word, args: Word[], section: SectionState, proxy: Proxy, context: ReadContext): void {
  const [name, address, ...options] = args;
  if (name === undefined || address === undefined) fail(keyword, `'server' expects a name and an address: server NAME ADDRESS[:PORT] [options]`);
  checkName(name, 'server');
  const earlier = section.serverLines.get(name.text);
  if (earlier) fail(name, `server '${name.text}' is already defined in ${proxy.kind} '${proxy.name}' at line ${earlier.line}`);
  section.serverLines.set(name.text, name.position);
  const parsed = parseServerAddress(address);
  if ('socket' in parsed) context.warnings.push(keptWarning(`server address '${address.text}'`, address));
  const declared = parseServerOptions(options, context.warnings);
  proxy.servers.push({ name: name.text, address: parsed, declared, options: mergeServerOptions(section.serverDefaults, declared) });
}

function readDefaultServer(args: Word[], section: SectionState, context: ReadContext): void {
  const options = parseServerOptions(args, context.warnings);
  section.declared.defaultServer = mergeServerOptions(section.declared.defaultServer, options);
  section.serverDefaults = mergeServerOptions(section.serverDefaults, options);
  section.proxy?.defaultServerLines.push({ serversBefore: section.proxy.servers.length, options });
}

function readUseBackend(keyword: Word, args: Word[], proxy: Proxy, context: ReadContext): void {
  const [backend, test, ...condition] = args;
  if (backend === undefined) fail(keyword, `'use_backend' expects a backend name: use_backend NAME [if|unless CONDITION]`);
  context.backendReferences.push({ word: backend, proxy });
  if (test === undefined) {
    proxy.useBackends.push({ backend: backend.text });
    return;
  }
  if (test.text !== 'if' && test.text !== 'unless') fail(test, `expected 'if' or 'unless' after the backend name, found '${test.text}'`);
  if (condition.length === 0) fail(test, `expected a condition after '${test.text}'`);
  proxy.useBackends.push({ backend: backend.text, condition: { test: test.text, words: condition.map((word) => word.text) } });
  context.warnings.push({ message: 'use_backend condition kept as written; tandem does not evaluate ACL conditions', position: test.position });
}

export function readProxyLine(words: Word[], section: SectionState, context: ReadContext): void {
  const first = words[0]!;
  const prefix = (first.text === 'no' || first.text === 'default') && words.length > 1 ? first.text : undefined;
  const body = prefix ? words.slice(1) : words;
  const keyword = body[0]!;
  const found = lookupKeyword(keyword.text, body[1]?.text);
  if (found === undefined) fail(keyword, `unknown keyword '${keyword.text}' in a ${section.kind} section: expected a proxy keyword such as bind, mode, balance, server, option or timeout`);
  if ('family' in found) {
    const expected = found.members.length <= 12 ? `one of ${found.members.join(', ')}` : `one of the ${found.members.length} in HAProxy's keyword matrix (manual, 4.1)`;
    if (body[1] === undefined) fail(keyword, `'${keyword.text}' expects ${expected}`);
    fail(body[1], `unknown ${keyword.text} '${body[1].text}': expected ${expected}`);
  }
  const rule = found.rule;
  if (!allowedIn(rule, section.kind, section.named)) {
    const onlyNamed = section.kind === 'defaults' && rule.allowed.has('named-defaults');
    fail(keyword, onlyNamed ? `'${rule.name}' is allowed in a defaults section only if it has a name` : `'${rule.name}' is not allowed in a ${section.kind} section (HAProxy allows it in: ${whereAllowed(rule)})`);
  }
  if (prefix && !rule.negatable) fail(first, `'${rule.name}' does not take a '${prefix}' prefix (HAProxy allows it only on the keywords marked (*) in its manual)`);
  const setting = rule.name.includes(' ') ? body[1]! : keyword;
  const args = body.slice(setting === keyword ? 1 : 2);
  const { declared, proxy } = section;
  // The keyword matrix keeps bind, server and use_backend out of defaults sections, so `proxy` is there for them.
  switch (rule.name.split(' ')[0]) {
    case 'mode':
      declared.mode = readMode(keyword, args);
      return;
    case 'bind':
      return readBind(keyword, args, proxy!, context);
    case 'balance':
      declared.balance = readBalance(keyword, args, context.warnings);
      return;
    case 'server':
      return readServer(keyword, args, section, proxy!, context);
    case 'default-server':
      return readDefaultServer(args, section, context);
    case 'option':
      return readOption(setting, args, prefix, declared, context.warnings);
    case 'retries':
      declared.retries = readCount(keyword, 'retries', args);
      return;
    case 'timeout':
      return readTimeout(setting, args, declared, context.warnings);
    case 'maxconn':
      declared.maxconn = readCount(keyword, 'maxconn', args);
      return;
    case 'default_backend':
      declared.defaultBackend = single(keyword, 'default_backend', args, 'a backend name').text;
      context.backendReferences.push({ word: args[0]!, proxy });
      return;
    case 'use_backend':
      return readUseBackend(keyword, args, proxy!, context);
    case 'stats':
      return readStats(setting, args, declared, context.warnings);
    default:
      declared.other.push({ words: words.map((word) => word.text) });
      context.warnings.push(keptWarning(`'${prefix ? `${prefix} ` : ''}${rule.name}'`, keyword));
  }
}
