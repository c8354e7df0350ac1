import test, { type ExecutionContext } from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import {
  RouteServerError,
  detectDialect,
  parseLongerPrefixes,
  parseLongerPrefixesJson,
  parseShowBgp,
  parseShowBgpJson,
  type ConsoleRoute,
  type Dialect,
} from '../../src/routeserver/index.js';
import { seededRandom } from '../../src/util/index.js';

// The route-server console parsers against real console output (fixtures/routeserver/SOURCES.md says where each
// file came from). Strings written in this file are constructed and say so.

// compiled to dist/test/routeserver/, so the repository root is three folders up
const FIXTURES = new URL('../../../fixtures/routeserver/', import.meta.url);

function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

function route(name: string, dialect: Dialect): ConsoleRoute {
  const r = parseShowBgp(fixture(name), dialect);
  if (r === null) throw new Error(`${name}: not in table`);
  return r;
}

function jsonRoute(name: string): ConsoleRoute {
  const r = parseShowBgpJson(fixture(name));
  if (r === null) throw new Error(`${name}: not in table`);
  return r;
}

/** A standard community's value. */
const c = (high: number, low: number): number => high * 0x10000 + low;
const seq = (...asns: number[]) => ({ type: 'sequence' as const, asns });

const NO_EXPORT = 0xffffff01;
const NO_ADVERTISE = 0xffffff02;
const LOCAL_AS = 0xffffff03;
const NO_PEER = 0xffffff04;
const GRACEFUL_SHUTDOWN = 0xffff0000;
const ACCEPT_OWN = 0xffff0001;
const LLGR_STALE = 0xffff0006;
const NO_LLGR = 0xffff0007;
const BLACKHOLE = 0xffff029a;

/** Asserts that `fn` throws a RouteServerError with this code (and a message matching `message`). */
function code(t: ExecutionContext, fn: () => unknown, expected: 'command' | 'garbled', message?: RegExp): void {
  const e = t.throws(fn, { instanceOf: RouteServerError });
  t.is(e?.code, expected);
  if (message) t.regex(e?.message ?? '', message);
}

// ---- Zebra 0.89 ----------------------------------------------------------------------------------------------------

test('Zebra 0.89 (the Super Sparrow page): two paths, best #2 is the one-AS path via 192.168.193.11', (t) => {
  const r = route('zebra-0.89/show-ip-bgp-192.168.193.15.txt', 'zebra');
  t.is(r.prefix, '192.168.193.0/24');
  t.is(r.paths.length, 2);
  t.is(r.best, 1);
  t.deepEqual(r.paths[0]!.asPath, [seq(64754, 64755, 64752)]);
  t.deepEqual(r.paths[1], {
    asPath: [seq(64750)],
    nextHop: '192.168.193.11',
    from: '192.168.193.11',
    origin: 'igp',
    med: 1,
    localPref: 100,
    communities: [],
    largeCommunities: [],
    best: true,
    valid: true,
    local: false,
    internal: false,
  });
  t.false(r.paths[0]!.best);
});

// ---- Quagga 1.2.3 (telnet vty, "\r\n") ------------------------------------------------------------------------------

test('Quagga: the captures keep the telnet vty line ends, and they do not change the parse', (t) => {
  const raw = fixture('quagga-1.2/show-ip-bgp-192.0.2.1.txt');
  t.true(raw.includes('\r\n'));
  t.deepEqual(parseShowBgp(raw, 'quagga'), parseShowBgp(raw.replace(/\r/g, ''), 'quagga'));
});

test('Quagga: best #2 by LOCAL_PREF over iBGP; the eBGP path shows the default localpref, MED, communities and large communities', (t) => {
  const r = route('quagga-1.2/show-ip-bgp-192.0.2.1.txt', 'quagga');
  t.is(r.prefix, '192.0.2.0/24');
  t.is(r.best, 1);
  const [ebgp, ibgp] = r.paths;
  t.deepEqual(ebgp!.asPath, [seq(65001, 64500, 64501)]);
  t.is(ebgp!.nextHop, '10.255.0.2');
  t.is(ebgp!.from, '127.0.91.2');
  t.is(ebgp!.med, 50);
  t.is(ebgp!.localPref, 100, 'Quagga prints the default local preference');
  t.deepEqual(ebgp!.communities, [c(65001, 100), NO_EXPORT]);
  t.deepEqual(ebgp!.largeCommunities, [[65001, 1, 2], [65001, 3, 4]]);
  t.false(ebgp!.internal);
  t.deepEqual(ibgp!.asPath, [seq(64530)]);
  t.is(ibgp!.localPref, 200);
  t.is(ibgp!.med, 5);
  t.true(ibgp!.internal);
  t.true(ibgp!.best);
});

