import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { httpCheckOf, readHaproxy, writeHaproxy, type HaproxyConfig } from '../../src/formats/haproxy/index.js';
import { InputError } from '../../src/model/errors.js';

const root = new URL('../../../', import.meta.url);
const seedText = readFileSync(new URL('examples/seed/haproxy.cfg', root), 'utf8');
const guide = new URL('../shared/seed/000_ffaf79afa9c0c5f9.txt', root);

const read = (text: string) => readHaproxy(text, 'test.cfg');
const roundTrip = (config: HaproxyConfig) => readHaproxy(writeHaproxy(config), 'written.cfg').config;
const proxy = (config: HaproxyConfig, name: string) => config.proxies.find((candidate) => candidate.name === name)!;

test('the seed haproxy.cfg is the guide\'s, verbatim but for the VIP', () => {
  const lines = readFileSync(guide, 'utf8').split('\n');
  const start = lines.indexOf('8. HAproxy nodes'); // the table of contents has the page number after it
  const end = lines.indexOf('After each change of this file, you should restart HAproxy.', start);
  const blocks = lines.slice(start, end).join('\n').split('```').filter((_, index) => index % 2 === 1);
  const expected = blocks.map((block) => block.replace(/^\n|\n$/g, '')).join('\n\n').replaceAll('<Virtual IP>', '10.213.0.50');
  assert.equal(seedText.slice(seedText.indexOf('\n') + 1), `${expected}\n`);
});

test('the seed haproxy.cfg loads as is, galera_cluster intact', () => {
  const { config, warnings } = read(seedText);
  assert.equal(config.proxies.length, 14);
  assert.ok(config.proxies.every((each) => each.kind === 'listen' && each.settings.mode === 'tcp' && each.settings.balance?.algorithm === 'source'));
  assert.deepEqual(config.global, { chroot: '/var/lib/haproxy', daemon: true, group: 'haproxy', maxconn: 4000, user: 'haproxy', other: [{ words: ['pidfile', '/var/run/haproxy.pid'] }] });

  const galera = proxy(config, 'galera_cluster');
  assert.deepEqual(galera.binds, [{ addresses: [{ host: '10.213.0.50', port: 3306 }], options: [] }]);
  assert.deepEqual(httpCheckOf(galera.settings), {});
  assert.deepEqual(galera.servers.map((server) => [server.name, server.address]), [
    ['controller1', { host: '10.0.0.4', port: 3306 }],
    ['controller2', { host: '10.0.0.5', port: 3306 }],
    ['controller3', { host: '10.0.0.6', port: 3306 }],
  ]);
  assert.ok(galera.servers.every((server) => server.options.backup === undefined)); // the guide marks no galera node as backup
  for (const server of galera.servers) assert.deepEqual(server.options, { check: true, port: 9200, inter: 2000, rise: 2, fall: 5, weight: 1, other: [] });
  // Inherited from the defaults section: timeouts in ms, retries, maxconn, option redispatch.
  assert.deepEqual(galera.settings.timeouts, { 'http-request': 10_000, queue: 60_000, connect: 10_000, client: 60_000, server: 60_000, check: 10_000 });
  assert.deepEqual([galera.settings.retries, galera.settings.maxconn, Object.keys(galera.settings.options)], [3, 8000, ['redispatch', 'httpchk']]);
  assert.deepEqual(galera.declared.timeouts, {});
  assert.deepEqual(proxy(config, 'dashboard_cluster').settings.options.tcpka, { state: 'set', args: [] });

  assert.deepEqual(warnings.map((warning) => `${warning.position.file}:${warning.position.line}: ${warning.message}`), [
    "test.cfg:7: global 'pidfile' is valid HAProxy but tandem does not implement it; kept as written",
    "test.cfg:11: 'log' is valid HAProxy but tandem does not implement it; kept as written",
  ]);
});

test('the seed round-trips through writeHaproxy, and the writing is stable', () => {
  const { config } = read(seedText);
  assert.deepEqual(roundTrip(config), config);
  assert.equal(writeHaproxy(roundTrip(config)), writeHaproxy(config));
});

