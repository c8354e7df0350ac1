import test from 'ava';
import {
  AS_TRANS,
  AsPathSegment,
  DEFAULT_DECODE_OPTIONS,
  type ErrorAction,
  type DecodeOptions,
  PathAttributes,
  UnknownAttribute,
  decodeAttributes,
  encodeAttributes,
  formatAttributes,
  mergeAs4Path,
  parseIpv4,
  parseIpv6,
  parsePrefix,
} from '../../src/bgp/index.js';
import { attr } from './helpers/build.js';

const FOUR: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS };
const TWO: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS, fourOctetAs: false };

/** Every attribute we know, filled in. */
function fullAttributes(): PathAttributes {
  const pa = new PathAttributes();
  pa.origin = 1;
  pa.asPath = [
    new AsPathSegment(3, [64512, 64513]),
    new AsPathSegment(2, [65000, 4200000000, 2914]),
    new AsPathSegment(1, [7018, 3356]),
  ];
  pa.nextHop = parseIpv4('192.0.2.1');
  pa.med = 4000000000;
  pa.localPref = 100;
  pa.atomicAggregate = true;
  pa.aggregatorAs = 4200000001;
  pa.aggregatorAddress = parseIpv4('198.51.100.7');
  pa.communities = Uint32Array.of(0xfde80064, 0xffffff01);
  pa.originatorId = parseIpv4('10.0.0.1');
  pa.clusterList = Uint32Array.of(parseIpv4('10.0.0.2'), parseIpv4('10.0.0.3'));
  pa.extendedCommunities = Uint8Array.of(0, 2, 0xfd, 0xe8, 0, 0, 0, 100);
  pa.largeCommunities = Uint32Array.of(4200000000, 1, 2, 65000, 3, 4);
  pa.unknown = [new UnknownAttribute(0xc0, 99, Uint8Array.of(1, 2, 3)), new UnknownAttribute(0x80, 200, Uint8Array.of())];
  return pa;
}

function plain(pa: PathAttributes): unknown {
  return JSON.parse(
    JSON.stringify(pa, (_k, v: unknown) => (v instanceof Uint8Array || v instanceof Uint32Array ? Array.from(v) : v)),
  );
}

test('every attribute round-trips encode -> decode -> encode on a 4-octet session', (t) => {
  const pa = fullAttributes();
  const bytes = encodeAttributes(pa, FOUR);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.is(r.errors, null);
  t.false(r.treatAsWithdraw);
  t.deepEqual(plain(r.attributes), plain(pa));
  t.deepEqual(encodeAttributes(r.attributes, FOUR), bytes);
});

test('a 4-octet path sent to a 2-octet peer uses AS_TRANS plus AS4_PATH/AS4_AGGREGATOR and merges back (RFC 6793)', (t) => {
  const pa = fullAttributes();
  const bytes = encodeAttributes(pa, TWO);
  // AS_PATH carries AS_TRANS where the 4-octet AS was, and AS4_PATH (17) / AS4_AGGREGATOR (18) are present.
  const raw = decodeAttributes(bytes, 0, bytes.length, TWO);
  t.deepEqual(raw.attributes.asPath?.[1].asns, [65000, 4200000000, 2914]);
  const asPathValue = findAttribute(bytes, 2);
  t.true(asPathValue.includes(AS_TRANS >> 8) && asPathValue.length === 2 + 4 + 2 + 6 + 2 + 4);
  t.true(findAttribute(bytes, 17).length > 0);
  t.deepEqual(findAttribute(bytes, 18), Buffer.from([0xfa, 0x56, 0xea, 0x01, 198, 51, 100, 7]));
  t.is(raw.attributes.aggregatorAs, 4200000001);
  t.deepEqual(plain(raw.attributes), plain(pa));
  t.deepEqual(encodeAttributes(raw.attributes, TWO), bytes);
});