test('Quagga: an AS_SET after a 4-octet AS, origin EGP, well-known communities by name and by number', (t) => {
  const r = route('quagga-1.2/show-ip-bgp-203.0.113.9.txt', 'quagga');
  t.is(r.prefix, '203.0.113.0/24');
  t.deepEqual(r.paths[0]!.asPath, [seq(65002, 4200000001), { type: 'set', asns: [64511, 64512] }]);
  t.is(r.paths[0]!.origin, 'egp');
  // Quagga names no-export, no-advertise and local-AS but prints no-peer as 65535:65284
  t.deepEqual(r.paths[0]!.communities, [c(65002, 1), NO_EXPORT, NO_ADVERTISE, LOCAL_AS, NO_PEER]);
});

test('Quagga: an iBGP path with an empty AS path prints "Local" but is not locally originated', (t) => {
  const p = route('quagga-1.2/show-ip-bgp-100.64.0.1.txt', 'quagga').paths[0]!;
  t.deepEqual(p.asPath, []);
  t.false(p.local);
  t.true(p.internal);
  t.is(p.from, '127.0.92.1');
  t.is(p.origin, 'incomplete');
  t.is(p.localPref, 300);
});

test('Quagga: a network statement is a local path (next hop 0.0.0.0, no neighbor)', (t) => {
  const r = route('quagga-1.2/show-ip-bgp-10.1.0.1.txt', 'quagga');
  t.is(r.prefix, '10.1.0.0/16');
  t.like(r.paths[0], { asPath: [], nextHop: '0.0.0.0', from: null, local: true, internal: false, med: 0, best: true });
});

test('Quagga: IPv6 through `show bgp ipv6` and `show ipv6 bgp` alike; RFC 8326 and RFC 7999 communities as numbers', (t) => {
  const r = route('quagga-1.2/show-bgp-ipv6-2001-db8-100--1.txt', 'quagga');
  t.deepEqual(route('quagga-1.2/show-ipv6-bgp-2001-db8-100--1.txt', 'quagga'), r);
  t.is(r.prefix, '2001:db8:100::/48');
  t.is(r.paths.length, 2);
  const ebgp = r.paths.find((p) => !p.internal)!;
  t.is(ebgp.nextHop, '2001:db8:ffff::3');
  t.deepEqual(ebgp.communities, [c(65002, 6), GRACEFUL_SHUTDOWN, ACCEPT_OWN, LLGR_STALE, NO_LLGR, BLACKHOLE]);
  t.deepEqual(ebgp.largeCommunities, [[65002, 6, 1], [4200000001, 2, 3]]);
  const local = route('quagga-1.2/show-bgp-ipv6-2001-db8-1--1.txt', 'quagga').paths[0]!;
  t.like(local, { nextHop: '::', from: null, local: true });
});

test('Quagga: a route suppressed by dampening has no best path (best -1), its path still listed', (t) => {
  const r = route('quagga-1.2/show-ip-bgp-192.0.2.129.txt', 'quagga');
  t.is(r.prefix, '192.0.2.128/25');
  t.is(r.best, -1);
  t.is(r.paths.length, 1);
  t.false(r.paths[0]!.best);
  t.deepEqual(r.paths[0]!.asPath, [seq(65001)]);
});

test('Quagga: "% Network not in table" is null; an unknown command is refused', (t) => {
  t.is(parseShowBgp(fixture('quagga-1.2/show-ip-bgp-not-in-table.txt'), 'quagga'), null);
  t.is(parseShowBgp(fixture('quagga-1.2/show-bgp-ipv6-not-in-table.txt'), 'quagga'), null);
  code(t, () => parseShowBgp(fixture('quagga-1.2/show-ip-bgp-unknown-command.txt'), 'quagga'), 'command', /Unknown command/);
});

test('Quagga: longer-prefixes lists each network once, skipping the continuation row and wrapped IPv6 next hops', (t) => {
  t.deepEqual(parseLongerPrefixes(fixture('quagga-1.2/show-ip-bgp-10.1.0.0-16-longer-prefixes.txt'), 'quagga'), [
    '10.1.0.0/16',
    '10.1.1.0/24',
    '10.1.2.0/24',
    '10.1.2.128/25',
  ]);
  t.deepEqual(parseLongerPrefixes(fixture('quagga-1.2/show-bgp-ipv6-2001-db8---32-longer-prefixes.txt'), 'quagga'), [
    '2001:db8:1::/48',
    '2001:db8:1:2::/64',
    '2001:db8:100::/48',
  ]);
  t.deepEqual(parseLongerPrefixes(fixture('quagga-1.2/show-ip-bgp-172.16.0.0-12-longer-prefixes.txt'), 'quagga'), []);
});

// ---- FRR 8.4.4 (this machine) ---------------------------------------------------------------------------------------

test('FRR 8.4: best #2 by LOCAL_PREF; localpref is absent on the eBGP path (null) and shown on the iBGP one', (t) => {
  const r = route('frr-8.4/show-ip-bgp-192.0.2.1.txt', 'frr-text');
  t.is(r.prefix, '192.0.2.0/24');
  t.is(r.best, 1);
  t.is(r.paths[0]!.localPref, null);
  t.is(r.paths[0]!.med, 50);
  t.deepEqual(r.paths[0]!.communities, [c(65001, 100), NO_EXPORT]);
  t.deepEqual(r.paths[0]!.largeCommunities, [[65001, 1, 2], [65001, 3, 4]]);
  t.is(r.paths[1]!.localPref, 200);
  t.true(r.paths[1]!.best, '`best (Local Pref)` marks the path');
});