test('HAProxy itself accepts what writeHaproxy prints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-haproxy-'));
  try {
    writeFileSync(join(dir, 'haproxy.cfg'), writeHaproxy(read(seedText).config));
    const check = spawnSync('haproxy', ['-c', '-f', join(dir, 'haproxy.cfg')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('binds, addresses, times, options and inheritance read as HAProxy reads them', () => {
  const { config, warnings } = read(`
defaults base
    mode http
    timeout connect 1500us
    option httpclose
    default-server inter 3s
defaults
    timeout client 2m
frontend web#comment glued to the name
    bind 10.0.0.1:80,10.0.0.2:80 , *:8080
    bind :443,[::1]:8443 ssl crt /etc/ssl/site.pem
    bind ::1:90 # HAProxy splits at the last colon
    bind 127.0.0.1:1000-1010
    use_backend api if { path_beg /api }
    default_backend app
backend app from base
    option http-server-close
    option httpchk GET /health "HTTP/1.1\\r\\nHost:\\ app"
    no option redispatch
    server a 10.0.0.3:8080 check fastinter 1s downinter 1h backup
    default-server rise 5 'addr' 10.0.0.9
    server b app.example:+1 weight 0 disabled on-marked-down shutdown-sessions cookie "b 1"
backend api
    balance static-rr
    server c [fe80::1]:80 maxconn 10 maxqueue 5 port 81
`);
  const web = proxy(config, 'web');
  assert.deepEqual(web.binds.map((bind) => [bind.addresses, bind.options]), [
    [[{ host: '10.0.0.1', port: 80 }, { host: '10.0.0.2', port: 80 }], [',', '*:8080']],
    [[{ host: '', port: 443 }, { host: '::1', port: 8443 }], ['ssl', 'crt', '/etc/ssl/site.pem']],
    [[{ host: '::1', port: 90 }], []],
    [[{ host: '127.0.0.1', port: 1000, lastPort: 1010 }], []],
  ]);
  // "," and "*:8080" are words of their own: bind options, kept with a warning.
  assert.equal(warnings.filter((warning) => warning.message.includes("bind options ', *:8080'")).length, 1);
  assert.deepEqual(web.useBackends, [{ backend: 'api', condition: { test: 'if', words: ['{', 'path_beg', '/api', '}'] } }]);
  // The second defaults section replaced the first: web has no http mode, only the 2m client timeout.
  assert.deepEqual([web.settings.mode, web.settings.timeouts], ['tcp', { client: 120_000 }]);

  const app = proxy(config, 'app');
  assert.deepEqual([app.settings.mode, app.settings.timeouts, app.defaultsIndex, app.from], ['http', { connect: 2 }, 1, 'base']);
  assert.deepEqual(Object.keys(app.settings.options), ['http-server-close', 'httpchk']); // httpclose gave way
  assert.deepEqual(httpCheckOf(app.settings), { method: 'GET', uri: '/health', version: 'HTTP/1.1\r\nHost: app' });
  assert.deepEqual(app.declared.options.redispatch, { state: 'no', args: [] });
  const [a, b] = app.servers;
  assert.deepEqual(a!.options, { inter: 3000, rise: 2, fall: 3, weight: 1, check: true, fastinter: 1000, downinter: 3_600_000, backup: true, other: [] });
  assert.deepEqual(b!.address, { host: 'app.example', portOffset: 1 });
  assert.deepEqual(b!.options, { inter: 3000, rise: 5, fall: 3, weight: 0, addr: '10.0.0.9', disabled: true, onMarkedDown: 'shutdown-sessions', other: [{ name: 'cookie', value: 'b 1' }] });
  assert.deepEqual(proxy(config, 'api').servers[0]!.options, { inter: 2000, rise: 2, fall: 3, weight: 1, maxconn: 10, maxqueue: 5, port: 81, other: [] });
  assert.ok(warnings.some((warning) => warning.message === "balance 'static-rr' is valid HAProxy but tandem implements only roundrobin, leastconn, source; kept as written" && warning.position.line === 24));
  assert.deepEqual(roundTrip(config), config);
});

const badInputs: [string, string][] = [
  ['daemon', "bad.cfg:1:1: unknown keyword 'daemon' before any section: expected a section keyword (global, defaults, frontend, backend, listen, userlist, peers, resolvers, mailers, program, http-errors, ring, cache, fcgi-app, log-forward)"],
  ['frontend web\n    bind :80\n    server s1 10.0.0.1:80', "bad.cfg:3:5: 'server' is not allowed in a frontend section (HAProxy allows it in: listen, backend)"],
  ['backend app\n    bind :80', "bad.cfg:2:5: 'bind' is not allowed in a backend section (HAProxy allows it in: frontend, listen)"],
  ['defaults\n    http-request deny', "bad.cfg:2:5: 'http-request' is allowed in a defaults section only if it has a name"],
  ['listen l\n    frobnicate on', "bad.cfg:2:5: unknown keyword 'frobnicate' in a listen section: expected a proxy keyword such as bind, mode, balance, server, option or timeout"],
  ['listen l\n    bind <Virtual IP>:443', "bad.cfg:2:10: '<Virtual' is not an address: expected an IPv4 or IPv6 address or a host name"],
  ['listen l\n    bind 10.0.0.1:80,10.0.0.300:81', "bad.cfg:2:22: '10.0.0.300' is not a valid IPv4 address"],
  ['listen l\n    bind 10.0.0.1', "bad.cfg:2:10: missing port in '10.0.0.1': expected ADDRESS:PORT (e.g. 10.0.0.1:80 or *:80)"],
  ['listen l\n    bind :70000', "bad.cfg:2:11: invalid port '70000' in ':70000': expected a number from 1 to 65535"],
  ['backend b\n    server s1 10.0.0.1:abc', "bad.cfg:2:24: invalid port 'abc' in '10.0.0.1:abc': expected a number from 1 to 65535"],
  ['defaults\n    timeout connect 10x', "bad.cfg:2:21: unknown time unit 'x' in '10x': expected us, ms, s, m, h or d (a bare number is milliseconds)"],
  ['defaults\n    timeout connect 1.5s', "bad.cfg:2:21: 'timeout connect' expects a time: a whole number with an optional unit (e.g. 2000, 10s, 1m), found '1.5s'"],
  ['defaults\n    timeout connect 25d', "bad.cfg:2:21: 'timeout connect': '25d' is too long (at most 2147483647 ms, about 24.8 days)"],
  ['backend b\n    server s1 10.0.0.1:80 check inter', "bad.cfg:2:33: server option 'inter' expects a value after it"],
  ['backend b\n    server s1 10.0.0.1:80 check inter 2x', "bad.cfg:2:39: unknown time unit 'x' in '2x': expected us, ms, s, m, h or d (a bare number is milliseconds)"],
  ['backend b\n    server s1 10.0.0.1:80 weight 300', "bad.cfg:2:34: server option 'weight' must be from 0 to 256, found 300"],
  ['backend b\n    server s1 10.0.0.1:80 bogus', "bad.cfg:2:27: unknown server option 'bogus': expected one of check, inter, fastinter, downinter, rise, fall, port, addr, weight, backup, disabled, maxconn, maxqueue, on-marked-down... (HAProxy manual, 5.2)"],
  ['backend b\n    server s1 10.0.0.1:80\n    server s1 10.0.0.2:80', "bad.cfg:3:12: server 's1' is already defined in backend 'b' at line 2"],
  ['listen a\n    bind :80\nbackend a', "bad.cfg:3:9: backend 'a' has the same name as the listen at line 1 (a listen shares its name with no proxy, a frontend only with a backend)"],
  ['backend b\n    balance fastest', "bad.cfg:2:13: unknown balance algorithm 'fastest': expected roundrobin, static-rr, leastconn, first, source, uri, url_param, hash, random, hdr(NAME) or rdp-cookie"],
  ['backend b\n    no option httpchk', "bad.cfg:2:5: 'option httpchk' does not take a 'no' prefix (HAProxy allows it only on the keywords marked (*) in its manual)"],
  ['backend b\n    option bogus', "bad.cfg:2:12: unknown option 'bogus': expected one of the 54 in HAProxy's keyword matrix (manual, 4.1)"],
  ['backend b\n    timeout bogus 1s', "bad.cfg:2:13: unknown timeout 'bogus': expected one of check, client, client-fin, connect, http-keep-alive, http-request, queue, server, server-fin, tarpit, tunnel"],
  ['frontend f\n    bind :80\n    default_backend nowhere', "bad.cfg:3:21: no backend named 'nowhere': expected the name of a backend or listen section"],
  ['defaults\n    mode http\nfrontend f\n    bind :80\n    default_backend b\nbackend b\n    mode tcp', "bad.cfg:5:21: http frontend 'f' cannot use tcp backend 'b': HAProxy refuses an HTTP frontend sending to a TCP backend (see 'mode')"],
  ['defaults\n    mode http\n    default_backend b\nfrontend f\n    bind :80\nbackend b\n    mode tcp', "bad.cfg:4:10: http frontend 'f' cannot use tcp backend 'b' (the default_backend of its defaults): HAProxy refuses an HTTP frontend sending to a TCP backend (see 'mode')"],
  ['frontend f\n    bind :80\n    use_backend app when x', "bad.cfg:3:21: expected 'if' or 'unless' after the backend name, found 'when'"],
  ['backend b\n    description "unterminated', 'bad.cfg:2:17: unterminated quote: expected a closing " on the same line'],
  ['backend b\n    description a\\x4g', 'bad.cfg:2:18: invalid escape: expected two hexadecimal digits after \\x'],
  ['.if defined(X)', "bad.cfg:1:1: '.if': conditional blocks and directives (.if, .elif, .else, .endif, .notice, .warning, .alert, .diag) are not supported; resolve them before loading"],
  ['backend a b', "bad.cfg:1:11: unexpected 'b' after 'backend a': expected 'from DEFAULTS' or the end of the line"],
  ['listen l from nowhere', "bad.cfg:1:15: no defaults section named 'nowhere' before this line"],
  ['backend b\n    stats auth admin', "bad.cfg:2:16: 'stats auth' expects USER:PASSWORD, found 'admin'"],
];

test('bad input gets file:line:column and what was expected', () => {
  for (const [text, message] of badInputs) {
    assert.throws(() => readHaproxy(text, 'bad.cfg'), (error: unknown) => error instanceof InputError && error.message === message, `${JSON.stringify(text)} should fail with ${message}`);
  }
});

function onlyInputErrors(text: string): boolean {
  try {
    read(text);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    assert.ok(error.position !== undefined && error.position.line >= 1 && error.position.column >= 1);
  }
  return true;
}

const words = ['global', 'defaults', 'listen', 'frontend', 'backend', 'l', 'b', 'bind', ':80', '*:81', '10.0.0.1:80,', 'server', 's', '10.0.0.2:80', 'check', 'inter', '2s', 'port', 'rise', 'fall', 'backup', 'option', 'no', 'httpchk', 'mode', 'tcp', 'http', 'balance', 'source', 'timeout', 'connect', 'use_backend', 'default_backend', 'if', 'from', 'default-server', 'stats', 'auth', '"', "'", '\\', '\\x', '#', '$HOME', '\n', '\n    ', ' '];
const soup = fc.array(fc.constantFrom(...words), { maxLength: 60 }).map((parts) => parts.join(' '));
const mutated = fc.tuple(fc.nat({ max: seedText.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 20 })).map(([at, length, insert]) => seedText.slice(0, at) + insert + seedText.slice(at + length));

test('the reader throws nothing but InputError, whatever the input', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), soup, mutated), onlyInputErrors), { numRuns: 1000 });
});