/** The value of the first attribute of `type` in an encoded section. */
function findAttribute(bytes: Buffer, type: number): Buffer {
  let p = 0;
  while (p < bytes.length) {
    const ext = (bytes[p] & 0x10) !== 0;
    const len = ext ? bytes.readUInt16BE(p + 2) : bytes[p + 2];
    const v = p + (ext ? 4 : 3);
    if (bytes[p + 1] === type) return bytes.subarray(v, v + len);
    p = v + len;
  }
  return Buffer.alloc(0);
}

test('a 2-octet path needs no AS4_PATH', (t) => {
  const pa = new PathAttributes();
  pa.asPath = [new AsPathSegment(2, [65000, 2914])];
  const bytes = encodeAttributes(pa, TWO);
  t.is(findAttribute(bytes, 17).length, 0);
  t.deepEqual(bytes, attr(0x40, 2, [2, 2, 0xfd, 0xe8, 0x0b, 0x62]));
});

test('AS4_PATH shorter than AS_PATH keeps the leading ASes an OLD speaker prepended (RFC 6793 4.2.3)', (t) => {
  const bytes = Buffer.concat([
    attr(0x40, 2, [2, 4, 0, 5, 0, 1, 0x5b, 0xa0, 0x0b, 0x62]), // 5 1 AS_TRANS 2914
    attr(0xc0, 17, [2, 2, 0xfa, 0x56, 0xea, 0x00, 0, 0, 0x0b, 0x62]), // 4200000000 2914
  ]);
  const r = decodeAttributes(bytes, 0, bytes.length, TWO);
  t.deepEqual(r.attributes.asPath?.map((s) => [s.type, s.asns]), [[2, [5, 1, 4200000000, 2914]]]);
});

test('AS4_PATH longer than AS_PATH is ignored (RFC 6793 4.2.3)', (t) => {
  const bytes = Buffer.concat([
    attr(0x40, 2, [2, 1, 0x5b, 0xa0]),
    attr(0xc0, 17, [2, 2, 0xfa, 0x56, 0xea, 0x00, 0, 0, 0x0b, 0x62]),
  ]);
  const r = decodeAttributes(bytes, 0, bytes.length, TWO);
  t.deepEqual(r.attributes.asPath?.map((s) => s.asns), [[AS_TRANS]]);
});

test('AS4_* are ignored on a 4-octet session', (t) => {
  const bytes = Buffer.concat([
    attr(0x40, 2, [2, 1, 0, 0, 0x5b, 0xa0]),
    attr(0xc0, 7, [0, 0, 0x5b, 0xa0, 1, 2, 3, 4]),
    attr(0xc0, 17, [2, 1, 0xfa, 0x56, 0xea, 0x00]),
    attr(0xc0, 18, [0xfa, 0x56, 0xea, 0x00, 1, 2, 3, 4]),
  ]);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.deepEqual(r.attributes.asPath?.[0].asns, [AS_TRANS]);
  t.is(r.attributes.aggregatorAs, AS_TRANS);
  t.is(r.errors, null);
});

test('AGGREGATOR of an OLD speaker (not AS_TRANS) makes AS4_AGGREGATOR and AS4_PATH ignored', (t) => {
  const bytes = Buffer.concat([
    attr(0x40, 2, [2, 2, 0, 7, 0x5b, 0xa0]),
    attr(0xc0, 7, [0, 7, 1, 2, 3, 4]),
    attr(0xc0, 17, [2, 1, 0xfa, 0x56, 0xea, 0x00]),
    attr(0xc0, 18, [0xfa, 0x56, 0xea, 0x00, 5, 6, 7, 8]),
  ]);
  const r = decodeAttributes(bytes, 0, bytes.length, TWO);
  t.is(r.attributes.aggregatorAs, 7);
  t.deepEqual(r.attributes.asPath?.[0].asns, [7, AS_TRANS]);
});