test('FRR 8.4: best #2 by AS path length between two eBGP paths', (t) => {
  const r = route('frr-8.4/show-ip-bgp-198.51.100.7.txt', 'frr-text');
  t.is(r.best, 1);
  t.deepEqual(r.paths.map((p) => p.asPath), [[seq(65001, 64502)], [seq(65002)]]);
  t.deepEqual(r.paths.map((p) => p.from), ['127.0.91.2', '127.0.91.3']);
  t.is(r.paths[1]!.med, 10);
});

test('FRR 8.4: AS_SET and 4-octet AS; no-export, no-advertise, local-AS, no-peer by name', (t) => {
  const p = route('frr-8.4/show-ip-bgp-203.0.113.9.txt', 'frr-text').paths[0]!;
  t.deepEqual(p.asPath, [seq(65002, 4200000001), { type: 'set', asns: [64511, 64512] }]);
  t.deepEqual(p.communities, [c(65002, 1), NO_EXPORT, NO_ADVERTISE, LOCAL_AS, NO_PEER]);
  t.is(p.origin, 'egp');
});

test('FRR 8.4: graceful-shutdown, accept-own, llgr-stale, no-llgr, blackhole by name; FRR sets localpref 0 on graceful-shutdown', (t) => {
  const r = route('frr-8.4/show-bgp-ipv6-2001-db8-100--1.txt', 'frr-text');
  t.is(r.prefix, '2001:db8:100::/48');
  const ebgp = r.paths.find((p) => !p.internal)!;
  t.deepEqual(ebgp.communities, [c(65002, 6), GRACEFUL_SHUTDOWN, ACCEPT_OWN, LLGR_STALE, NO_LLGR, BLACKHOLE, NO_EXPORT]);
  t.deepEqual(ebgp.largeCommunities, [[65002, 6, 1], [4200000001, 2, 3]]);
  t.is(ebgp.localPref, 0);
  t.false(ebgp.best);
  t.true(r.paths[r.best]!.internal);
});

test('FRR 8.4: local paths (`0.0.0.0 from 0.0.0.0`, `:: from ::`) and an iBGP path with an empty AS path', (t) => {
  t.like(route('frr-8.4/show-ip-bgp-10.1.0.1.txt', 'frr-text').paths[0], { asPath: [], nextHop: '0.0.0.0', from: null, local: true, localPref: null });
  t.like(route('frr-8.4/show-bgp-ipv6-2001-db8-1--1.txt', 'frr-text').paths[0], { nextHop: '::', from: null, local: true });
  t.like(route('frr-8.4/show-ip-bgp-100.64.0.1.txt', 'frr-text').paths[0], { asPath: [], local: false, internal: true, localPref: 300 });
});

test('FRR 8.4: `Paths: (1 available, no best path)` is best -1', (t) => {
  const r = route('frr-8.4/show-ip-bgp-192.0.2.129.txt', 'frr-text');
  t.is(r.best, -1);
  t.is(r.paths.length, 1);
});

test('FRR 8.4: not in table, and a refused command', (t) => {
  t.is(parseShowBgp(fixture('frr-8.4/show-ip-bgp-not-in-table.txt'), 'frr-text'), null);
  t.is(parseShowBgp(fixture('frr-8.4/show-bgp-ipv6-not-in-table.txt'), 'frr-text'), null);
  code(t, () => parseShowBgp(fixture('frr-8.4/show-ip-bgp-unknown-command.txt'), 'frr-text'), 'command');
  t.is(parseShowBgpJson(fixture('frr-8.4/show-bgp-ipv4-unicast-172.16.0.1-json.json')), null);
  t.is(parseShowBgpJson(fixture('frr-8.4/show-bgp-ipv6-unicast-2001-db8-dead--1-json.json')), null);
});

const FRR_PAIRS: Array<[string, string]> = [
  ['show-ip-bgp-192.0.2.1.txt', 'show-bgp-ipv4-unicast-192.0.2.1-json.json'],
  ['show-ip-bgp-198.51.100.7.txt', 'show-bgp-ipv4-unicast-198.51.100.7-json.json'],
  ['show-ip-bgp-203.0.113.9.txt', 'show-bgp-ipv4-unicast-203.0.113.9-json.json'],
  ['show-ip-bgp-10.1.0.1.txt', 'show-bgp-ipv4-unicast-10.1.0.1-json.json'],
  ['show-ip-bgp-100.64.0.1.txt', 'show-bgp-ipv4-unicast-100.64.0.1-json.json'],
  ['show-ip-bgp-192.0.2.129.txt', 'show-bgp-ipv4-unicast-192.0.2.129-json.json'],
  ['show-bgp-ipv6-2001-db8-100--1.txt', 'show-bgp-ipv6-unicast-2001-db8-100--1-json.json'],
  ['show-bgp-ipv6-2001-db8-1--1.txt', 'show-bgp-ipv6-unicast-2001-db8-1--1-json.json'],
];