const time = fc.tuple(fc.integer({ min: 1, max: 500 }), fc.constantFrom('', 'us', 'ms', 's', 'm', 'h')).map(([value, unit]) => `${value}${unit}`);
const serverOption = fc.oneof(
  fc.constantFrom('check', 'no-check', 'backup', 'disabled', 'enabled', 'send-proxy', 'on-marked-down shutdown-sessions'),
  fc.tuple(fc.constantFrom('inter', 'fastinter', 'downinter'), time).map((parts) => parts.join(' ')),
  fc.tuple(fc.constantFrom('rise', 'fall', 'weight', 'maxconn', 'port'), fc.integer({ min: 1, max: 256 })).map((parts) => parts.join(' ')),
  fc.ipV4().map((ip) => `addr ${ip}`),
);
const address = fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6().map((ip) => `[${ip}]`), fc.constant('*'), fc.constant('')), fc.integer({ min: 1, max: 65535 })).map(([host, port]) => `${host}:${port}`);
// Lines by where HAProxy allows them: everywhere, where a backend is, where a frontend is. The
// mode is set in defaults only, since HAProxy refuses an http frontend using a tcp backend.
const anyLine = fc.oneof(
  fc.constantFrom('option tcpka', 'option httpclose', 'option http-server-close', 'log global'),
  time.map((value) => `timeout http-request ${value}`),
  // Arbitrary text in one strongly quoted word, which the writer must quote back its own way.
  fc.string({ maxLength: 20 }).filter((text) => !/['\n\r]/.test(text)).map((text) => `errorfile 503 '${text}'`),
);
const backendSide = fc.oneof(
  fc.constantFrom('option httpchk GET /', 'no option redispatch', 'retries 5', 'balance roundrobin', 'balance leastconn', 'balance source', 'balance uri'),
  fc.tuple(fc.constantFrom('connect', 'server', 'check', 'queue', 'tunnel'), time).map(([name, value]) => `timeout ${name} ${value}`),
  fc.array(serverOption, { maxLength: 4 }).map((options) => `default-server ${options.join(' ')}`),
);
const frontendSide = fc.oneof(fc.constantFrom('maxconn 100', 'option dontlognull'), time.map((value) => `timeout client ${value}`));
const server = fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), fc.array(serverOption, { maxLength: 5 })).map(([ip, port, options]) => `server NAME ${ip}:${port} ${options.join(' ')}`);
const backends = fc.array(fc.tuple(fc.boolean(), fc.array(fc.oneof(anyLine, backendSide, server), { maxLength: 8 }), fc.array(frontendSide, { maxLength: 2 })), { minLength: 1, maxLength: 4 });
const frontend = fc.tuple(fc.array(address, { minLength: 1, maxLength: 3 }), fc.nat(), fc.array(fc.oneof(anyLine, frontendSide), { maxLength: 4 }));