test('AS4_PATH with a confederation segment is discarded (RFC 6793 6)', (t) => {
  const bytes = Buffer.concat([attr(0x40, 2, [2, 1, 0x5b, 0xa0]), attr(0xc0, 17, [3, 1, 0, 0, 0xfd, 0xe8])]);
  const r = decodeAttributes(bytes, 0, bytes.length, TWO);
  t.false(r.treatAsWithdraw);
  t.is(r.attributes.discarded?.length, 1);
  t.deepEqual(r.attributes.asPath?.[0].asns, [AS_TRANS]);
});

test('mergeAs4Path keeps confederation segments and sets of AS_PATH', (t) => {
  const merged = mergeAs4Path(
    [new AsPathSegment(3, [64512]), new AsPathSegment(2, [1, AS_TRANS]), new AsPathSegment(1, [AS_TRANS, 3])],
    [new AsPathSegment(2, [4200000000]), new AsPathSegment(1, [4200000001, 3])],
  );
  t.deepEqual(merged.map((s) => [s.type, s.asns]), [
    [3, [64512]],
    [2, [1, 4200000000]],
    [1, [4200000001, 3]],
  ]);
});

test('confederation segments round-trip in AS_PATH', (t) => {
  const pa = new PathAttributes();
  pa.asPath = [new AsPathSegment(3, [64512, 64513]), new AsPathSegment(4, [64514, 64515]), new AsPathSegment(2, [1])];
  const bytes = encodeAttributes(pa, FOUR);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.deepEqual(plain(r.attributes), plain(pa));
  t.deepEqual(encodeAttributes(r.attributes, FOUR), bytes);
});

test('an AS_PATH segment longer than 255 ASes is split on encode', (t) => {
  const pa = new PathAttributes();
  pa.asPath = [new AsPathSegment(2, Array.from({ length: 300 }, (_, i) => i + 1))];
  const bytes = encodeAttributes(pa, FOUR);
  t.is(bytes[0] & 0x10, 0x10); // extended length
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.deepEqual(r.attributes.asPath?.map((s) => s.asns.length), [255, 45]);
  t.deepEqual(r.attributes.asPath?.flatMap((s) => s.asns), pa.asPath[0].asns);
});

test('an IPv6 global + link-local next hop round-trips through MP_REACH_NLRI', (t) => {
  const pa = new PathAttributes();
  pa.origin = 0;
  pa.asPath = [];
  pa.mpNextHop = parseIpv6('2001:db8::1');
  pa.mpNextHopLinkLocal = parseIpv6('fe80::1');
  const reach = { afi: 2, safi: 1, prefixes: [parsePrefix('2001:db8:1::/48')] };
  const bytes = encodeAttributes(pa, FOUR, { reach });
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.deepEqual(Array.from(r.attributes.mpNextHop ?? []), Array.from(pa.mpNextHop));
  t.deepEqual(Array.from(r.attributes.mpNextHopLinkLocal ?? []), Array.from(pa.mpNextHopLinkLocal));
  t.is(r.mpReachAfi, 2);
  t.is(r.mpReachCount, 1);
  t.deepEqual(encodeAttributes(r.attributes, FOUR, { reach }), bytes);
  t.true(formatAttributes(r.attributes).includes('MP_REACH_NLRI: 2001:db8::1 fe80::1'));
});

test("mode 'mrt-rib' accepts the abbreviated MP_REACH_NLRI of RFC 6396 4.3.4", (t) => {
  const nh = parseIpv6('2001:db8::1');
  const bytes = Buffer.concat([attr(0x80, 14, [16, ...nh]), attr(0x40, 1, [0])]);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR, 'mrt-rib');
  t.deepEqual(Array.from(r.attributes.mpNextHop ?? []), Array.from(nh));
  t.deepEqual(encodeAttributes(r.attributes, FOUR, {}, 'mrt-rib'), bytes);
  // The same bytes in an UPDATE are a malformed MP_REACH_NLRI: session reset.
  const err = t.throws(() => decodeAttributes(bytes, 0, bytes.length, FOUR, 'update'));
  t.is((err as { action?: string }).action, 'session-reset');
});