for (const [text, json] of FRR_PAIRS) {
  test(`FRR 8.4: the text and JSON parsers agree on ${text}`, (t) => {
    const fromText = route(`frr-8.4/${text}`, 'frr-text');
    const fromJson = jsonRoute(`frr-8.4/${json}`);
    t.true(fromJson.paths.length > 0);
    t.deepEqual(fromText, fromJson);
  });
}

test('FRR 8.4: longer-prefixes in text and JSON list the same networks', (t) => {
  const v4 = ['10.1.0.0/16', '10.1.1.0/24', '10.1.2.0/24', '10.1.2.128/25'];
  t.deepEqual(parseLongerPrefixes(fixture('frr-8.4/show-ip-bgp-10.1.0.0-16-longer-prefixes.txt'), 'frr-text'), v4);
  t.deepEqual(parseLongerPrefixesJson(fixture('frr-8.4/show-bgp-ipv4-unicast-10.1.0.0-16-longer-prefixes-json.json')), v4);
  const v6 = ['2001:db8:1::/48', '2001:db8:1:2::/64', '2001:db8:100::/48'];
  t.deepEqual(parseLongerPrefixes(fixture('frr-8.4/show-bgp-ipv6-2001-db8---32-longer-prefixes.txt'), 'frr-json'), v6);
  t.deepEqual(parseLongerPrefixesJson(fixture('frr-8.4/show-bgp-ipv6-unicast-2001-db8---32-longer-prefixes-json.json')), v6);
  t.deepEqual(parseLongerPrefixes(fixture('frr-8.4/show-ip-bgp-172.16.0.0-12-longer-prefixes.txt'), 'frr-text'), []);
  t.deepEqual(parseLongerPrefixesJson(fixture('frr-8.4/show-bgp-ipv4-unicast-172.16.0.0-12-longer-prefixes-json.json')), []);
});

test('FRR JSON: FRR 7 names (`localpref`, `med`) read like FRR 8 ones (`locPrf`, `metric`)', (t) => {
  // the FRR 8.4 capture with its keys renamed the way FRR 7.0's route_vty_out_detail names them
  const frr8 = fixture('frr-8.4/show-bgp-ipv4-unicast-192.0.2.1-json.json');
  const frr7 = frr8.replace(/"locPrf"/g, '"localpref"').replace(/"metric":(\d+),\n(\s*)"valid"/g, '"med":$1,\n$2"valid"');
  t.not(frr7, frr8);
  t.deepEqual(parseShowBgpJson(frr7), parseShowBgpJson(frr8));
});

// ---- FRR in public issues, pull requests and documentation ---------------------------------------------------------

test('FRR (issue 14150): unnumbered sessions keep the interface as the neighbor; link-local lines are skipped', (t) => {
  const r = route('frr-public/frr-issue-14150-show-bgp-default-v6.txt', 'frr-text');
  t.is(r.prefix, '::/0');
  t.is(r.best, 1);
  t.deepEqual(r.paths.map((p) => p.from), ['ens3f0np0', 'ens3f1np1']);
  t.deepEqual(r.paths[1]!.asPath, [seq(4201000139, 4200000229, 270179)]);
  t.is(r.paths[1]!.nextHop, 'fe80::1e34:daff:fef6:3400');
  t.deepEqual(r.paths[1]!.communities, [c(65101, 1002)]);
});

test('FRR 7 (PR 7113): a next hop with the hostname glued on, two local paths, `best (Origin)` after `bestpath-from-AS Local`', (t) => {
  const r = route('frr-public/frr-pr-7113-two-local-paths.txt', 'frr-text');
  t.is(r.best, 0);
  t.deepEqual(r.paths.map((p) => [p.nextHop, p.from, p.local, p.origin]), [
    ['0.0.0.0', null, true, 'igp'],
    ['0.0.0.0', null, true, 'incomplete'],
  ]);
});

test('FRR 5/6 (PR 2731): `valid,sourced` without a space still reads as valid and local', (t) => {
  const p = route('frr-public/frr-pr-2731-ebgp-local.txt', 'frr-text').paths[0]!;
  t.like(p, { valid: true, local: true, from: null, best: true, origin: 'incomplete', med: 0 });
});

test('FRR 3 (PR 1261): `best #1` picks the path when the `best` mark went to a broken-off line; `from host(addr)` is the address', (t) => {
  const r = route('frr-public/frr-pr-1261-frr3-4byte-as.txt', 'frr-text');
  t.is(r.best, 0);
  t.true(r.paths[0]!.best);
  t.deepEqual(r.paths[0]!.asPath, [seq(4294967292)]);
  t.is(r.paths[0]!.from, '20.1.2.2');
  t.deepEqual(r.paths[0]!.communities, [c(99, 1)]);
});

test('FRR (PR 8208): an IPv4-mapped next hop comes out canonical; `validation-state` is ignored', (t) => {
  const r = route('frr-public/frr-pr-8208-rpki-v6.txt', 'frr-text');
  t.is(r.prefix, '2003::/19');
  t.like(r.paths[0], { nextHop: '::ffff:65.19.134.122', from: '65.19.134.122', best: true });
});