const defaultsLines = fc.tuple(fc.constantFrom([], ['mode tcp'], ['mode http']), fc.array(fc.oneof(anyLine, backendSide, frontendSide), { maxLength: 6 })).map(([mode, lines]) => [...mode, ...lines]);
const generatedConfig = fc.tuple(defaultsLines, backends, frontend).map(([defaults, backendSections, [addresses, choice, frontendLines]]) => {
  let servers = 0;
  const body = (lines: string[]) => lines.map((line) => `    ${line.replace('NAME', () => `s${(servers += 1)}`)}`).join('\n');
  const sections = ['global\n    maxconn 100\n    daemon', `defaults\n${body(defaults)}`];
  backendSections.forEach(([listen, lines, frontendPart], index) => sections.push(listen ? `listen b${index}\n    bind :1000\n${body([...lines, ...frontendPart])}` : `backend b${index}\n${body(lines)}`));
  sections.push(`frontend f\n    bind ${addresses.join(',')}\n${body(frontendLines)}\n    default_backend b${choice % backendSections.length}\n    use_backend b0 if { src 10.0.0.0/8 }`);
  return sections.join('\n');
});

test('generated valid configurations read, and round-trip through writeHaproxy', () => {
  fc.assert(
    fc.property(generatedConfig, (text) => {
      const { config } = read(text);
      assert.deepEqual(roundTrip(config), config);
    }),
    { numRuns: 300 },
  );
});
