// Which proxy keywords exist and where HAProxy allows them: the keyword matrix of the HAProxy
// 2.6 configuration manual (section 4.1, the version Debian ships), columns defaults,
// frontend, listen, backend. "X!" is allowed in named defaults sections only; "(*)" marks
// keywords that take a "no" or "default" prefix. A keyword of two or three words is looked
// up by its first two.

import type { ProxyKind } from './model.js';

export type SectionKind = 'defaults' | ProxyKind;

export const proxySections = ['defaults', 'frontend', 'listen', 'backend'] as const;

/** Valid HAProxy sections tandem keeps as written but does not use. */
export const otherSections = ['userlist', 'peers', 'resolvers', 'mailers', 'program', 'http-errors', 'ring', 'cache', 'fcgi-app', 'log-forward'];

const matrix = `
acl: X! X X X
backlog: X X X -
balance: X - X X
bind: - X X -
bind-process: X X X X
capture cookie: - X X -
capture request header: - X X -
capture response header: - X X -
clitcpka-cnt: X X X -
clitcpka-idle: X X X -
clitcpka-intvl: X X X -
compression: X X X X
cookie: X - X X
declare capture: - X X -
default-server: X - X X
default_backend: X X X -
description: - X X X
disabled: X X X X
dispatch: - - X X
email-alert from: X X X X
email-alert level: X X X X
email-alert mailers: X X X X
email-alert myhostname: X X X X
email-alert to: X X X X
enabled: X X X X
errorfile: X X X X
errorfiles: X X X X
errorloc: X X X X
errorloc302: X X X X
errorloc303: X X X X
error-log-format: X X X -
force-persist: - - X X
filter: - X X X
fullconn: X - X X
hash-type: X - X X
http-after-response: X! X X X
http-check comment: X - X X
http-check connect: X - X X
http-check disable-on-404: X - X X
http-check expect: X - X X
http-check send: X - X X
http-check send-state: X - X X
http-check set-var: X - X X
http-check unset-var: X - X X
http-error: X X X X
http-request: X! X X X
http-response: X! X X X
http-reuse: X - X X
http-send-name-header: X - X X
id: - X X X
ignore-persist: - - X X
load-server-state-from-file: X - X X
log (*): X X X X
log-format: X X X -
log-format-sd: X X X -
log-tag: X X X X
max-keep-alive-queue: X - X X
maxconn: X X X -
mode: X X X X
monitor fail: - X X -
monitor-uri: X X X -
option abortonclose (*): X - X X
option accept-invalid-http-request (*): X X X -
option accept-invalid-http-response (*): X - X X
option allbackups (*): X - X X
option checkcache (*): X - X X
option clitcpka (*): X X X -
option contstats (*): X X X -
option disable-h2-upgrade (*): X X X -
option dontlog-normal (*): X X X -
option dontlognull (*): X X X -
option forwardfor: X X X X
option h1-case-adjust-bogus-client (*): X X X -
option h1-case-adjust-bogus-server (*): X - X X
option http-buffer-request (*): X X X X
option http-ignore-probes (*): X X X -
option http-keep-alive (*): X X X X
option http-no-delay (*): X X X X
option http-pretend-keepalive (*): X - X X
option http-restrict-req-hdr-names: X X X X
option http-server-close (*): X X X X
option http-use-proxy-header (*): X X X -
option httpchk: X - X X
option httpclose (*): X X X X
option httplog: X X X -
option httpslog: X X X -
option independent-streams (*): X X X X
option ldap-check: X - X X
option external-check: X - X X
option log-health-checks (*): X - X X
option log-separate-errors (*): X X X -
option logasap (*): X X X -
option mysql-check: X - X X
option nolinger (*): X X X X
option originalto: X X X X
option persist (*): X - X X
option pgsql-check: X - X X
option prefer-last-server (*): X - X X
option redispatch (*): X - X X
option redis-check: X - X X
option smtpchk: X - X X
option socket-stats (*): X X X -
option splice-auto (*): X X X X
option splice-request (*): X X X X
option splice-response (*): X X X X
option spop-check: X - X X
option srvtcpka (*): X - X X
option ssl-hello-chk: X - X X
option tcp-check: X - X X
option tcp-smart-accept (*): X X X -
option tcp-smart-connect (*): X - X X
option tcpka: X X X X
option tcplog: X X X X
option transparent (*): X - X X
option idle-close-on-response (*): X X X -
external-check command: X - X X
external-check path: X - X X
persist rdp-cookie: X - X X
rate-limit sessions: X X X -
redirect: - X X X
retries: X - X X
retry-on: X - X X
server: - - X X
server-state-file-name: X - X X
server-template: - - X X
source: X - X X
srvtcpka-cnt: X - X X
srvtcpka-idle: X - X X
srvtcpka-intvl: X - X X
stats admin: - X X X
stats auth: X X X X
stats enable: X X X X
stats hide-version: X X X X
stats http-request: - X X X
stats realm: X X X X
stats refresh: X X X X
stats scope: X X X X
stats show-desc: X X X X
stats show-legends: X X X X
stats show-node: X X X X
stats uri: X X X X
stick match: - - X X
stick on: - - X X
stick store-request: - - X X
stick store-response: - - X X
stick-table: - X X X
tcp-check comment: X - X X
tcp-check connect: X - X X
tcp-check expect: X - X X
tcp-check send: X - X X
tcp-check send-lf: X - X X
tcp-check send-binary: X - X X
tcp-check send-binary-lf: X - X X
tcp-check set-var: X - X X
tcp-check unset-var: X - X X
tcp-request connection: X! X X -
tcp-request content: X! X X X
tcp-request inspect-delay: X! X X X
tcp-request session: X! X X -
tcp-response content: X! - X X
tcp-response inspect-delay: X! - X X
timeout check: X - X X
timeout client: X X X -
timeout client-fin: X X X -
timeout connect: X - X X
timeout http-keep-alive: X X X X
timeout http-request: X X X X
timeout queue: X - X X
timeout server: X - X X
timeout server-fin: X - X X
timeout tarpit: X X X X
timeout tunnel: X - X X
transparent: X - X X
unique-id-format: X X X -
unique-id-header: X X X -
use_backend: - X X -
use-fcgi-app: - - X X
use-server: - - X X
`;