test('FRR docs: a listing with fewer paths than `Paths:` counts is garbled; community aliases are skipped', (t) => {
  const text = fixture('frr-public/frr-doc-bgp-rst-community-alias.txt');
  code(t, () => parseShowBgp(text, 'frr-text'), 'garbled', /2 available/);
  // the same example with its Paths line made to count the one path it shows
  const r = parseShowBgp(text.replace('(2 available, best #2,', '(1 available, best #1,'), 'frr-text')!;
  t.deepEqual(r.paths[0]!.communities, [c(65001, 12), c(65001, 13), c(65001, 65534)]);
  t.deepEqual(r.paths[0]!.largeCommunities, [[65001, 123, 2]]);
});

// ---- Cisco ----------------------------------------------------------------------------------------------------------

test('Cisco (route-views): 20 paths, best #20; RPKI, rx pathid and unknown-attribute lines (and a blank line) skipped', (t) => {
  const r = route('cisco/route-views-show-bgp-109.252.132.146.txt', 'cisco');
  t.is(r.prefix, '109.252.0.0/16');
  t.is(r.paths.length, 20);
  t.is(r.best, 19);
  const best = r.paths[19]!;
  t.deepEqual(best.asPath, [seq(3303, 8359, 25513)]);
  t.is(best.from, '217.192.89.50');
  t.deepEqual(best.communities, [c(0, 151), c(3303, 1004), c(3303, 1006), c(3303, 1030), c(3303, 3056), c(8359, 100), c(8359, 5500)]);
  t.is(r.paths[0]!.med, null);
  t.is(r.paths[1]!.med, 0);
  t.deepEqual(r.paths[1]!.communities, [c(1299, 20000), c(57866, 100), c(65100, 1299), c(65103, 3), c(65104, 31)]);
  t.true(r.paths.every((p) => p.localPref === 100 && p.valid && !p.internal));
});

test('Cisco (route-views): 24 paths, best #5 via AS 2497', (t) => {
  const r = route('cisco/route-views-sh-bgp-128.71.38.234.txt', 'cisco');
  t.is(r.prefix, '128.71.0.0/16');
  t.is(r.paths.length, 24);
  t.is(r.best, 4);
  t.deepEqual(r.paths[4]!.asPath, [seq(2497, 3216)]);
  t.is(r.paths[4]!.nextHop, '202.232.0.2');
});

test('Cisco IOS-XE: IPv6 route with IPv4-mapped next hops and `(metric 11)`, reflected iBGP paths', (t) => {
  const r = route('cisco/genieparser-iosxe-ShowBgpAllDetail-golden6.txt', 'cisco');
  t.is(r.prefix, '2001:2:2:2::2/128');
  t.is(r.best, 1);
  t.like(r.paths[1], { nextHop: '::ffff:1.1.1.3', from: '1.1.1.1', internal: true, med: 0, localPref: 100 });
});

test('Cisco IOS-XE: iBGP paths with an empty AS path (`Local`) are not local', (t) => {
  const r = route('cisco/genieparser-iosxe-ShowBgpAllDetail-golden7.txt', 'cisco');
  t.is(r.best, 0);
  t.deepEqual(r.paths.map((p) => [p.asPath, p.local, p.internal, p.localPref]), [
    [[], false, true, 1000],
    [[], false, true, 100],
  ]);
});

test('Cisco IOS-XE: `(received & used)` after the AS path, `multipath(oldest)` is not `best`, indentation not needed', (t) => {
  const r = route('cisco/genieparser-iosxe-ShowBgpAllDetail-golden10.txt', 'cisco');
  t.is(r.prefix, '1.1.1.1/32');
  t.is(r.paths.length, 4);
  t.is(r.best, 3);
  t.false(r.paths[2]!.best);
  t.true(r.paths.every((p) => p.asPath.length === 1 && p.asPath[0]!.asns.join(' ') === '65000 65001'));
  t.deepEqual(r.paths[3]!.communities, [c(1, 1)]);
});

test('Cisco IOS-XE: a table with an RPKI column and IPv6 networks on their own lines', (t) => {
  t.deepEqual(parseLongerPrefixes(fixture('cisco/genieparser-iosxe-ShowBgp-golden1-ipv6-table.txt'), 'cisco'), [
    '2001:db8:aaaa:aaaa::1/128',
    '2001:db8:aaaa:aaaa::2/128',
    '2001:db8:aaaa:aaaa::3/128',
    '2001:db8:aaaa:aaaa::4/128',
  ]);
});

// ---- constructed inputs ---------------------------------------------------------------------------------------------

/** A one-path Cisco-style entry around the given AS path and attribute lines (constructed). */
function ciscoEntry(asPath: string, attributes: string[] = ['      Origin IGP, localpref 100, valid, external, best']): string {
  return [
    'BGP routing table entry for 192.0.2.0/24, version 7',
    'Paths: (1 available, best #1, table default)',
    '  Not advertised to any peer',
    '  Refresh Epoch 1',
    `  ${asPath}`,
    '    198.51.100.1 from 198.51.100.1 (198.51.100.1)',
    ...attributes,
    '      rx pathid: 0, tx pathid: 0x0',
  ].join('\n');
}

