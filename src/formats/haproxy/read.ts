// Reads haproxy.cfg into the model: global, defaults, listen, frontend and backend sections
// (other valid sections are kept as written), inheritance from defaults done as HAProxy
// does it, backend references checked. The result is whole or an InputError.

import { InputError, type InputWarning, type SourcePosition } from '../../model/errors.js';
import { builtinSettings, mergeSettings } from './inherit.js';
import { otherSections, proxySections } from './keywords.js';
import { lex, type Word } from './lexer.js';
import { emptySettings, type DefaultsSection, type GlobalSection, type HaproxyConfig, type OtherSection, type Proxy, type ProxyKind, type ProxySettings } from './model.js';
import { checkName, readProxyLine, type BackendReference, type ReadContext, type SectionState } from './read-proxy.js';
import { keptWarning, readCount, single } from './read-settings.js';
import { fail } from './values.js';

export interface HaproxyReadResult {
  config: HaproxyConfig;
  warnings: InputWarning[];
  /** Where each proxy's section names it, for errors found later (by the balancer) to point at. */
  proxyPositions: Map<Proxy, SourcePosition>;
}

type Current = { kind: 'global' } | { kind: 'proxy'; state: SectionState; finish: (settings: ProxySettings) => void } | { kind: 'other'; section: OtherSection } | undefined;

function readGlobalLine(words: Word[], global: GlobalSection, warnings: InputWarning[]): void {
  const [keyword, ...args] = words as [Word, ...Word[]];
  switch (keyword.text) {
    case 'maxconn':
      global.maxconn = readCount(keyword, 'maxconn', args);
      return;
    case 'daemon':
      if (args[0]) fail(args[0], `'daemon' takes no argument, found '${args[0].text}'`);
      global.daemon = true;
      return;
    case 'user':
    case 'group':
    case 'chroot':
      global[keyword.text] = single(keyword, keyword.text, args, keyword.text === 'chroot' ? 'a directory' : `a ${keyword.text} name`).text;
      return;
    default:
      global.other.push({ words: words.map((word) => word.text) });
      warnings.push(keptWarning(`global '${keyword.text}'`, keyword));
  }
}

/** `NAME from DEFAULTS` or `NAME` after a proxy keyword; `[NAME] [from DEFAULTS]` after defaults. */
function sectionHeader(keyword: Word, args: Word[], nameRequired: boolean): { name?: Word; from?: Word } {
  const name = args[0]?.text === 'from' && !nameRequired ? undefined : args[0];
  if (nameRequired && name === undefined) fail(keyword, `'${keyword.text}' expects a name`);
  if (name) checkName(name, keyword.text);
  const [fromWord, from, extra] = args.slice(name ? 1 : 0);
  if (fromWord === undefined) return { name };
  if (fromWord.text !== 'from') fail(fromWord, `unexpected '${fromWord.text}' after '${keyword.text}${name ? ` ${name.text}` : ''}': expected 'from DEFAULTS' or the end of the line`);
  if (from === undefined) fail(fromWord, `expected the name of a defaults section after 'from'`);
  if (extra) fail(extra, `unexpected '${extra.text}' after 'from ${from.text}': expected the end of the line`);
  return { name, from };
}

function inheritedSettings(config: HaproxyConfig, from: Word | undefined): ProxySettings {
  if (from === undefined) return config.defaults[config.defaults.length - 1]?.settings ?? builtinSettings();
  const named = [...config.defaults].reverse().find((defaults) => defaults.name === from.text);
  if (!named) fail(from, `no defaults section named '${from.text}' before this line`);
  return named.settings;
}

