import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/index.js';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('fills in the defaults of a minimal config', (t) => {
  const c = parseConfig(
    [
      'bgp: { local-as: 65010, router-id: 127.0.0.10, listen: { address: 127.0.0.10, port: 1179 } }',
      'neighbors:',
      '  - { address: 127.0.0.1, remote-as: 65001 }',
    ].join('\n'),
  );
  t.deepEqual(c.bgp, { localAs: 65010, routerId: '127.0.0.10', listen: { address: '127.0.0.10', port: 1179 }, holdTime: 90, connectRetry: 30 });
  t.deepEqual(c.neighbors[0], {
    address: '127.0.0.1', remoteAs: 65001, port: 179, passive: false, localAddress: null, holdTime: 90, connectRetry: 30,
    maxPrefixes: null, gracefulRestart: { enabled: true, notification: true, stalePathTime: 360 }, addPath: true, description: null,
    pop: null,
  });
  t.deepEqual(c.pops, []);
  t.deepEqual(c.proximity, { rule: 'classic', self: null });
  t.deepEqual(c.overrides, []);
  t.deepEqual(c.control, { socket: null, mode: 0o600, maxClients: 64, lineTimeout: 10 });
  t.deepEqual(c.log, { level: 'info', file: null });
});

test('reads every per-neighbor option and lets neighbors override bgp timers', (t) => {
  const c = parseConfig(`
bgp:
  local-as: 4200000010
  router-id: 192.0.2.10
  hold-time: 30
  connect-retry: 5
neighbors:
  - address: 2001:DB8:0:0::1
    remote-as: 1.10
    port: 1179
    passive: false
    local-address: 2001:db8::10
    hold-time: 0
    max-prefixes: { limit: 1000, warning-percent: 80, restart-after: 120 }
    graceful-restart: false
    add-path: false
    description: router 1
  - { address: 192.0.2.1, remote-as: 65001, max-prefixes: 500, graceful-restart: { notification: false, stale-path-time: 120 } }
control: { socket: /tmp/x.sock }
log: { level: debug, file: /tmp/x.log }
`);
  t.is(c.bgp.listen, null, 'listen is optional: a purely active speaker');
  const [n0, n1] = c.neighbors;
  t.is(n0!.address, '2001:db8::1', 'addresses are normalised');
  t.is(n0!.remoteAs, 65546, 'asdot accepted');
  t.is(n0!.port, 1179);
  t.is(n0!.localAddress, '2001:db8::10');
  t.is(n0!.holdTime, 0);
  t.is(n0!.connectRetry, 5);
  t.deepEqual(n0!.maxPrefixes, { limit: 1000, warningPercent: 80, restartAfter: 120 });
  t.deepEqual(n0!.gracefulRestart, { enabled: false, notification: true, stalePathTime: 360 });
  t.deepEqual(n1!.gracefulRestart, { enabled: true, notification: false, stalePathTime: 120 }, 'the mapping form keeps unset defaults');
  t.false(n0!.addPath);
  t.is(n0!.description, 'router 1');
  t.is(n1!.holdTime, 30);
  t.deepEqual(n1!.maxPrefixes, { limit: 500, warningPercent: null, restartAfter: 60 });
  t.deepEqual(c.control, { socket: '/tmp/x.sock', mode: 0o600, maxClients: 64, lineTimeout: 10 });
  t.deepEqual(c.log, { level: 'debug', file: '/tmp/x.log' });
});

test('reports a bad remote AS with file, line, column and path', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - address: 127.0.0.1
    remote-as: 0
`);
  t.deepEqual(p, ['test.yaml:4:16: neighbors[0].remote-as: must be an AS number 1..4294967295']);
});

test('reports every problem of a file, in line order', (t) => {
  const p = problems(`bgp:
  local-as: 65010
  router-id: 300.1.1.1
  hold-time: 2
neighbors:
  - address: 127.0.0.1
    remote-as: 65001
    prot: 179
  - address: not-an-address
    remote-as: 65002
    passive: yes please
  - { address: 127.0.0.1, remote-as: 65003 }
log: { level: chatty }
`);
  t.deepEqual(p, [
    'test.yaml:3:14: bgp.router-id: must be an IPv4 address (dotted quad)',
    'test.yaml:4:14: bgp.hold-time: must be 0 (no keepalives) or 3..65535 seconds (RFC 4271 4.2)',
    'test.yaml:8:5: neighbors[0].prot: unknown key (expected one of: address, remote-as, port, passive, local-address, hold-time, connect-retry, max-prefixes, graceful-restart, add-path, description, pop)',
    'test.yaml:9:14: neighbors[1].address: must be an IPv4 or IPv6 address',
    'test.yaml:11:14: neighbors[1].passive: must be true or false',
    'test.yaml:12:16: neighbors[2].address: duplicates neighbors[0].address',
    'test.yaml:13:15: log.level: must be one of trace, debug, info, warn, error, fatal',
  ]);
});

test('reports missing required keys at the mapping that lacks them', (t) => {
  const p = problems(`bgp:
  router-id: 127.0.0.10
neighbors:
  - port: 179
`);
  t.deepEqual(p, [
    'test.yaml:2:3: bgp.local-as: is required',
    'test.yaml:4:5: neighbors[0].address: is required',
    'test.yaml:4:5: neighbors[0].remote-as: is required',
  ]);
});

test('reports YAML syntax errors with their position', (t) => {
  const p = problems('bgp: { local-as: 65010\nneighbors: []\n');
  t.is(p.length >= 1, true);
  t.regex(p[0]!, /^test\.yaml:\d+:\d+: /);
});

test('validates max-prefixes and mismatched local-address family', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - address: 127.0.0.1
    remote-as: 65001
    local-address: ::1
    max-prefixes: { limit: 0, warning-percent: 150 }
`);
  t.deepEqual(p, [
    'test.yaml:5:20: neighbors[0].local-address: must be of the same family as address',
    'test.yaml:6:28: neighbors[0].max-prefixes.limit: must be an integer 1..4294967295',
    'test.yaml:6:48: neighbors[0].max-prefixes.warning-percent: must be an integer 1..100',
  ]);
});