test('refused commands: Cisco caret marker, ambiguous, incomplete (constructed)', (t) => {
  code(t, () => parseShowBgp("                  ^\n% Invalid input detected at '^' marker.\n", 'cisco'), 'command', /Invalid input/);
  code(t, () => parseShowBgp('% Ambiguous command: "show ip bg 1.2.3.4"\n', 'quagga'), 'command');
  code(t, () => parseShowBgp('% Command incomplete.\n', 'zebra'), 'command');
  code(t, () => parseLongerPrefixes('% Unknown command.\n', 'frr-text'), 'command');
  t.is(parseShowBgp('\r\n% Network not in table\r\n', 'cisco'), null);
});

test('asdot AS numbers on Cisco; not a Zebra/Quagga notation (constructed)', (t) => {
  const text = ciscoEntry('1.10 65001 {1.0,64512}');
  t.deepEqual(parseShowBgp(text, 'cisco')!.paths[0]!.asPath, [seq(65546, 65001), { type: 'set', asns: [65536, 64512] }]);
  code(t, () => parseShowBgp(text, 'quagga'), 'garbled', /AS number/);
  code(t, () => parseShowBgp(ciscoEntry('1.65536'), 'cisco'), 'garbled', /AS number/);
});

test('confederation segments and aggregator / RR-client notes after the AS path (constructed)', (t) => {
  const p = parseShowBgp(ciscoEntry('(65001 65002) [65003,65004] 64500 {64501}, (aggregated by 64500 10.0.0.1), (Received from a RR-client)'), 'quagga')!.paths[0]!;
  t.deepEqual(p.asPath, [
    { type: 'confed-sequence', asns: [65001, 65002] },
    { type: 'confed-set', asns: [65003, 65004] },
    seq(64500),
    { type: 'set', asns: [64501] },
  ]);
});

test('garbled: AS numbers out of range, bad communities, no header, no Origin line, empty output (constructed)', (t) => {
  code(t, () => parseShowBgp(ciscoEntry('4294967296'), 'cisco'), 'garbled', /AS number/);
  code(t, () => parseShowBgp(ciscoEntry('64500 {64501'), 'cisco'), 'garbled', /unclosed/);
  code(t, () => parseShowBgp(ciscoEntry('64500', ['      Origin IGP, valid, external, best', '      Community: 65536:1']), 'cisco'), 'garbled', /community/);
  code(t, () => parseShowBgp(ciscoEntry('64500', ['      Origin IGP, valid, best', '      Large Community: 1:2']), 'cisco'), 'garbled', /large community/);
  code(t, () => parseShowBgp(ciscoEntry('64500', ['      valid, external, best']), 'cisco'), 'garbled', /Origin/);
  code(t, () => parseShowBgp('Paths: (1 available, best #1)\n', 'frr-text'), 'garbled', /header/);
  code(t, () => parseShowBgp('\n\n', 'frr-text'), 'garbled', /no output/);
  code(t, () => parseShowBgp('BGP routing table entry for 10.1.2.3/8\nPaths: (0 available, no best path)\n', 'zebra'), 'garbled', /prefix/);
});

test('old-format decimal communities (Cisco without new-format) and Zebra %d metrics above 2^31 (constructed)', (t) => {
  const p = parseShowBgp(ciscoEntry('64500', ['      Origin IGP, metric -1, localpref -2147483648, valid, best', '      Community: 6553700 no-export']), 'zebra')!.paths[0]!;
  t.deepEqual(p.communities, [6553700, NO_EXPORT]);
  t.is(p.med, 0xffffffff);
  t.is(p.localPref, 0x80000000);
});

test('a community list Cisco wrapped onto deeper-indented lines is read whole (constructed)', (t) => {
  const p = parseShowBgp(ciscoEntry('64500', ['      Origin IGP, valid, best', '      Community: 1:1 1:2', '        1:3 1:4', '      Originator: 1.1.1.1']), 'cisco')!.paths[0]!;
  t.deepEqual(p.communities, [c(1, 1), c(1, 2), c(1, 3), c(1, 4)]);
});

test('best: the marked path wins over a `best #K` that disagrees (constructed)', (t) => {
  t.is(parseShowBgp(ciscoEntry('64500').replace('best #1', 'best #7'), 'cisco')!.best, 0);
  const unmarked = ciscoEntry('64500', ['      Origin IGP, valid, external']);
  t.is(parseShowBgp(unmarked, 'cisco')!.best, 0, '`best #1` names the path');
  t.is(parseShowBgp(unmarked.replace('best #1, ', 'no best path, '), 'cisco')!.best, -1);
});