export function readHaproxy(text: string, file: string): HaproxyReadResult {
  const { lines, warnings } = lex(text, file);
  const context: ReadContext = { warnings, backendReferences: [] };
  const config: HaproxyConfig = { global: { daemon: false, other: [] }, defaults: [], proxies: [], otherSections: [] };
  const proxyNames = new Map<string, { kind: ProxyKind; position: SourcePosition }[]>();
  const nameWords = new Map<Proxy, Word>();
  let current: Current;

  const openProxySection = (keyword: Word, args: Word[]): Current => {
    const kind = keyword.text as ProxyKind | 'defaults';
    const { name, from } = sectionHeader(keyword, args, kind !== 'defaults');
    // A defaults section starts afresh from HAProxy's built-in values unless it names another with `from`.
    const inherited = kind === 'defaults' && from === undefined ? builtinSettings() : inheritedSettings(config, from);
    const state: SectionState = { kind, named: name !== undefined, inherited, declared: emptySettings(), serverDefaults: inherited.defaultServer, serverLines: new Map() };
    if (kind === 'defaults') {
      const defaults: DefaultsSection = { declared: state.declared, settings: inherited };
      if (name) defaults.name = name.text;
      if (from) defaults.from = from.text;
      config.defaults.push(defaults);
      return { kind: 'proxy', state, finish: (settings) => (defaults.settings = settings) };
    }
    const proxyName = name!; // sectionHeader requires it for proxies
    const sameName = proxyNames.get(proxyName.text) ?? [];
    const clash = sameName.find((earlier) => earlier.kind === 'listen' || kind === 'listen' || earlier.kind === kind);
    if (clash) fail(proxyName, `${kind} '${proxyName.text}' has the same name as the ${clash.kind} at line ${clash.position.line} (a listen shares its name with no proxy, a frontend only with a backend)`);
    proxyNames.set(proxyName.text, [...sameName, { kind, position: proxyName.position }]);
    const proxy: Proxy = { kind, name: proxyName.text, declared: state.declared, settings: inherited, binds: [], servers: [], defaultServerLines: [], useBackends: [] };
    if (from) proxy.from = from.text;
    if (config.defaults.length > 0) proxy.defaultsIndex = config.defaults.length - 1;
    state.proxy = proxy;
    config.proxies.push(proxy);
    nameWords.set(proxy, proxyName);
    return { kind: 'proxy', state, finish: (settings) => (proxy.settings = settings) };
  };

  const openSection = (keyword: Word, args: Word[]): Current => {
    if (keyword.text === 'global') {
      if (args[0]) fail(args[0], `'global' takes no argument, found '${args[0].text}'`);
      return { kind: 'global' };
    }
    if (otherSections.includes(keyword.text)) {
      const section: OtherSection = { words: [keyword, ...args].map((word) => word.text), lines: [] };
      config.otherSections.push(section);
      warnings.push({ message: `'${keyword.text}' section is valid HAProxy but tandem does not use it; kept as written`, position: keyword.position });
      return { kind: 'other', section };
    }
    return openProxySection(keyword, args);
  };

  const finishSection = () => {
    if (current?.kind === 'proxy') current.finish(mergeSettings(current.state.inherited, current.state.declared));
  };

  for (const { words } of lines) {
    const keyword = words[0]!;
    if (keyword.text.startsWith('.')) fail(keyword, `'${keyword.text}': conditional blocks and directives (.if, .elif, .else, .endif, .notice, .warning, .alert, .diag) are not supported; resolve them before loading`);
    if (keyword.text === 'global' || (proxySections as readonly string[]).includes(keyword.text) || otherSections.includes(keyword.text)) {
      finishSection();
      current = openSection(keyword, words.slice(1));
    } else if (current === undefined) {
      fail(keyword, `unknown keyword '${keyword.text}' before any section: expected a section keyword (global, defaults, frontend, backend, listen, ${otherSections.join(', ')})`);
    } else if (current.kind === 'global') {
      readGlobalLine(words, config.global, warnings);
    } else if (current.kind === 'other') {
      current.section.lines.push({ words: words.map((word) => word.text) });
    } else {
      readProxyLine(words, current.state, context);
    }
  }
  finishSection();
  checkBackendReferences(config, context.backendReferences, nameWords);
  return { config, warnings, proxyPositions: new Map([...nameWords].map(([proxy, word]) => [proxy, word.position])) };
}

/**
 * HAProxy refuses to start when a default_backend or use_backend names no backend (names
 * built at run time with %[...] excepted), or when an HTTP frontend hands traffic to a TCP
 * backend. An inherited default_backend is blamed on the name of the proxy inheriting it.
 */
function checkBackendReferences(config: HaproxyConfig, references: BackendReference[], nameWords: Map<Proxy, Word>): void {
  const backends = new Map(config.proxies.filter((proxy) => proxy.kind !== 'frontend').map((proxy) => [proxy.name, proxy]));
  for (const { word } of references) {
    if (!word.text.includes('%[') && !backends.has(word.text)) throw new InputError(`no backend named '${word.text}': expected the name of a backend or listen section`, word.position);
  }
  for (const proxy of config.proxies) {
    if (proxy.kind === 'backend' || proxy.settings.mode !== 'http') continue;
    const uses = references.filter((reference) => reference.proxy === proxy).map(({ word }) => ({ name: word.text, word, inherited: false }));
    const inherited = proxy.declared.defaultBackend === undefined ? proxy.settings.defaultBackend : undefined;
    if (inherited !== undefined) uses.push({ name: inherited, word: nameWords.get(proxy)!, inherited: true });
    for (const { name, word, inherited: fromDefaults } of uses) {
      const target = backends.get(name);
      if (target?.settings.mode !== 'tcp') continue;
      throw new InputError(`http ${proxy.kind} '${proxy.name}' cannot use tcp ${target.kind} '${name}'${fromDefaults ? ' (the default_backend of its defaults)' : ''}: HAProxy refuses an HTTP frontend sending to a TCP backend (see 'mode')`, word.position);
    }
  }
}