test('unknown optional attributes are kept with their flags; unknown well-known ones withdraw', (t) => {
  const bytes = Buffer.concat([attr(0xe0, 99, [1, 2]), attr(0x90, 150, [])]);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.deepEqual(r.attributes.unknown?.map((u) => [u.flags, u.type, Array.from(u.value)]), [
    [0xe0, 99, [1, 2]],
    [0x80, 150, []],
  ]);
  const wk = attr(0x40, 99, [1]);
  const r2 = decodeAttributes(wk, 0, wk.length, FOUR);
  t.true(r2.treatAsWithdraw);
  t.is(r2.errors?.[0].subcode, 2);
});

test('formatAttributes names every attribute present', (t) => {
  const lines = formatAttributes(fullAttributes());
  for (const name of ['ORIGIN: EGP', 'AS_PATH: (64512 64513) 65000 4200000000 2914 {7018,3356}', 'NEXT_HOP: 192.0.2.1', 'MULTI_EXIT_DISC: 4000000000', 'LOCAL_PREF: 100', 'ATOMIC_AGGREGATE', 'AGGREGATOR: 4200000001 198.51.100.7', 'COMMUNITIES: 65000:100 65535:65281', 'ORIGINATOR_ID: 10.0.0.1', 'CLUSTER_LIST: 10.0.0.2 10.0.0.3', 'EXTENDED_COMMUNITIES: rt 65000:100', 'LARGE_COMMUNITY: 4200000000:1:2 65000:3:4', 'attribute 99']) {
    t.true(lines.some((l) => l.startsWith(name)), name);
  }
});

// ---- RFC 7606 per attribute --------------------------------------------------------------------------------

const cases: Array<[string, Buffer, ErrorAction, number]> = [
  ['ORIGIN of length 2', attr(0x40, 1, [0, 0]), 'treat-as-withdraw', 5],
  ['ORIGIN value 3', attr(0x40, 1, [3]), 'treat-as-withdraw', 6],
  ['AS_PATH segment overrun', attr(0x40, 2, [2, 3, 0, 0, 0, 1]), 'treat-as-withdraw', 11],
  ['AS_PATH segment of length 0', attr(0x40, 2, [2, 0]), 'treat-as-withdraw', 11],
  ['AS_PATH unknown segment type', attr(0x40, 2, [9, 1, 0, 0, 0, 1]), 'treat-as-withdraw', 11],
  ['AS_PATH trailing byte', attr(0x40, 2, [2, 1, 0, 0, 0, 1, 2]), 'treat-as-withdraw', 11],
  ['NEXT_HOP of length 5', attr(0x40, 3, [1, 2, 3, 4, 5]), 'treat-as-withdraw', 5],
  ['NEXT_HOP 0.0.0.0', attr(0x40, 3, [0, 0, 0, 0]), 'treat-as-withdraw', 8],
  ['NEXT_HOP multicast', attr(0x40, 3, [224, 0, 0, 1]), 'treat-as-withdraw', 8],
  ['MED of length 3', attr(0x80, 4, [0, 0, 1]), 'treat-as-withdraw', 5],
  ['LOCAL_PREF of length 2', attr(0x40, 5, [0, 1]), 'treat-as-withdraw', 5],
  ['ATOMIC_AGGREGATE with a value', attr(0x40, 6, [1]), 'attribute-discard', 5],
  ['AGGREGATOR of length 6 on a 4-octet session', attr(0xc0, 7, [0, 1, 1, 2, 3, 4]), 'attribute-discard', 5],
  ['COMMUNITIES of length 6', attr(0xc0, 8, [0, 1, 0, 2, 0, 3]), 'treat-as-withdraw', 5],
  ['COMMUNITIES of length 0', attr(0xc0, 8, []), 'treat-as-withdraw', 5],
  ['ORIGINATOR_ID of length 0', attr(0x80, 9, []), 'treat-as-withdraw', 5],
  ['CLUSTER_LIST of length 5', attr(0x80, 10, [1, 2, 3, 4, 5]), 'treat-as-withdraw', 5],
  ['EXTENDED_COMMUNITIES of length 7', attr(0xc0, 16, [1, 2, 3, 4, 5, 6, 7]), 'treat-as-withdraw', 5],
  ['LARGE_COMMUNITY of length 8', attr(0xc0, 32, [1, 2, 3, 4, 5, 6, 7, 8]), 'treat-as-withdraw', 5],
  ['ORIGIN flagged optional', attr(0xc0, 1, [0]), 'treat-as-withdraw', 4],
  ['MED flagged transitive', attr(0xc0, 4, [0, 0, 0, 1]), 'treat-as-withdraw', 4],
  ['well-known LOCAL_PREF with the Partial bit', attr(0x60, 5, [0, 0, 0, 1]), 'treat-as-withdraw', 4],
  ['AGGREGATOR flagged well-known', attr(0x40, 7, [0, 0, 0, 1, 1, 2, 3, 4]), 'treat-as-withdraw', 4],
  ['COMMUNITIES flagged non-transitive', attr(0x80, 8, [0, 1, 0, 2]), 'treat-as-withdraw', 4],
];