test('classful networks printed without a length in Zebra/Quagga/Cisco tables; FRR always prints the length (constructed)', (t) => {
  const table = [
    'BGP table version is 0, local router ID is 10.0.0.1',
    'Status codes: s suppressed, d damped, h history, * valid, > best, i - internal',
    'Origin codes: i - IGP, e - EGP, ? - incomplete',
    '',
    '   Network          Next Hop            Metric LocPrf Weight Path',
    '*> 0.0.0.0          192.0.2.1                0             0 64500 i',
    '*> 10.0.0.0         192.0.2.1                0             0 64500 i',
    '*>i172.16.0.0       192.0.2.2                0    100      0 i',
    '*  192.168.1.0      192.0.2.1                0             0 64500 i',
    '*>                  192.0.2.3                0             0 64501 i',
    '*> 192.168.2.0/25   192.0.2.1                0             0 64500 i',
    '',
    'Total number of prefixes 5',
  ].join('\n');
  t.deepEqual(parseLongerPrefixes(table, 'zebra'), ['0.0.0.0/0', '10.0.0.0/8', '172.16.0.0/16', '192.168.1.0/24', '192.168.2.0/25']);
  code(t, () => parseLongerPrefixes(table, 'frr-text'), 'garbled', /table row/);
  code(t, () => parseLongerPrefixes(table.replace('10.0.0.0 ', '10.1.0.0 '), 'cisco'), 'garbled', /table row/);
  t.deepEqual(parseLongerPrefixes(table.split('\n').slice(0, 4).join('\n'), 'quagga'), [], 'only the legend');
  code(t, () => parseLongerPrefixes('hello world\n', 'quagga'), 'garbled');
});

test('leading and trailing blank lines and "\\r\\n" line ends around an FRR answer are fine', (t) => {
  const text = fixture('frr-8.4/show-ip-bgp-192.0.2.1.txt');
  t.deepEqual(parseShowBgp(`\r\n\r\n${text.replace(/\n/g, '\r\n')}\r\n\r\n`, 'frr-text'), parseShowBgp(text, 'frr-text'));
});

test('JSON: invalid JSON and shapes it cannot read are garbled; {} and a warning are not in table (constructed)', (t) => {
  t.is(parseShowBgpJson('{}'), null);
  t.is(parseShowBgpJson('{"warning": "Network not in table"}'), null);
  code(t, () => parseShowBgpJson('{"prefix": "10.0.0.0/8", "paths": ['), 'garbled', /invalid JSON/);
  code(t, () => parseShowBgpJson('[]'), 'garbled');
  code(t, () => parseShowBgpJson('{"prefix": "10.0.0.0/8", "paths": {}}'), 'garbled', /paths/);
  code(t, () => parseShowBgpJson('{"prefix": "10.0.0.1/8", "paths": []}'), 'garbled', /prefix/);
  code(t, () => parseShowBgpJson('{"prefix": "10.0.0.0/8", "paths": [{"aspath": {"segments": [{"type": "as-path", "list": [1]}]}}]}'), 'garbled', /segment type/);
  code(t, () => parseShowBgpJson('{"prefix": "10.0.0.0/8", "paths": [{"metric": -1}]}'), 'garbled', /metric/);
  t.deepEqual(parseShowBgpJson('{"prefix": "10.0.0.0/8", "paths": []}'), { prefix: '10.0.0.0/8', paths: [], best: -1 });
  t.deepEqual(parseLongerPrefixesJson('{}'), []);
  code(t, () => parseLongerPrefixesJson('{"routes": {"10.0.0.0": []}}'), 'garbled', /prefix/);
  code(t, () => parseLongerPrefixesJson('{"routes": []}'), 'garbled');
});

// ---- detectDialect --------------------------------------------------------------------------------------------------

test('detectDialect: banners and `show version` of Zebra, Quagga and FRR', (t) => {
  // the banner of the Super Sparrow page's transcript
  t.is(detectDialect('\nHello, this is zebra (version 0.89.horms.pre.2)\nCopyright 1996-2000 Kunihiro Ishiguro\n', null), 'zebra');
  t.is(detectDialect(fixture('quagga-1.2/vty-banner.txt'), null), 'quagga');
  t.is(detectDialect('', fixture('quagga-1.2/show-version.txt')), 'quagga');
  t.is(detectDialect(fixture('frr-8.4/vty-banner.txt'), null), 'frr-json');
  t.is(detectDialect('\r\nUser Access Verification\r\n', fixture('frr-8.4/show-version.txt')), 'frr-json');
});

test('detectDialect: Cisco IOS, IOS-XE and classic IOS by `show version`; IOS XR and unknown consoles are null', (t) => {
  // first lines of `show version` in genieparser's test data (src/genie/libs/parser/{ios,iosxe,iosxr}/tests/ShowVersion)
  const banner = '\r\n\r\nUser Access Verification\r\n\r\n';
  t.is(detectDialect(banner, 'Cisco IOS Software, C3900 Software (C3900-UNIVERSALK9-M), Version 15.0(1)M7, RELEASE SOFTWARE (fc2)'), 'cisco');
  t.is(detectDialect(banner, 'Cisco IOS XE Software, Version BLD_POLARIS_DEV_LATEST_20241125_002711'), 'cisco');
  t.is(detectDialect(banner, 'Cisco Internetwork Operating System Software \nIOS (tm) 3600 Software (C3640-A2IS-M), Version 12.2(25)SEB4'), 'cisco');
  t.is(detectDialect(banner, 'Cisco IOS XR Software, Version 6.1.4.10I[Default]'), null);
  t.is(detectDialect(banner, null), null);
  t.is(detectDialect('BIRD 2.0.12 ready.', null), null);
});