test('validates the graceful-restart mapping', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - address: 127.0.0.1
    remote-as: 65001
    graceful-restart: { enabled: yes, stale-path-time: 0, helper: true }
`);
  t.deepEqual(p, [
    'test.yaml:5:34: neighbors[0].graceful-restart.enabled: must be true or false',
    'test.yaml:5:56: neighbors[0].graceful-restart.stale-path-time: must be a number of seconds 1..65535',
    'test.yaml:5:59: neighbors[0].graceful-restart.helper: unknown key (expected one of: enabled, notification, stale-path-time)',
  ]);
});

test('loadConfigFile names the file in its errors', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'bad.yaml');
  writeFileSync(file, 'bgp: { local-as: 65010, router-id: 127.0.0.10, listen: { port: 70000 } }\nneighbors: []\n');
  const err = t.throws(() => loadConfigFile(file), { instanceOf: ConfigError });
  t.is(err!.message, `${file}:1:64: bgp.listen.port: must be a port 0..65535`);
  t.throws(() => loadConfigFile(path.join(dir, 'missing.yaml')), { message: /cannot read/ });
});

test('rejects a passive neighbor when the speaker does not listen', (t) => {
  const p = problems(`bgp: { local-as: 65010, router-id: 127.0.0.10 }
neighbors:
  - { address: 127.0.0.1, remote-as: 65001 }
  - { address: 127.0.0.2, remote-as: 65001, passive: true }
`);
  t.deepEqual(p, ['test.yaml:4:54: neighbors[1].passive: needs bgp.listen: without a listener nothing would ever connect']);
});

test('the example configuration in fixtures/ is valid and says what its comments say', (t) => {
  const file = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../fixtures/supersparrow.yaml');
  const c = loadConfigFile(file);
  t.is(c.bgp.localAs, 65010);
  t.deepEqual(c.bgp.listen, { address: '127.0.0.10', port: 1179 });
  t.deepEqual(c.neighbors.map((n) => [n.address, n.remoteAs, n.passive]), [['127.0.0.1', 65001, false], ['127.0.0.2', 65010, true]]);
  t.deepEqual(c.neighbors[0]!.maxPrefixes, { limit: 1000000, warningPercent: 90, restartAfter: 60 });
  t.deepEqual(c.neighbors[1]!.gracefulRestart, { enabled: true, notification: true, stalePathTime: 360 });
  t.deepEqual(c.control, { socket: '/tmp/supersparrow.sock', mode: 0o660, maxClients: 64, lineTimeout: 10 });
  t.deepEqual(c.neighbors.map((n) => n.pop), ['x', null]);
  t.deepEqual(c.pops.map((p) => [p.name, p.as, p.ipv4, p.ipv6, p.host, p.preference, p.community, p.largeCommunity, p.down]), [
    ['x', 65751, '192.0.2.11', '2001:db8::11', 'x.example.test', 100, null, null, false],
    ['y', 64750, '192.0.2.22', '2001:db8::22', 'y.example.test', 100, '65000:102', null, false],
    ['z', 64999, '192.0.2.33', null, null, 100, null, '65000:1:103', true],
  ]);
  t.deepEqual(c.pops.map((p) => p.check), [
    { kind: 'http', address: '192.0.2.11', port: 80, path: '/health', host: 'x.example.test', intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3 },
    { kind: 'tcp', address: '192.0.2.22', port: 80, path: null, host: null, intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3 },
    { kind: 'http', address: '127.0.0.1', port: 8080, path: '/health', host: 'z.example.test', intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3 },
  ]);
  t.deepEqual(c.proximity, { rule: 'classic', self: 'x' });
  t.deepEqual(c.overrides, [{ prefix: '198.51.100.0/24', pop: 'y' }, { prefix: '2001:db8:1::/48', pop: 'x' }]);
  const dns = c.dns!;
  t.deepEqual(dns.listen, [{ address: '127.0.0.1', port: 5300 }, { address: '::1', port: 5300 }]);
  t.deepEqual(dns.zones.map((z) => [z.zone, z.ttl, z.nsTtl]), [['example.test', 20, 3600]]);
  t.deepEqual(dns.zones[0]!.names, [
    { name: 'www.example.test', pops: null, answers: 1, ttl: 20 },
    { name: 'ftp.example.test', pops: ['x', 'y'], answers: 2, ttl: 20 },
    { name: 'example.test', pops: null, answers: 1, ttl: 60 },
  ]);
  t.deepEqual(dns.zones[0]!.ns, [{ name: 'ns1.example.test', addresses: ['192.0.2.53', '2001:db8::53'] }, { name: 'ns.example.net', addresses: [] }]);
  t.deepEqual(dns.zones[0]!.soa, { mname: 'ns1.example.test', rname: 'hostmaster.example.test', serial: 2026113001, refresh: 86400, retry: 7200, expire: 3600000, minimum: 60 });
  t.deepEqual([dns.startup, dns.workers, dns.udpSize, dns.tcp], [{ ttl: 5, timeoutSeconds: 30 }, 0, 1232, { idleTimeoutSeconds: 10, maxConnections: 256 }]);
  t.deepEqual(c.http, {
    listen: [{ address: '127.0.0.1', port: 9179 }, { address: '::1', port: 9179 }],
    trustedProxies: ['127.0.0.1/32', '10.0.0.0/8'],
    redirect: { hosts: ['www.example.test'], scheme: 'https', status: 302 },
    maxConnections: 256, requestTimeoutSeconds: 10, headersTimeoutSeconds: 5, keepAliveTimeoutSeconds: 5,
  });
  // Every POP has a view (x through the tagged neighbor, y and z through their communities), as the comment says.
  const text = readFileSync(file, 'utf8');
  t.true(text.includes('rule: classic'));
  t.is(parseConfig(text.replace('rule: classic', 'rule: multi-view')).proximity.rule, 'multi-view');
});

// ---- POPs, the proximity rule, overrides ---------------------------------------------------------------------

const BGP = 'bgp: { local-as: 65010, router-id: 127.0.0.10, listen: { address: 127.0.0.10, port: 1179 } }\n';
const NO_NEIGHBORS = 'neighbors: []\n';

test('reads pops, the proximity rule, overrides and neighbor POP tags', (t) => {
  const c = parseConfig(`${BGP}pops:
  x: { as: 65751, ipv4: 192.0.2.11, ipv6: "2001:db8::11", host: x.example.test, preference: 100 }
  y: { as: 64750, ipv4: 192.0.2.22, ipv6: "2001:db8::22", host: y.example.test, community: "65000:102",
       check: { tcp: 80, interval: 5, timeout: 2, rise: 2, fall: 3 } }
  z: { as: 64999, ipv4: 192.0.2.33, large-community: "65000:1:103", down: true,
       check: { http: "http://z.example.test:8080/health", address: 127.0.0.1 } }
proximity: { rule: classic, self: x }      # rule: classic | multi-view
overrides: { "198.51.100.0/24": y, "2001:db8:1::/48": x }
neighbors:
  - { address: 127.0.0.21, remote-as: 65751, passive: true, pop: x }
`);
  t.deepEqual(c.pops, [
    {
      name: 'x', as: 65751, ipv4: '192.0.2.11', ipv6: '2001:db8::11', host: 'x.example.test', preference: 100,
      community: null, largeCommunity: null, down: false, check: null,
    },
    {
      name: 'y', as: 64750, ipv4: '192.0.2.22', ipv6: '2001:db8::22', host: 'y.example.test', preference: 100,
      community: '65000:102', largeCommunity: null, down: false,
      check: { kind: 'tcp', address: '192.0.2.22', port: 80, path: null, host: null, intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3 },
    },
    {
      name: 'z', as: 64999, ipv4: '192.0.2.33', ipv6: null, host: null, preference: 100,
      community: null, largeCommunity: '65000:1:103', down: true,
      check: {
        kind: 'http', address: '127.0.0.1', port: 8080, path: '/health', host: 'z.example.test',
        intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3,
      },
    },
  ]);
  t.deepEqual(c.proximity, { rule: 'classic', self: 'x' });
  t.deepEqual(c.overrides, [{ prefix: '198.51.100.0/24', pop: 'y' }, { prefix: '2001:db8:1::/48', pop: 'x' }]);
  t.is(c.neighbors[0]!.pop, 'x');
});

test('POP values are normalised and optional ones defaulted', (t) => {
  const c = parseConfig(`${BGP}pops:
  a.1: { as: 1.10, ipv6: 2001:DB8:0:0::A, preference: 0, community: "65000:0007", large-community: 4294967295:0:1 }
  b_2: { as: 65000, host: b.example.test. }
  C-3: { as: 65000, host: c }
${NO_NEIGHBORS}`);
  t.deepEqual(c.pops.map((p) => [p.name, p.as, p.ipv4, p.ipv6, p.host, p.preference, p.community, p.largeCommunity, p.down, p.check]), [
    ['a.1', 65546, null, '2001:db8::a', null, 0, '65000:7', '4294967295:0:1', false, null],
    ['b_2', 65000, null, null, 'b.example.test.', 100, null, null, false, null],
    ['C-3', 65000, null, null, 'c', 100, null, null, false, null],
  ], 'two POPs may share an AS');
  t.deepEqual(c.proximity, { rule: 'classic', self: 'a.1' }, 'self defaults to the first POP in the file');
});

test('reports bad POP names and values', (t) => {
  const long = 'p'.repeat(64);
  const p = problems(`${BGP}pops:
  -x: { as: 1, ipv4: 192.0.2.1 }
  ${long}: { as: 1, ipv4: 192.0.2.1 }
  a: { as: 0, ipv4: "2001:db8::1", ipv6: 192.0.2.1, host: "a..b", preference: 65536 }
  b: { community: "65536:1", large-community: "1:2", down: maybe, weight: 3 }
  c: { as: 1, ipv6: "::ffff:192.0.2.1", host: -c.example }
  d:
  e: [1, 2]
${NO_NEIGHBORS}`);
  t.deepEqual(p, [
    'test.yaml:3:3: pops.-x: must be a POP name: a letter or digit, then letters, digits, "_", "." or "-"; at most 63 characters',
    `test.yaml:4:3: pops.${long}: must be a POP name: a letter or digit, then letters, digits, "_", "." or "-"; at most 63 characters`,
    'test.yaml:5:12: pops.a.as: must be an AS number 1..4294967295',
    'test.yaml:5:21: pops.a.ipv4: must be an IPv4 address (dotted quad)',
    'test.yaml:5:42: pops.a.ipv6: must be an IPv6 address',
    'test.yaml:5:59: pops.a.host: must be a DNS name: labels of letters, digits and hyphens, separated by dots; at most 253 characters',
    'test.yaml:5:79: pops.a.preference: must be an integer 0..65535',
    'test.yaml:6:3: pops.b: needs an answer: ipv4, ipv6 or host',
    'test.yaml:6:6: pops.b.as: is required',
    'test.yaml:6:19: pops.b.community: must be a community "A:B", each part 0..65535',
    'test.yaml:6:47: pops.b.large-community: must be a large community "A:B:C", each part 0..4294967295',
    'test.yaml:6:60: pops.b.down: must be true or false',
    'test.yaml:6:67: pops.b.weight: unknown key (expected one of: as, ipv4, ipv6, host, preference, community, large-community, down, check)',
    'test.yaml:7:21: pops.c.ipv6: must be an IPv6 address',
    'test.yaml:7:47: pops.c.host: must be a DNS name: labels of letters, digits and hyphens, separated by dots; at most 253 characters',
    'test.yaml:8:3: pops.d: is required (a mapping)',
    'test.yaml:9:6: pops.e: must be a mapping',
  ]);
  t.deepEqual(problems(`${BGP}pops: [x, y]\n${NO_NEIGHBORS}`), ['test.yaml:2:7: pops: must be a mapping of POP names to POPs']);
});

test('fills a health check from its URL, the POP and the defaults', (t) => {
  const c = parseConfig(`${BGP}pops:
  a: { as: 1, ipv4: 192.0.2.1, host: a.example.test, check: { http: "/health?deep=1" } }
  b: { as: 1, ipv6: "2001:db8::b", check: { http: /, interval: 0.5, rise: 1, fall: 100 } }
  c: { as: 1, ipv4: 192.0.2.3, ipv6: "2001:db8::c", check: { http: "http://[2001:db8::c]", interval: 1 } }
  d: { as: 1, host: d.example.test, check: { http: "HTTP://D.example.test:81/a/b?c=d", address: "2001:DB8::d", interval: 3600, timeout: 3600 } }
  e: { as: 1, ipv4: 192.0.2.5, check: { tcp: 443, interval: 10, timeout: 2.5 } }
${NO_NEIGHBORS}`);
  const d = { intervalMs: 5000, timeoutMs: 2000, rise: 2, fall: 3 };
  t.deepEqual(c.pops.map((p) => p.check), [
    { kind: 'http', address: '192.0.2.1', port: 80, path: '/health?deep=1', host: 'a.example.test', ...d },
    { kind: 'http', address: '2001:db8::b', port: 80, path: '/', host: null, intervalMs: 500, timeoutMs: 500, rise: 1, fall: 100 },
    { kind: 'http', address: '192.0.2.3', port: 80, path: '/', host: '[2001:db8::c]', ...d, intervalMs: 1000, timeoutMs: 1000 },
    { kind: 'http', address: '2001:db8::d', port: 81, path: '/a/b?c=d', host: 'd.example.test', ...d, intervalMs: 3600000, timeoutMs: 3600000 },
    { kind: 'tcp', address: '192.0.2.5', port: 443, path: null, host: null, ...d, intervalMs: 10000, timeoutMs: 2500 },
  ]);
});

test('reports bad health checks', (t) => {
  const p = problems(`${BGP}pops:
  a: { as: 1, ipv4: 192.0.2.1, check: { tcp: 80, http: /x } }
  b: { as: 1, ipv4: 192.0.2.2, check: { interval: 5 } }
  c: { as: 1, ipv4: 192.0.2.3, check: { http: "https://c.example.test/" } }
  d: { as: 1, ipv4: 192.0.2.4, check: { http: "ftp://d.example.test/" } }
  e: { as: 1, ipv4: 192.0.2.5, check: { http: "health" } }
  f: { as: 1, ipv4: 192.0.2.6, check: { tcp: 0, interval: 0, timeout: 3601, rise: 0, fall: 101 } }
  g: { as: 1, ipv4: 192.0.2.7, check: { tcp: 80, interval: 2, timeout: 3 } }
  h: { as: 1, ipv4: 192.0.2.8, check: { tcp: 80, timeout: 6 } }
  i: { as: 1, host: i.example.test, check: { tcp: 80 } }
  j: { as: 1, host: j.example.test, check: { tcp: 80, address: j.example.test, port: 80 } }
  k: { as: 1, ipv4: 192.0.2.11, check: { http: "http://user:pw@k.example.test/", interval: fast } }
${NO_NEIGHBORS}`);
  t.deepEqual(p, [
    'test.yaml:3:39: pops.a.check: needs exactly one of tcp: PORT or http: URL',
    'test.yaml:4:39: pops.b.check: needs exactly one of tcp: PORT or http: URL',
    'test.yaml:5:47: pops.c.check.http: https is not supported: give an http:// URL or an absolute path such as /health',
    'test.yaml:6:47: pops.d.check.http: must be an http:// URL or an absolute path such as /health',
    'test.yaml:7:47: pops.e.check.http: must be an http:// URL or an absolute path such as /health',
    'test.yaml:8:46: pops.f.check.tcp: must be a port 1..65535',
    'test.yaml:8:59: pops.f.check.interval: must be a number of seconds, more than 0 and at most 3600',
    'test.yaml:8:71: pops.f.check.timeout: must be a number of seconds, more than 0 and at most 3600',
    'test.yaml:8:83: pops.f.check.rise: must be an integer 1..100',
    'test.yaml:8:92: pops.f.check.fall: must be an integer 1..100',
    'test.yaml:9:72: pops.g.check.timeout: must be at most the interval (2 s)',
    'test.yaml:10:59: pops.h.check.timeout: must be at most the interval (5 s, the default)',
    'test.yaml:11:44: pops.i.check: needs an address to probe: give the POP an ipv4 or ipv6 answer, or check.address',
    'test.yaml:12:64: pops.j.check.address: must be an IPv4 or IPv6 address',
    'test.yaml:12:80: pops.j.check.port: unknown key (expected one of: tcp, http, interval, timeout, rise, fall, address)',
    'test.yaml:13:48: pops.k.check.http: must not carry a user name or password',
    'test.yaml:13:92: pops.k.check.interval: must be a number of seconds, more than 0 and at most 3600',
  ]);
});

test('proximity: the rule, and self naming a configured POP', (t) => {
  const pops = 'pops:\n  x: { as: 1, ipv4: 192.0.2.1 }\n  y: { as: 2, ipv4: 192.0.2.2 }\n';
  t.deepEqual(parseConfig(`${BGP}${pops}${NO_NEIGHBORS}`).proximity, { rule: 'classic', self: 'x' });
  t.deepEqual(parseConfig(`${BGP}${pops}proximity: { self: y }\n${NO_NEIGHBORS}`).proximity, { rule: 'classic', self: 'y' });
  t.deepEqual(parseConfig(`${BGP}${pops}proximity:\n${NO_NEIGHBORS}`).proximity, { rule: 'classic', self: 'x' });
  t.deepEqual(parseConfig(`${BGP}proximity: { rule: classic }\n${NO_NEIGHBORS}`).proximity, { rule: 'classic', self: null });
  t.deepEqual(problems(`${BGP}${pops}proximity: { rule: nearest, self: z, prefer: x }\n${NO_NEIGHBORS}`), [
    'test.yaml:5:20: proximity.rule: must be one of classic, multi-view',
    'test.yaml:5:35: proximity.self: names no POP; configured: x, y',
    'test.yaml:5:38: proximity.prefer: unknown key (expected one of: rule, self)',
  ]);
  t.deepEqual(problems(`${BGP}proximity: { self: x }\n${NO_NEIGHBORS}`), [
    'test.yaml:2:20: proximity.self: names no POP: no pops are configured',
  ]);
});

test('overrides: canonical prefixes without host bits, each once, naming a POP', (t) => {
  const pops = 'pops:\n  x: { as: 1, ipv4: 192.0.2.1 }\n  y: { as: 2, ipv4: 192.0.2.2 }\n';
  const c = parseConfig(`${BGP}${pops}overrides:
  198.51.100.0/24: y
  "2001:DB8:0001:0000::/48": x
  0.0.0.0/0: x
  "::/0": y
  "2001:db8:0:0:1:0:0:0/80": x
  "::ffff:0:0/96": y
${NO_NEIGHBORS}`);
  t.deepEqual(c.overrides, [
    { prefix: '198.51.100.0/24', pop: 'y' },
    { prefix: '2001:db8:1::/48', pop: 'x' },
    { prefix: '0.0.0.0/0', pop: 'x' },
    { prefix: '::/0', pop: 'y' },
    { prefix: '2001:db8:0:0:1::/80', pop: 'x' }, // RFC 5952: the longer run of zeros is the one compressed
    { prefix: '::ffff:0.0.0.0/96', pop: 'y' }, // RFC 5952 5: an IPv4-mapped prefix in mixed notation
  ]);
  const p = problems(`${BGP}${pops}overrides:
  198.51.100.1/24: y
  "2001:db8:1::1/48": x
  198.51.100.0/33: x
  198.51.100.0: x
  "2001:db8::/129": x
  10.0.0.0/8: z
  "2001:db8:2::/48": x
  "2001:DB8:2:0::/48": y
  192.0.2.0/24:
${NO_NEIGHBORS}`);
  t.deepEqual(p, [
    'test.yaml:6:3: overrides["198.51.100.1/24"]: has host bits set; did you mean 198.51.100.0/24?',
    'test.yaml:7:3: overrides["2001:db8:1::1/48"]: has host bits set; did you mean 2001:db8:1::/48?',
    'test.yaml:8:3: overrides["198.51.100.0/33"]: must be an IPv4 or IPv6 prefix ADDRESS/LENGTH (length 0..32 or 0..128)',
    'test.yaml:9:3: overrides["198.51.100.0"]: must be an IPv4 or IPv6 prefix ADDRESS/LENGTH (length 0..32 or 0..128)',
    'test.yaml:10:3: overrides["2001:db8::/129"]: must be an IPv4 or IPv6 prefix ADDRESS/LENGTH (length 0..32 or 0..128)',
    'test.yaml:11:15: overrides["10.0.0.0/8"]: names no POP; configured: x, y',
    'test.yaml:13:3: overrides["2001:DB8:2:0::/48"]: duplicates overrides["2001:db8:2::/48"]',
    'test.yaml:14:3: overrides["192.0.2.0/24"]: must be the name of a POP',
  ]);
  t.deepEqual(problems(`${BGP}overrides: { 192.0.2.0/24: x }\n${NO_NEIGHBORS}`), [
    'test.yaml:2:28: overrides["192.0.2.0/24"]: names no POP: no pops are configured',
  ]);
});

test("a neighbor's pop must name a configured POP", (t) => {
  const p = problems(`${BGP}pops:
  x: { as: 1, ipv4: 192.0.2.1 }
  y: { as: 2, ipv4: 192.0.2.2 }
neighbors:
  - { address: 127.0.0.1, remote-as: 1, pop: x }
  - { address: 127.0.0.2, remote-as: 1, pop: w }
`);
  t.deepEqual(p, ['test.yaml:7:46: neighbors[1].pop: names no POP; configured: x, y']);
});

test('the multi-view rule needs a view of every POP: a tagged neighbor or a community', (t) => {
  const text = (rule: string): string => `${BGP}pops:
  x: { as: 1, ipv4: 192.0.2.1 }
  y: { as: 2, ipv4: 192.0.2.2, community: "65000:2" }
  z: { as: 3, ipv4: 192.0.2.3, large-community: "65000:0:3" }
  w: { as: 4, ipv4: 192.0.2.4 }
proximity: { rule: ${rule} }
neighbors:
  - { address: 127.0.0.1, remote-as: 1, pop: x }
  - { address: 127.0.0.2, remote-as: 1 }
`;
  t.deepEqual(parseConfig(text('classic')).proximity, { rule: 'classic', self: 'x' }, 'the classic rule needs no views');
  t.deepEqual(problems(text('multi-view')), [
    'test.yaml:6:3: pops.w: the multi-view rule needs a view of this POP: tag its neighbors with `pop: NAME` or give it a community',
  ]);
  const c = parseConfig(text('multi-view').replace('remote-as: 1 }', 'remote-as: 1, pop: w }'));
  t.deepEqual(c.proximity, { rule: 'multi-view', self: 'x' });
  t.deepEqual(c.neighbors.map((n) => n.pop), ['x', 'w']);
});

// ---- DNS -----------------------------------------------------------------------------------------------------

test('dns: several zones, listen forms, defaults', (t) => {
  const c = parseConfig(`${BGP}pops: { x: { as: 1, ipv4: 192.0.2.1 } }
dns:
  listen: [ "0.0.0.0", "[::]:5353", { address: 127.0.0.1, port: 0 } ]
  zones:
    - { zone: Example.COM., names: { www: {} }, ns: [ ns.example.net ] }
    - { zone: example.net, names: { "@": {}, cdn.example.net.: { pops: [x] } }, ns: { ns.example.net: [ 192.0.2.9 ] } }
${NO_NEIGHBORS}`);
  const dns = c.dns!;
  t.deepEqual(dns.listen, [{ address: '0.0.0.0', port: 53 }, { address: '::', port: 5353 }, { address: '127.0.0.1', port: 0 }]);
  t.deepEqual(dns.zones.map((z) => z.zone), ['example.com', 'example.net']);
  t.deepEqual(dns.zones[0]!.names.map((n) => n.name), ['www.example.com']);
  t.deepEqual(dns.zones[1]!.names.map((n) => [n.name, n.pops]), [['example.net', null], ['cdn.example.net', ['x']]]);
  t.like(dns.zones[0]!.soa, { mname: 'ns.example.net', rname: 'hostmaster.example.com', serial: 1, minimum: 60 });
  t.deepEqual([dns.startup, dns.workers, dns.udpSize], [{ ttl: 5, timeoutSeconds: 30 }, 0, 1232]);
  t.is(parseConfig(`${BGP}${NO_NEIGHBORS}`).dns, null, 'off unless configured');
});

test('dns: problems are reported with line, column and path', (t) => {
  const p = problems(`${BGP}pops: { x: { as: 1, ipv4: 192.0.2.1 } }
dns:
  listen: [ "127.0.0.1:99999", "nonsense" ]
  zone: example.test
  names:
    www: { pops: [ q ], answers: 0 }
    www.example.org.: {}
  ns: { ns1.example.test: [], ns.example.net: [ 192.0.2.1 ] }
  workers: -1
${NO_NEIGHBORS}`);
  t.deepEqual(p, [
    'test.yaml:4:13: dns.listen[0]: must be "ADDRESS:PORT" ("[IPV6]:PORT" for IPv6), or a mapping { address, port }',
    'test.yaml:4:32: dns.listen[1]: must be "ADDRESS:PORT" ("[IPV6]:PORT" for IPv6), or a mapping { address, port }',
    'test.yaml:7:20: dns.names.www.pops[0]: names no POP; configured: x',
    'test.yaml:7:34: dns.names.www.answers: must be a number of records 1..64',
    'test.yaml:8:5: dns.names.www.example.org.: must be a name in zone example.test (absolute, relative, or @ for the apex)',
    'test.yaml:9:9: dns.ns.ns1.example.test: lies inside the zone, so it needs its addresses here (ns: { NAME: [ ADDRESS ] }): nothing else could answer for it',
    'test.yaml:9:31: dns.ns.ns.example.net: lies outside the zone: its addresses are not ours to give',
    'test.yaml:10:12: dns.workers: must be a number of threads 0..256',
  ]);
  t.deepEqual(problems(`${BGP}dns: { listen: [ "127.0.0.1" ], zone: example.test, ns: [ ns.example.net ] }
${NO_NEIGHBORS}`), [
    'test.yaml:2:6: dns.names: is required: the names answered with the closest POP',
  ]);
});

test('route-server: defaults, the port by type, a numeric password kept as written', (t) => {
  const c = parseConfig(`${BGP}route-server: { type: frr, password: 0123 }
${NO_NEIGHBORS}`);
  t.deepEqual(c.routeServer, {
    type: 'frr', host: 'localhost', port: 2605, password: '0123', username: null, timeoutSeconds: 5, cacheTimeoutSeconds: 60, cacheSize: 10000,
    listMoreSpecifics: false,
  });
  const cisco = parseConfig(`${BGP}route-server:
  type: cisco
  host: route-views.example.net
  username: rviews
  timeout: 10
  cache-timeout: 30
  cache-size: 500
${NO_NEIGHBORS}`).routeServer!;
  t.deepEqual([cisco.port, cisco.host, cisco.username, cisco.password, cisco.timeoutSeconds, cisco.cacheTimeoutSeconds, cisco.cacheSize], [23, 'route-views.example.net', 'rviews', null, 10, 30, 500]);
  t.is(parseConfig(`${BGP}${NO_NEIGHBORS}`).routeServer, null);
});

test('route-server: problems are reported with line, column and path, never with the password', (t) => {
  const p = problems(`${BGP}route-server:
  type: juniper
  port: 0
  password: ""
  cache-size: 0
  colour: blue
${NO_NEIGHBORS}`);
  t.deepEqual(p, [
    'test.yaml:3:9: route-server.type: must be one of zebra, quagga, frr, cisco',
    'test.yaml:4:9: route-server.port: must be a port 1..65535',
    'test.yaml:5:13: route-server.password: must not be empty',
    'test.yaml:6:15: route-server.cache-size: must be a number of prefixes 1..10000000',
    'test.yaml:7:3: route-server.colour: unknown key (expected one of: type, host, port, password, username, timeout, cache-timeout, cache-size, list-more-specifics)',
  ]);
  const secret = problems(`${BGP}route-server: { type: frr, password: hunter2, timeout: 0 }
${NO_NEIGHBORS}`);
  t.is(secret.length, 1);
  t.regex(secret[0]!, /route-server\.timeout/);
  t.false(secret.join('\n').includes('hunter2'));
  t.deepEqual(problems(`${BGP}pops: { x: { as: 1, ipv4: 192.0.2.1 } }
dns: { listen: [ "127.0.0.1:5300" ], zone: example.test, names: { www: {} }, ns: [ ns.example.net ], workers: 1 }
route-server: { type: frr }
${NO_NEIGHBORS}`), [
    "test.yaml:4:15: route-server: cannot be used with dns.workers (the fallback answers DNS from the daemon's own thread): set dns.workers to 0",
  ]);
});

// ---- HTTP ----------------------------------------------------------------------------------------------------

test('http: off without the section; defaults; listen, trusted proxies and redirect as written', (t) => {
  t.is(parseConfig(`${BGP}${NO_NEIGHBORS}`).http, null);
  t.deepEqual(parseConfig(`${BGP}http: { listen: 127.0.0.1 }\n${NO_NEIGHBORS}`).http, {
    listen: [{ address: '127.0.0.1', port: 9179 }], trustedProxies: [], redirect: null,
    maxConnections: 256, requestTimeoutSeconds: 10, headersTimeoutSeconds: 5, keepAliveTimeoutSeconds: 5,
  });
  const c = parseConfig(`${BGP}http:
  listen: [ "[::1]:8080", { address: 127.0.0.2, port: 0 } ]
  trusted-proxies: [ 192.0.2.7, "2001:DB8::/32", "::ffff:0:0/96", 192.0.2.7/32 ]
  redirect: { hosts: [ WWW.Example.TEST., cdn.example.test ], scheme: https, status: 307 }
  max-connections: 10
  request-timeout: 3
  keep-alive-timeout: 2
${NO_NEIGHBORS}`).http!;
  t.deepEqual(c.listen, [{ address: '::1', port: 8080 }, { address: '127.0.0.2', port: 0 }]);
  t.deepEqual(c.trustedProxies, ['192.0.2.7/32', '2001:db8::/32', '::ffff:0.0.0.0/96'], 'canonical, an address alone as its host prefix, once each');
  t.deepEqual(c.redirect, { hosts: ['www.example.test', 'cdn.example.test'], scheme: 'https', status: 307 });
  t.deepEqual([c.maxConnections, c.requestTimeoutSeconds, c.headersTimeoutSeconds, c.keepAliveTimeoutSeconds], [10, 3, 3, 2], 'the headers timeout never above the request timeout');
});

test('http: bad values are reported with line, column and path', (t) => {
  const p = problems(`${BGP}http:
  listen: [ "127.0.0.1:99999", localhost ]
  trusted-proxies: [ 10.0.0.1/8, banana ]
  redirect:
    hosts: [ "www.example.test:80" ]
    scheme: ftp
    status: 200
  max-connections: 0
  request-timeout: 5
  headers-timeout: 6
  keep-alive-timeout: -1
  colour: blue
${NO_NEIGHBORS}`);
  t.deepEqual(p, [
    'test.yaml:3:13: http.listen[0]: must be "ADDRESS:PORT" ("[IPV6]:PORT" for IPv6), or a mapping { address, port }',
    'test.yaml:3:32: http.listen[1]: must be "ADDRESS:PORT" ("[IPV6]:PORT" for IPv6), or a mapping { address, port }',
    'test.yaml:4:22: http.trusted-proxies[0]: has host bits set; did you mean 10.0.0.0/8?',
    'test.yaml:4:34: http.trusted-proxies[1]: must be an IPv4 or IPv6 prefix ADDRESS/LENGTH, or an address',
    'test.yaml:6:14: http.redirect.hosts[0]: must be a host name (a DNS name, without a port)',
    'test.yaml:7:13: http.redirect.scheme: must be http or https',
    'test.yaml:8:13: http.redirect.status: must be one of 301, 302, 303, 307, 308',
    'test.yaml:9:20: http.max-connections: must be a number of connections 1..65535',
    'test.yaml:11:20: http.headers-timeout: must not exceed http.request-timeout (5 s)',
    'test.yaml:12:23: http.keep-alive-timeout: must be a number of seconds 1..65535',
    'test.yaml:13:3: http.colour: unknown key (expected one of: listen, trusted-proxies, redirect, max-connections, request-timeout, headers-timeout, keep-alive-timeout)',
  ]);
  t.deepEqual(problems(`${BGP}http: { trusted-proxies: [ 10.0.0.0/8 ], redirect: { scheme: https } }\n${NO_NEIGHBORS}`), [
    'test.yaml:2:7: http.listen: is required (a list of "ADDRESS:PORT"; "ADDRESS" alone means port 9179)',
    'test.yaml:2:52: http.redirect.hosts: is required: the host names whose requests are redirected',
  ]);
});
