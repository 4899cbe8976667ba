// The options of `server` and `default-server` lines (HAProxy 2.6 manual, section 5.2): those
// tandem acts on are typed (times in milliseconds); the other valid ones are kept with a
// warning; an unknown one is an error, as in HAProxy.

import type { InputWarning } from '../../model/errors.js';
import type { Word } from './lexer.js';
import { emptyServerOptions, type ServerOptions } from './model.js';
import { checkHost, fail, parseInteger, parsePort, parseTime } from './values.js';

const keptFlags = new Set(
  'agent-check allow-0rtt check-send-proxy check-ssl check-via-socks4 force-sslv3 force-tlsv10 force-tlsv11 force-tlsv12 force-tlsv13 no-agent-check no-check-ssl no-send-proxy no-send-proxy-v2 no-send-proxy-v2-ssl no-send-proxy-v2-ssl-cn no-ssl no-ssl-reuse no-sslv3 no-tls-tickets no-tlsv10 no-tlsv11 no-tlsv12 no-tlsv13 no-verifyhost no-tfo non-stick send-proxy send-proxy-v2 send-proxy-v2-ssl send-proxy-v2-ssl-cn ssl ssl-reuse stick tfo tls-tickets'.split(' '),
);

const keptWithValue = new Set(
  'agent-send agent-inter agent-addr agent-port alpn ca-file check-alpn check-proto check-sni ciphers ciphersuites cookie crl-file crt error-limit id init-addr log-proto max-reuse minconn namespace npn observe on-error pool-low-conn pool-max-conn pool-purge-delay proto redir resolve-opts resolve-prefer resolve-net resolvers proxy-v2-options slowstart sni source usesrc interface ssl-max-ver ssl-min-ver socks4 tcp-ut track verify verifyhost ws'.split(' '),
);

const flags: Record<string, (options: ServerOptions) => void> = {
  check: (options) => (options.check = true),
  'no-check': (options) => (options.check = false),
  backup: (options) => (options.backup = true),
  'no-backup': (options) => (options.backup = false),
  disabled: (options) => (options.disabled = true),
  enabled: (options) => (options.disabled = false),
};

function positiveTime(value: Word, what: string): number {
  const ms = parseTime(value, what);
  if (ms === 0) fail(value, `${what} must be more than 0`);
  return ms;
}

function exactly<T extends string>(value: Word, what: string, expected: T): T {
  if (value.text !== expected) fail(value, `${what} expects '${expected}', found '${value.text}'`);
  return expected;
}

const withValue: Record<string, (options: ServerOptions, value: Word, what: string) => void> = {
  inter: (options, value, what) => (options.inter = positiveTime(value, what)),
  fastinter: (options, value, what) => (options.fastinter = positiveTime(value, what)),
  downinter: (options, value, what) => (options.downinter = positiveTime(value, what)),
  rise: (options, value, what) => (options.rise = parseInteger(value, what, 1)),
  fall: (options, value, what) => (options.fall = parseInteger(value, what, 1)),
  port: (options, value, what) => (options.port = parsePort(value, what)),
  addr: (options, value) => {
    checkHost(value.text, value);
    options.addr = value.text;
  },
  weight: (options, value, what) => (options.weight = parseInteger(value, what, 0, 256)),
  maxconn: (options, value, what) => (options.maxconn = parseInteger(value, what)),
  maxqueue: (options, value, what) => (options.maxqueue = parseInteger(value, what)),
  'on-marked-down': (options, value, what) => (options.onMarkedDown = exactly(value, what, 'shutdown-sessions')),
  'on-marked-up': (options, value, what) => (options.onMarkedUp = exactly(value, what, 'shutdown-backup-sessions')),
};

export function parseServerOptions(words: Word[], warnings: InputWarning[]): ServerOptions {
  const options = emptyServerOptions();
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    const name = word.text;
    const keep = () => warnings.push({ message: `server option '${name}' is valid HAProxy but tandem does not implement it; kept as written`, position: word.position });
    if (flags[name]) {
      flags[name](options);
      continue;
    }
    if (keptFlags.has(name)) {
      options.other.push({ name });
      keep();
      continue;
    }
    const typed = withValue[name];
    if (!typed && !keptWithValue.has(name)) fail(word, `unknown server option '${name}': expected one of check, inter, fastinter, downinter, rise, fall, port, addr, weight, backup, disabled, maxconn, maxqueue, on-marked-down... (HAProxy manual, 5.2)`);
    const value = words[index + 1];
    if (value === undefined) fail(word, `server option '${name}' expects a value after it`);
    index += 1;
    if (typed) {
      typed(options, value, `server option '${name}'`);
    } else {
      options.other.push({ name, value: value.text });
      keep();
    }
  }
  return options;
}