// ---- fuzz -----------------------------------------------------------------------------------------------------------

/** Every fixture that is console output (not banners or `show version`). */
function consoleFixtures(): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  for (const dir of ['zebra-0.89', 'quagga-1.2', 'frr-8.4', 'frr-public', 'cisco']) {
    for (const file of readdirSync(new URL(`${dir}/`, FIXTURES))) {
      if (/version|banner/.test(file)) continue;
      out.push({ name: `${dir}/${file}`, text: fixture(`${dir}/${file}`) });
    }
  }
  return out;
}

/** A ConsoleRoute that keeps its promises: canonical prefix, best in range and marked, numbers in range. */
function checkRoute(t: ExecutionContext, r: ConsoleRoute | null, label: string): void {
  if (r === null) return;
  const u32 = (n: number | null): boolean => n === null || (Number.isInteger(n) && n >= 0 && n <= 0xffffffff);
  t.true(/^[0-9a-f.:]+\/\d+$/.test(r.prefix), `${label}: prefix ${r.prefix}`);
  t.true(r.best >= -1 && r.best < r.paths.length, `${label}: best ${r.best}`);
  t.true(
    r.paths.every(
      (p, i) =>
        p.best === (i === r.best) &&
        u32(p.med) &&
        u32(p.localPref) &&
        p.communities.every(u32) &&
        p.largeCommunities.every((l) => l.length === 3 && l.every(u32)) &&
        p.asPath.every((s) => s.asns.length > 0 && s.asns.every(u32)),
    ),
    `${label}: a path breaks its contract`,
  );
}

test('fuzz: truncated and mutated fixtures give a route, null or a RouteServerError, nothing else (seed 20261130, 2000 cases)', (t) => {
  const random = seededRandom(20261130);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const fixtures = consoleFixtures();
  const dialects: Dialect[] = ['zebra', 'quagga', 'frr-text', 'frr-json', 'cisco'];
  const junk = ['', ' ', '\r', '{', '}', '(', ')', ',', ':', '/', '%', '^', '*>', '\u0000', '"', '4294967296', 'from', 'Origin IGP', 'best #9'];
  const mutate = (text: string): string => {
    const lines = text.split('\n');
    switch (Math.floor(random() * 6)) {
      case 0:
        return text.slice(0, Math.floor(random() * text.length));
      case 1: {
        const at = Math.floor(random() * text.length);
        return text.slice(0, at) + pick(junk) + text.slice(at + 1);
      }
      case 2:
        lines.splice(Math.floor(random() * lines.length), 1);
        return lines.join('\n');
      case 3: {
        const at = Math.floor(random() * lines.length);
        lines.splice(at, 0, lines[Math.floor(random() * lines.length)]!);
        return lines.join('\n');
      }
      case 4: {
        const a = Math.floor(random() * lines.length);
        const b = Math.floor(random() * lines.length);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        return lines.join('\n');
      }
      default:
        return Array.from({ length: Math.floor(random() * 200) }, () => String.fromCharCode(Math.floor(random() * 128))).join('');
    }
  };
  const outcomes = { route: 0, none: 0, garbled: 0, command: 0 };
  for (let i = 0; i < 2000; i++) {
    const { name, text } = pick(fixtures);
    const input = mutate(random() < 0.2 ? mutate(text) : text);
    const label = `case ${i} (${name})`;
    try {
      if (name.endsWith('.json')) {
        const r = name.includes('longer') ? parseLongerPrefixesJson(input) : parseShowBgpJson(input);
        if (Array.isArray(r)) outcomes.route++;
        else {
          checkRoute(t, r, label);
          outcomes[r === null ? 'none' : 'route']++;
        }
      } else if (/longer|table/.test(name)) {
        const r = parseLongerPrefixes(input, pick(dialects));
        t.true(r.every((p) => /^[0-9a-f.:]+\/\d+$/.test(p)), label);
        outcomes.route++;
      } else {
        const r = parseShowBgp(input, pick(dialects));
        checkRoute(t, r, label);
        outcomes[r === null ? 'none' : 'route']++;
      }
    } catch (e) {
      if (!(e instanceof RouteServerError)) {
        t.fail(`${label}: threw ${String(e)}`);
        continue;
      }
      t.true(e.code === 'garbled' || e.code === 'command', `${label}: code ${e.code}`);
      outcomes[e.code as 'garbled' | 'command']++;
    }
  }
  // the mutations reach both sides: some inputs still parse, many are rejected
  t.log(JSON.stringify(outcomes));
  t.true(outcomes.route > 200 && outcomes.garbled > 200, JSON.stringify(outcomes));
});