export interface KeywordRule {
  /** The keyword as the manual names it, e.g. "option httpchk". */
  name: string;
  /** Where it is allowed; 'named-defaults' only in a defaults section with a name. */
  allowed: Set<SectionKind | 'named-defaults'>;
  negatable: boolean;
}

const columns: SectionKind[] = ['defaults', 'frontend', 'listen', 'backend'];

const rules = new Map<string, KeywordRule>();
for (const row of matrix.trim().split('\n')) {
  const [head, cells] = row.split(': ') as [string, string];
  const name = head.replace(' (*)', '');
  const allowed = new Set<SectionKind | 'named-defaults'>();
  cells.split(' ').forEach((cell, column) => {
    if (cell === 'X') allowed.add(columns[column]!);
    if (cell === 'X!') allowed.add('named-defaults');
  });
  rules.set(name.split(' ').slice(0, 2).join(' '), { name, allowed, negatable: head.endsWith('(*)') });
}

/** Keywords whose second word names the setting (option, timeout, stats...). */
const families = new Set([...rules.keys()].filter((key) => key.includes(' ')).map((key) => key.split(' ')[0]!));

type Lookup = { rule: KeywordRule } | { family: string; members: string[] } | undefined;

/** The rule for a line starting with these words; for a family with an unknown or missing second word, its members. */
export function lookupKeyword(first: string, second: string | undefined): Lookup {
  if (families.has(first)) {
    const rule = second === undefined ? undefined : rules.get(`${first} ${second}`);
    if (rule) return { rule };
    const members = [...rules.keys()].filter((key) => key.startsWith(`${first} `)).map((key) => key.slice(first.length + 1));
    return { family: first, members };
  }
  const rule = rules.get(first);
  return rule ? { rule } : undefined;
}

export function allowedIn(rule: KeywordRule, section: SectionKind, named: boolean): boolean {
  return rule.allowed.has(section) || (section === 'defaults' && named && rule.allowed.has('named-defaults'));
}

export function whereAllowed(rule: KeywordRule): string {
  const places: string[] = columns.filter((column) => rule.allowed.has(column));
  if (rule.allowed.has('named-defaults')) places.unshift('named defaults');
  return places.join(', ');
}
