// Proxy lines that a defaults section may also hold: mode, balance, option, retries,
// timeout, maxconn, stats. Each records what the line says in the section's own settings.

import type { InputWarning } from '../../model/errors.js';
import { declareOption } from './inherit.js';
import type { Word } from './lexer.js';
import { supportedBalance, supportedOptions, type Balance, type Mode, type ProxySettings, type TimeoutName } from './model.js';
import { fail, parseInteger, parseTime } from './values.js';

/** The single value a keyword expects, or an error naming what was expected. */
export function single(keyword: Word, name: string, args: Word[], what: string): Word {
  if (args[0] === undefined) fail(keyword, `'${name}' expects ${what}`);
  if (args[1] !== undefined) fail(args[1], `'${name}' expects only ${what}, found an extra '${args[1].text}'`);
  return args[0];
}

export function keptWarning(what: string, word: Word): InputWarning {
  return { message: `${what} is valid HAProxy but tandem does not implement it; kept as written`, position: word.position };
}

export function readMode(keyword: Word, args: Word[]): Mode {
  const value = single(keyword, 'mode', args, 'tcp or http');
  if (value.text !== 'tcp' && value.text !== 'http') fail(value, `unknown mode '${value.text}': expected tcp or http`);
  return value.text;
}

// HAProxy 2.6's algorithms; those taking arguments get them as further words.
const algorithms = /^(roundrobin|static-rr|leastconn|first|source|uri|url_param|hash|random(\(\d+\))?|hdr\([^)]+\)|rdp-cookie(\([^)]*\))?)$/;
const withoutArguments = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source'];

export function readBalance(keyword: Word, args: Word[], warnings: InputWarning[]): Balance {
  const [algorithm, ...rest] = args;
  const expected = 'roundrobin, static-rr, leastconn, first, source, uri, url_param, hash, random, hdr(NAME) or rdp-cookie';
  if (algorithm === undefined) fail(keyword, `'balance' expects an algorithm: ${expected}`);
  if (!algorithms.test(algorithm.text)) fail(algorithm, `unknown balance algorithm '${algorithm.text}': expected ${expected}`);
  if (withoutArguments.includes(algorithm.text) && rest[0]) fail(rest[0], `'balance ${algorithm.text}' takes no argument, found '${rest[0].text}'`);
  if (['url_param', 'hash'].includes(algorithm.text) && !rest[0]) fail(algorithm, `'balance ${algorithm.text}' expects ${algorithm.text === 'hash' ? 'an expression' : 'a parameter name'} after it`);
  if (!(supportedBalance as readonly string[]).includes(algorithm.text)) {
    warnings.push({ message: `balance '${algorithm.text}' is valid HAProxy but tandem implements only ${supportedBalance.join(', ')}; kept as written`, position: algorithm.position });
  }
  return { algorithm: algorithm.text, args: rest.map((word) => word.text) };
}

// How many arguments each option takes at most (HAProxy manual, 4.2); the others take none.
const optionArguments: Record<string, number> = {
  httpchk: 3, // [METHOD] URI [VERSION]
  forwardfor: 5, // [except NETWORK] [header NAME] [if-none]
  originalto: 4, // [except NETWORK] [header NAME]
  redispatch: 1, // [INTERVAL]
  httplog: 1, // [clf]
  'mysql-check': 3, // [user NAME [post-41]]
  'pgsql-check': 2, // user NAME
  smtpchk: 2, // [HELO|EHLO DOMAIN]
  'http-restrict-req-hdr-names': 1, // preserve|delete|reject
};

export function readOption(name: Word, args: Word[], prefix: 'no' | 'default' | undefined, declared: ProxySettings, warnings: InputWarning[]): void {
  const allowed = prefix ? 0 : (optionArguments[name.text] ?? 0);
  const extra = args[allowed];
  if (extra) fail(extra, `'${prefix ? `${prefix} ` : ''}option ${name.text}' ${allowed === 0 ? 'takes no argument' : `takes at most ${allowed} arguments`}, found '${extra.text}'`);
  declareOption(declared.options, name.text, { state: prefix ?? 'set', args: args.map((word) => word.text) });
  if (!(supportedOptions as readonly string[]).includes(name.text)) warnings.push(keptWarning(`'option ${name.text}'`, name));
}

const keptTimeouts: TimeoutName[] = ['tarpit', 'client-fin', 'server-fin'];

export function readTimeout(name: Word, args: Word[], declared: ProxySettings, warnings: InputWarning[]): void {
  const timeout = name.text as TimeoutName; // the keyword matrix admits only HAProxy's timeout names
  declared.timeouts[timeout] = parseTime(single(name, `timeout ${timeout}`, args, 'a time (e.g. 10s)'), `'timeout ${timeout}'`);
  if (keptTimeouts.includes(timeout)) warnings.push(keptWarning(`'timeout ${timeout}'`, name));
}

export function readCount(keyword: Word, name: string, args: Word[]): number {
  return parseInteger(single(keyword, name, args, 'a whole number'), `'${name}'`);
}

// What the stats settings that take a value expect.
const statsValues: Record<string, string> = { auth: 'USER:PASSWORD', uri: 'a URI prefix', realm: 'a realm', scope: 'a proxy name', refresh: 'a time', admin: 'a condition (if|unless ...)', 'http-request': 'an action' };

export function readStats(setting: Word, args: Word[], declared: ProxySettings, warnings: InputWarning[]): void {
  const expected = statsValues[setting.text];
  if (expected !== undefined) {
    const value = args[0];
    if (value === undefined) fail(setting, `'stats ${setting.text}' expects ${expected}`);
    if (setting.text === 'auth' && !value.text.includes(':')) fail(value, `'stats auth' expects USER:PASSWORD, found '${value.text}'`);
    if (setting.text === 'refresh') parseTime(value, "'stats refresh'");
  }
  declared.stats.push({ words: [setting.text, ...args.map((word) => word.text)] });
  warnings.push({ message: `'stats ${setting.text}' is kept as written; tandem's balancer serves its statistics page on a port of its own (tandem balancer --stats-port N), not inside a proxy`, position: setting.position });
}
