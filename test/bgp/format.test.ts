import test from 'ava';
import { isIPv6 } from 'node:net';
import {
  AsPathSegment,
  communityList,
  formatAggregator,
  formatAsPath,
  formatCommunities,
  formatExtendedCommunities,
  formatIpv4,
  formatIpv6,
  formatIpv6Words,
  formatLargeCommunities,
  formatOrigin,
  formatPrefix,
  largeCommunityList,
  originKeyword,
  parseIpv4,
  parseIpv6,
  parsePrefix,
} from '../../src/bgp/index.js';

test('IPv4 uint32 <-> dotted quad', (t) => {
  t.is(formatIpv4(0xc0000201), '192.0.2.1');
  t.is(formatIpv4(0xffffffff), '255.255.255.255');
  t.is(parseIpv4('192.0.2.1'), 0xc0000201);
  t.is(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5']) t.throws(() => parseIpv4(bad));
});

test('IPv6 text follows RFC 5952 (longest zero run compressed, first on a tie, lower case, no single-group ::)', (t) => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['FE80:0:0:0:0:0:0:1', 'fe80::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['2001:db8::', '2001:db8::'],
  ];
  for (const [input, expected] of cases) {
    t.is(formatIpv6(parseIpv6(input)), expected, input);
    t.true(isIPv6(expected));
  }
});

test('IPv4-mapped and -compatible addresses keep a dotted tail, like inet_ntop', (t) => {
  t.is(formatIpv6(parseIpv6('::ffff:192.0.2.1')), '::ffff:192.0.2.1');
  t.is(formatIpv6(parseIpv6('::192.0.2.1')), '::192.0.2.1');
  t.is(formatIpv6Words(0, 0, 0xffff, 0xc0000201), '::ffff:192.0.2.1');
  t.is(formatIpv6(parseIpv6('1:2:3:4:5:6:192.0.2.1')), '1:2:3:4:5:6:c000:201');
  t.is(formatIpv6(parseIpv6('1::192.0.2.1')), '1::c000:201');
});

test('parseIpv6 rejects malformed text', (t) => {
  for (const bad of ['1:2:3', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '12345::']) t.throws(() => parseIpv6(bad), undefined, bad);
});

test('prefixes parse to sink words with host bits cleared, and format back', (t) => {
  t.deepEqual(parsePrefix('10.1.2.3/8'), { afi: 1, pathId: 0, a: 0x0a000000, b: 0, c: 0, d: 0, length: 8 });
  const p = parsePrefix('2001:db8:1:2:3:4:5:6/33', 7);
  t.deepEqual(p, { afi: 2, pathId: 7, a: 0x20010db8, b: 0, c: 0, d: 0, length: 33 });
  t.is(formatPrefix(p.afi, p.a, p.b, p.c, p.d, p.length), '2001:db8::/33');
  t.is(formatPrefix(1, 0, 0, 0, 0, 0), '0.0.0.0/0');
  for (const bad of ['10.0.0.0/33', '10.0.0.0', '::/129']) t.throws(() => parsePrefix(bad));
});

test('AS paths print sequences, {sets}, (confed sequences) and [confed sets]', (t) => {
  const path = [new AsPathSegment(3, [64512, 64513]), new AsPathSegment(4, [64514]), new AsPathSegment(2, [65000, 4200000000]), new AsPathSegment(1, [1, 2])];
  t.is(formatAsPath(path), '(64512 64513) [64514] 65000 4200000000 {1,2}');
  t.is(formatAsPath([]), '');
});

test('communities print as AS:value, well-known ones by name on request', (t) => {
  const list = Uint32Array.of(0xfde80064, 0xffffff01, 0xffffff02);
  t.is(formatCommunities(list), '65000:100 65535:65281 65535:65282');
  t.is(formatCommunities(list, true), '65000:100 no-export no-advertise');
  t.is(formatLargeCommunities(Uint32Array.of(4200000000, 1, 2)), '4200000000:1:2');
  t.is(formatExtendedCommunities(Uint8Array.of(0, 2, 0xfd, 0xe8, 0, 0, 0, 100, 1, 3, 192, 0, 2, 1, 0, 7, 0x80, 6, 0, 0, 0, 0, 0, 0)), 'rt 65000:100 ro 192.0.2.1:7 0x8006000000000000');
  t.is(formatOrigin(0), 'IGP');
  t.is(formatOrigin(2), 'INCOMPLETE');
});

test('community lists (for JSON) hold one string per community, in order', (t) => {
  const list = Uint32Array.of(0xfde80064, 0xffffff01);
  t.deepEqual(communityList(list), ['65000:100', '65535:65281']);
  t.deepEqual(communityList(list, true), ['65000:100', 'no-export']);
  t.deepEqual(communityList(new Uint32Array(0)), []);
  t.deepEqual(largeCommunityList(Uint32Array.of(4200000000, 1, 2, 65000, 0, 4294967295)), ['4200000000:1:2', '65000:0:4294967295']);
});

test('origin keywords are lower case and null when absent or undefined; formatOrigin marks those', (t) => {
  t.deepEqual([0, 1, 2, -1, 3].map(originKeyword), ['igp', 'egp', 'incomplete', null, null]);
  t.deepEqual([1, -1, 3].map(formatOrigin), ['EGP', '', '?3']);
});

test('an aggregator prints as "AS address"', (t) => {
  t.is(formatAggregator(4200000000, 0xc0000201), '4200000000 192.0.2.1');
});

test('extended communities of the IPv4 and 4-octet-AS types print their fields', (t) => {
  t.is(formatExtendedCommunities(Uint8Array.of(0x02, 2, 0xfa, 0x56, 0xea, 0x00, 0, 9, 0x01, 2, 10, 0, 0, 1, 0xff, 0xff)), 'rt 4200000000:9 rt 10.0.0.1:65535');
});