for (const [name, bytes, action, subcode] of cases) {
  test(`RFC 7606: ${name} -> ${action} (UPDATE error subcode ${subcode})`, (t) => {
    const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
    t.is(r.errors?.length, 1);
    const e = r.errors![0];
    t.is(e.code, 3);
    t.is(e.subcode, subcode);
    t.is(e.action, action);
    t.deepEqual(Buffer.from(e.data), bytes, 'data is the erroneous attribute (RFC 4271 6.3)');
    t.is(r.treatAsWithdraw, action === 'treat-as-withdraw');
    if (action === 'attribute-discard') t.is(r.attributes.discarded?.length, 1);
  });
}

test('accepts a loopback NEXT_HOP (127/8): we never forward, and lab peers on loopback announce such next hops', (t) => {
  const bytes = attr(0x40, 3, [127, 0, 0, 21]);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.is(r.errors, null);
  t.false(r.treatAsWithdraw);
  t.is(r.attributes.nextHop, ((127 << 24) | 21) >>> 0);
});

test('RFC 7606 7.7: AGGREGATOR of length 8 on a 2-octet session is discarded, the rest kept', (t) => {
  const bytes = Buffer.concat([attr(0x40, 1, [2]), attr(0xc0, 7, [0, 0, 0, 1, 1, 2, 3, 4])]);
  const r = decodeAttributes(bytes, 0, bytes.length, TWO);
  t.is(r.attributes.aggregatorAs, -1);
  t.is(r.attributes.origin, 2);
  t.false(r.treatAsWithdraw);
});

test('RFC 7606 3.g: a repeated attribute keeps the first occurrence', (t) => {
  const bytes = Buffer.concat([attr(0x40, 1, [1]), attr(0x40, 1, [2])]);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.is(r.attributes.origin, 1);
  t.is(r.errors?.[0].action, 'attribute-discard');
  t.false(r.treatAsWithdraw);
});

test('RFC 7606 3.g: a repeated MP_REACH_NLRI resets the session', (t) => {
  const mp = attr(0x80, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0]);
  const bytes = Buffer.concat([mp, mp]);
  const err = t.throws(() => decodeAttributes(bytes, 0, bytes.length, FOUR));
  t.like(err, { code: 3, subcode: 1, action: 'session-reset' });
});

test('RFC 7606 3.g: a repeated MP_UNREACH_NLRI resets the session', (t) => {
  const mp = attr(0x80, 15, [0, 2, 1]);
  const bytes = Buffer.concat([mp, mp]);
  t.like(t.throws(() => decodeAttributes(bytes, 0, bytes.length, FOUR)), { action: 'session-reset' });
});

test('RFC 7606 7.11: an MP_REACH_NLRI next hop of the wrong length resets the session', (t) => {
  const bytes = attr(0x80, 14, [0, 2, 1, 4, 1, 2, 3, 4, 0]);
  t.like(t.throws(() => decodeAttributes(bytes, 0, bytes.length, FOUR)), { code: 3, action: 'session-reset' });
});

test('RFC 7606 4: an attribute overrunning the attribute section withdraws', (t) => {
  const bytes = Buffer.concat([attr(0x40, 1, [0]), Buffer.from([0xc0, 8, 8, 0, 0, 0, 1])]);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.true(r.treatAsWithdraw);
  t.is(r.attributes.origin, 0);
});

test('RFC 7606 4: a truncated attribute header withdraws', (t) => {
  const bytes = Buffer.concat([attr(0x40, 1, [0]), Buffer.from([0x40, 2])]);
  t.true(decodeAttributes(bytes, 0, bytes.length, FOUR).treatAsWithdraw);
});

test('an MP_REACH_NLRI overrunning the attribute section resets the session', (t) => {
  const bytes = Buffer.from([0x80, 14, 40, 0, 2, 1]);
  t.like(t.throws(() => decodeAttributes(bytes, 0, bytes.length, FOUR)), { action: 'session-reset' });
});

test('attributes with the extended length bit decode like short ones', (t) => {
  const bytes = Buffer.concat([attr(0x50, 1, [2]), attr(0xd0, 8, [0, 1, 0, 2])]);
  const r = decodeAttributes(bytes, 0, bytes.length, FOUR);
  t.is(r.attributes.origin, 2);
  t.deepEqual(Array.from(r.attributes.communities ?? []), [0x00010002]);
});

test('RFC 7606 3.c: MP_REACH_NLRI with wrong flags resets the session (its NLRI cannot be trusted)', (t) => {
  const bytes = attr(0x40, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0]);
  t.like(t.throws(() => decodeAttributes(bytes, 0, bytes.length, FOUR)), { code: 3, subcode: 4, action: 'session-reset' });
});

test('RFC 7606 7.5: LOCAL_PREF from an external peer is discarded', (t) => {
  const bytes = Buffer.concat([attr(0x40, 1, [0]), attr(0x40, 5, [0, 0, 0, 200])]);
  const ebgp = decodeAttributes(bytes, 0, bytes.length, { ...FOUR, ebgp: true });
  t.is(ebgp.attributes.localPref, -1);
  t.is(ebgp.errors?.[0].action, 'attribute-discard');
  t.false(ebgp.treatAsWithdraw);
  t.is(decodeAttributes(bytes, 0, bytes.length, { ...FOUR, ebgp: false }).attributes.localPref, 200);
});

test('RFC 7606 7.2: confederation segments from an external peer withdraw', (t) => {
  const bytes = attr(0x40, 2, [3, 1, 0, 0, 0xfc, 0, 2, 1, 0, 0, 0, 1]);
  t.true(decodeAttributes(bytes, 0, bytes.length, { ...FOUR, ebgp: true }).treatAsWithdraw);
  t.false(decodeAttributes(bytes, 0, bytes.length, { ...FOUR, ebgp: false }).treatAsWithdraw);
});

test('MP_REACH_NLRI and MP_UNREACH_NLRI are encoded first (RFC 7606 5.1)', (t) => {
  const pa = new PathAttributes();
  pa.origin = 0;
  pa.asPath = [];
  pa.mpNextHop = parseIpv6('2001:db8::1');
  const bytes = encodeAttributes(pa, FOUR, { reach: { afi: 2, safi: 1, prefixes: [parsePrefix('2001:db8::/32')] }, unreach: { afi: 2, safi: 1, prefixes: [] } });
  t.is(bytes[1], 14);
  t.is(bytes[3 + bytes[2] + 1], 15);
});
