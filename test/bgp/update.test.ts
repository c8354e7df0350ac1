import test from 'ava';
import {
  Afi,
  AsPathSegment,
  BgpError,
  DEFAULT_DECODE_OPTIONS,
  type DecodeOptions,
  MessageFramer,
  type NlriPrefix,
  PathAttributes,
  UnknownAttribute,
  UpdatePacker,
  decodeUpdate,
  encodeEndOfRib,
  encodeUpdate,
  parseIpv4,
  parseIpv6,
  parsePrefix,
} from '../../src/bgp/index.js';
import { RecordingSink, attr, mandatory4, updateBody } from './helpers/build.js';
import { loadUpdates } from './helpers/real-updates.js';

const FOUR: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS };

function decode(body: Buffer, opts: DecodeOptions = FOUR): { sink: RecordingSink; r: ReturnType<typeof decodeUpdate> } {
  const sink = new RecordingSink();
  const r = decodeUpdate(body, 0, body.length, opts, sink);
  return { sink, r };
}

/** decodeUpdate of a whole message (header included). */
function decodeMessage(msg: Buffer, opts: DecodeOptions = FOUR): { sink: RecordingSink; r: ReturnType<typeof decodeUpdate> } {
  const sink = new RecordingSink();
  const r = decodeUpdate(msg, 19, msg.length, opts, sink);
  return { sink, r };
}

function basicAttributes(): PathAttributes {
  const pa = new PathAttributes();
  pa.origin = 0;
  pa.asPath = [new AsPathSegment(2, [65000, 2914])];
  pa.nextHop = parseIpv4('192.0.2.1');
  return pa;
}

test('withdrawals reach the sink before announcements, IPv4 field before MP_UNREACH', (t) => {
  const body = updateBody(
    [24, 198, 51, 100],
    [...mandatory4(), attr(0x80, 15, [0, 2, 1, 32, 0x20, 0x01, 0x0d, 0xb8]), attr(0x80, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0, 48, 0x20, 0x01, 0x0d, 0xb8, 0, 1])],
    [8, 10, 25, 192, 0, 2, 0x80],
  );
  const { sink, r } = decode(body);
  t.deepEqual(sink.events, ['W 198.51.100.0/24', 'W 2001:db8::/32', 'A 10.0.0.0/8', 'A 192.0.2.128/25', 'A 2001:db8:1::/48']);
  t.is(r.announced, 3);
  t.is(r.withdrawn, 2);
  t.false(r.treatAsWithdraw);
  t.is(r.endOfRib, 0);
  t.deepEqual(r.errors, []);
  t.is(r.attributes?.nextHop, parseIpv4('192.0.2.1'));
});

test('host bits set after the prefix length are cleared', (t) => {
  const { sink } = decode(updateBody([], mandatory4(), [20, 10, 1, 0xff, 0, 0, 0]));
  t.deepEqual(sink.events.slice(0, 1), ['A 10.1.240.0/20']);
});

test('the attributes hook is called once, before the first announcement', (t) => {
  const calls: string[] = [];
  const sink = new RecordingSink();
  const hooked = Object.assign(sink, { attributes: (pa: PathAttributes) => calls.push(`attrs ${pa.origin} after ${sink.events.length}`) });
  const body = updateBody([8, 11], mandatory4(), [8, 10, 8, 12]);
  decodeUpdate(body, 0, body.length, FOUR, hooked);
  t.deepEqual(calls, ['attrs 0 after 1']);
});

test('End-of-RIB: an empty UPDATE for IPv4, an empty MP_UNREACH_NLRI for IPv6 (RFC 4724)', (t) => {
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    const msg = encodeEndOfRib(afi);
    const { sink, r } = decodeMessage(msg);
    t.is(r.endOfRib, afi);
    t.deepEqual(sink.events, []);
  }
  t.is(encodeEndOfRib(Afi.IPv4).length, 23);
  // An MP_UNREACH that withdraws something is not an End-of-RIB.
  t.is(decode(updateBody([], [attr(0x80, 15, [0, 2, 1, 16, 0x20, 0x01])], [])).r.endOfRib, 0);
});

test('ADD-PATH path identifiers are read for the negotiated family only (RFC 7911)', (t) => {
  const body = updateBody([0, 0, 0, 9, 24, 198, 51, 100], mandatory4(), [0, 0, 0, 1, 8, 10, 0, 0, 0, 2, 8, 10]);
  const { sink } = decode(body, { ...FOUR, addPathIpv4: true });
  t.deepEqual(sink.events, ['W 198.51.100.0/24#9', 'A 10.0.0.0/8#1', 'A 10.0.0.0/8#2']);
  // The same bytes without ADD-PATH are a malformed NLRI field.
  t.throws(() => decode(body), { instanceOf: BgpError });
});

test('ADD-PATH round trip for both families', (t) => {
  const opts: DecodeOptions = { ...FOUR, addPathIpv4: true, addPathIpv6: true };
  for (const prefixes of [
    [parsePrefix('10.0.0.0/8', 1), parsePrefix('10.0.0.0/8', 2), parsePrefix('0.0.0.0/0', 0xffffffff)],
    [parsePrefix('2001:db8::/32', 7), parsePrefix('::/0', 8)],
  ]) {
    const pa = basicAttributes();
    pa.mpNextHop = parseIpv6('2001:db8::1');
    const msg = encodeUpdate({ attributes: pa, announced: prefixes, withdrawn: prefixes }, opts);
    const { sink, r } = decodeMessage(msg, opts);
    const texts = prefixes.map((p) => `${p.afi === Afi.IPv6 ? p.length : p.length}#${p.pathId}`);
    t.is(sink.events.length, 2 * prefixes.length, texts.join());
    t.deepEqual(encodeUpdate({ attributes: r.attributes, announced: prefixes, withdrawn: prefixes }, opts), msg);
    t.true(sink.events.every((e, i) => e.endsWith(`#${prefixes[i % prefixes.length].pathId}`)));
  }
});

test('IPv6 announcements with a link-local next hop round-trip', (t) => {
  const pa = basicAttributes();
  pa.nextHop = -1;
  pa.mpNextHop = parseIpv6('2001:db8::1');
  pa.mpNextHopLinkLocal = parseIpv6('fe80::21c:73ff:fe00:1');
  const prefixes = [parsePrefix('2001:db8:1::/48'), parsePrefix('2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120'), parsePrefix('2001:db8::1/128')];
  const msg = encodeUpdate({ attributes: pa, announced: prefixes }, FOUR);
  const { sink, r } = decodeMessage(msg);
  t.deepEqual(sink.events, ['A 2001:db8:1::/48', 'A 2001:db8:ffff:ffff:ffff:ffff:ffff:ff00/120', 'A 2001:db8::1/128']);
  t.deepEqual(Array.from(r.attributes!.mpNextHopLinkLocal!), Array.from(pa.mpNextHopLinkLocal));
  t.deepEqual(encodeUpdate({ attributes: r.attributes, announced: prefixes }, FOUR), msg);
});

test('a 2-octet session round-trips 4-octet paths through AS_TRANS and AS4_PATH', (t) => {
  const two: DecodeOptions = { ...FOUR, fourOctetAs: false };
  const pa = basicAttributes();
  pa.asPath = [new AsPathSegment(2, [65000, 4200000000, 2914]), new AsPathSegment(1, [4200000001, 7018])];
  pa.aggregatorAs = 4200000002;
  pa.aggregatorAddress = parseIpv4('192.0.2.9');
  const msg = encodeUpdate({ attributes: pa, announced: [parsePrefix('10.0.0.0/8')] }, two);
  const { r } = decodeMessage(msg, two);
  t.deepEqual(r.attributes!.asPath!.map((s) => s.asns), [[65000, 4200000000, 2914], [4200000001, 7018]]);
  t.is(r.attributes!.aggregatorAs, 4200000002);
  t.deepEqual(encodeUpdate({ attributes: r.attributes, announced: [parsePrefix('10.0.0.0/8')] }, two), msg);
});

test('a 65535-byte UPDATE is accepted only when extended messages were negotiated (RFC 8654)', (t) => {
  const ext: DecodeOptions = { ...FOUR, extendedMessage: true };
  const prefixes: NlriPrefix[] = [];
  for (let i = 0; prefixes.length < 16000; i++) prefixes.push({ afi: Afi.IPv4, pathId: 0, a: (0x0a000000 + i * 256) >>> 0, b: 0, c: 0, d: 0, length: 24 });
  t.throws(() => encodeUpdate({ attributes: basicAttributes(), announced: prefixes }, FOUR), { instanceOf: RangeError });
  // Fill to exactly 65535 bytes with an unknown optional attribute.
  const pa = basicAttributes();
  const probe = encodeUpdate({ attributes: pa, announced: prefixes }, ext);
  pa.unknown = [new UnknownAttribute(0xc0, 99, new Uint8Array(65535 - probe.length - 4))];
  const msg = encodeUpdate({ attributes: pa, announced: prefixes }, ext);
  t.is(msg.length, 65535);
  const framer = new MessageFramer();
  t.like(t.throws(() => framer.push(msg)), { code: 1, subcode: 2 });
  const extFramer = new MessageFramer();
  extFramer.setExtendedMessage(true);
  const [framed] = extFramer.push(msg);
  const { r } = decodeMessage(framed.message, ext);
  t.is(r.announced, 16000);
  t.is(r.attributes!.unknown![0].value.length, 65535 - probe.length - 4);
});

test('UpdatePacker fills messages up to the maximum length and loses no prefix', (t) => {
  for (const opts of [FOUR, { ...FOUR, extendedMessage: true }, { ...FOUR, addPathIpv6: true }]) {
    const packer = new UpdatePacker(opts);
    const v4: NlriPrefix[] = [];
    const v6: NlriPrefix[] = [];
    const n = opts.extendedMessage ? 20000 : 5000;
    for (let i = 0; i < n; i++) {
      v4.push({ afi: Afi.IPv4, pathId: 0, a: (0x0a000000 + i * 256) >>> 0, b: 0, c: 0, d: 0, length: 24 });
      v6.push({ afi: Afi.IPv6, pathId: i, a: 0x20010db8, b: i << 16, c: 0, d: 0, length: 48 });
    }
    const pa = basicAttributes();
    pa.mpNextHop = parseIpv6('2001:db8::1');
    for (const list of [v4, v6]) {
      const announcements = packer.announce(pa, list);
      const messages = [...announcements, ...packer.withdraw(list)];
      let announced = 0;
      let withdrawn = 0;
      for (const m of messages) {
        t.true(m.length <= packer.maxLength);
        const { r } = decodeMessage(m, opts);
        announced += r.announced;
        withdrawn += r.withdrawn;
      }
      t.is(announced, n);
      t.is(withdrawn, n);
      // Full messages: all but the last are within one prefix of the limit.
      t.true(announcements.length > 1);
      t.true(announcements[0].length > packer.maxLength - 20);
    }
  }
});

// ---- RFC 7606 at the UPDATE level --------------------------------------------------------------------------

test('RFC 7606 7.2: a malformed AS_PATH withdraws the announced routes', (t) => {
  const attrs = mandatory4();
  attrs[1] = attr(0x40, 2, [2, 5, 0, 0, 0xfd, 0xe8]);
  const { sink, r } = decode(updateBody([], attrs, [8, 10]));
  t.true(r.treatAsWithdraw);
  t.deepEqual(sink.events, ['W 10.0.0.0/8']);
  t.is(r.errors[0].subcode, 11);
});

test('RFC 7606 7.1: an undefined ORIGIN withdraws the announced routes, including MP_REACH ones', (t) => {
  const attrs = mandatory4();
  attrs[0] = attr(0x40, 1, [7]);
  attrs.push(attr(0x80, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0, 32, 0x20, 0x01, 0x0d, 0xb8]));
  const { sink, r } = decode(updateBody([], attrs, [8, 10]));
  t.true(r.treatAsWithdraw);
  t.deepEqual(sink.events, ['W 10.0.0.0/8', 'W 2001:db8::/32']);
});

test('RFC 7606 7.7: a malformed AGGREGATOR is discarded and the routes stay', (t) => {
  const { sink, r } = decode(updateBody([], [...mandatory4(), attr(0xc0, 7, [1, 2, 3])], [8, 10]));
  t.false(r.treatAsWithdraw);
  t.deepEqual(sink.events, ['A 10.0.0.0/8']);
  t.is(r.errors[0].action, 'attribute-discard');
  t.is(r.attributes!.discarded!.length, 1);
});

test('RFC 7606 3.d: a missing NEXT_HOP with IPv4 NLRI withdraws', (t) => {
  const { sink, r } = decode(updateBody([], mandatory4().slice(0, 2), [8, 10]));
  t.true(r.treatAsWithdraw);
  t.deepEqual(sink.events, ['W 10.0.0.0/8']);
  t.like(r.errors[0], { code: 3, subcode: 3, action: 'treat-as-withdraw' });
  t.deepEqual(Array.from(r.errors[0].data), [3]);
});

test('RFC 7606 3.d: missing ORIGIN or AS_PATH withdraws; MP-only UPDATEs need no NEXT_HOP', (t) => {
  const mp = attr(0x80, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0, 32, 0x20, 0x01, 0x0d, 0xb8]);
  const ok = decode(updateBody([], [...mandatory4().slice(0, 2), mp], []));
  t.false(ok.r.treatAsWithdraw);
  t.deepEqual(ok.sink.events, ['A 2001:db8::/32']);
  const noOrigin = decode(updateBody([], [mandatory4()[1], mp], []));
  t.true(noOrigin.r.treatAsWithdraw);
  t.deepEqual(Array.from(noOrigin.r.errors[0].data), [1]);
  const noPath = decode(updateBody([], [mandatory4()[0], mp], []));
  t.true(noPath.r.treatAsWithdraw);
  // Pure withdrawals need no attributes at all.
  t.false(decode(updateBody([8, 10], [], [])).r.treatAsWithdraw);
  // NLRI with no attributes at all are withdrawn.
  t.deepEqual(decode(updateBody([], [], [8, 10])).sink.events, ['W 10.0.0.0/8']);
});

const resets: Array<[string, Buffer, number]> = [
  ['a prefix length above 32 in the NLRI', updateBody([], mandatory4(), [33, 10, 0, 0, 0, 0]), 10],
  ['an NLRI prefix running past the message', updateBody([], mandatory4(), [24, 10, 0]), 10],
  ['a withdrawn prefix length above 32', updateBody([40, 1, 2, 3, 4, 5], [], []), 10],
  ['an IPv6 prefix length above 128 in MP_REACH', updateBody([], [...mandatory4(), attr(0x80, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0, 129, ...new Array(17).fill(0)])], []), 10],
  ['an MP_UNREACH prefix overrun', updateBody([], [attr(0x80, 15, [0, 2, 1, 64, 0x20])], []), 10],
  ['a duplicate MP_REACH_NLRI', updateBody([], [...mandatory4(), attr(0x80, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0]), attr(0x80, 14, [0, 2, 1, 16, ...parseIpv6('2001:db8::1'), 0])], []), 1],
];

for (const [name, body, subcode] of resets) {
  test(`RFC 7606: ${name} resets the session and nothing reaches the sink`, (t) => {
    const sink = new RecordingSink();
    const err = t.throws(() => decodeUpdate(body, 0, body.length, FOUR, sink), { instanceOf: BgpError });
    t.like(err, { code: 3, subcode, action: 'session-reset' });
    t.deepEqual(sink.events, []);
  });
}

test('skips MP_REACH/MP_UNREACH of a family it does not speak (VPNv4, 12-byte next hop) and keeps the IPv4 NLRI', (t) => {
  // AFI 1 / SAFI 128: next hop = 8-byte route distinguisher + IPv4; NLRI = 24-bit label + RD + prefix.
  const vpnNlri = [88 + 24, 0, 0, 0x31, 0, 0, 0, 0, 0, 0, 0, 1, 10, 1, 2];
  const reach = attr(0x80, 14, [0, 1, 128, 12, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 9, 0, ...vpnNlri]);
  const unreach = attr(0x80, 15, [0, 1, 128, ...vpnNlri]);
  const { sink, r } = decode(updateBody([], [...mandatory4(), reach], [24, 198, 51, 100]));
  t.deepEqual(sink.events, ['A 198.51.100.0/24']);
  t.false(r.treatAsWithdraw);
  const withdrawn = decode(updateBody([], [unreach], []));
  t.deepEqual(withdrawn.sink.events, []);
  t.is(withdrawn.r.endOfRib, 0);
});

test('RFC 7606 4: section lengths overrunning the message reset the session, even with valid withdrawals before', (t) => {
  const good = updateBody([8, 10], mandatory4(), [8, 11]);
  const attrOverrun = Buffer.from(good);
  attrOverrun.writeUInt16BE(attrOverrun.readUInt16BE(4) + 10, 4);
  const withdrawnOverrun = Buffer.from(good);
  withdrawnOverrun.writeUInt16BE(200, 0);
  for (const body of [attrOverrun, withdrawnOverrun, Buffer.from([0, 0, 0])]) {
    const sink = new RecordingSink();
    t.like(t.throws(() => decodeUpdate(body, 0, body.length, FOUR, sink)), { code: 3, subcode: 1, action: 'session-reset' });
    t.deepEqual(sink.events, []);
  }
});

// ---- real data ---------------------------------------------------------------------------------------------

for (const [file, counts] of [
  // bgpdump -m counts from shared/data/mrt/README.md (A, W).
  ['updates.20160811.1600.gz', [39256, 1956]],
  // 2-octet AS session data; bgpdump's counts include IPv4 multicast, which decodeUpdate leaves out.
  ['updates.20070211.0141.gz', null],
  ['updates.long_withdrawal.gz', [0, 4096]],
] as Array<[string, [number, number] | null]>) {
test(`real RIS UPDATEs of ${file} decode, re-encode and decode to the same prefixes and attributes`, async (t) => {
  const messages = await loadUpdates(file);
  t.true(messages.length > 0);
  let announced = 0;
  let withdrawn = 0;
  for (const m of messages) {
    const opts: DecodeOptions = { ...FOUR, fourOctetAs: m.fourOctetAs, extendedMessage: m.message.length > 4096 };
    const first = new CollectingSink();
    const r = decodeUpdate(m.message, 19, m.message.length, opts, first);
    announced += r.announced;
    withdrawn += r.withdrawn;
    t.deepEqual(r.errors, []);
    if (r.endOfRib !== 0) continue;
    const families = new Set([...first.announced, ...first.withdrawn].map((p) => p.afi));
    if (families.size > 1 && first.withdrawn.some((p) => p.afi === Afi.IPv6) && first.announced.some((p) => p.afi === Afi.IPv6)) continue;
    const again = encodeUpdate({ attributes: r.attributes, announced: first.announced, withdrawn: first.withdrawn }, opts);
    const second = new CollectingSink();
    const r2 = decodeUpdate(again, 19, again.length, opts, second);
    if (JSON.stringify(second) !== JSON.stringify(first) || r2.announced !== r.announced) {
      t.fail(`prefixes differ after re-encoding ${m.message.toString('hex')}`);
      return;
    }
    t.deepEqual(encodeUpdate({ attributes: r2.attributes, announced: second.announced, withdrawn: second.withdrawn }, opts), again);
  }
  if (counts !== null) {
    t.is(announced, counts[0]);
    t.is(withdrawn, counts[1]);
  }
});
}

test('the 2015 RIS table decodes to the announcement count bgpdump reports', async (t) => {
  const messages = await loadUpdates('updates.et-header.2015.gz');
  const sink = new CollectingSink();
  let announced = 0;
  let withdrawn = 0;
  let attributeSets = 0;
  for (const m of messages) {
    const r = decodeUpdate(m.message, 19, m.message.length, { ...FOUR, fourOctetAs: m.fourOctetAs }, countingOnly(sink));
    announced += r.announced;
    withdrawn += r.withdrawn;
    if (r.attributes !== null) attributeSets++;
  }
  t.is(announced, 577737);
  t.is(withdrawn, 3);
  t.true(attributeSets > 77958);
});

class CollectingSink {
  announced: NlriPrefix[] = [];
  withdrawn: NlriPrefix[] = [];
  announce(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.announced.push({ afi, pathId, a, b, c, d, length });
  }
  withdraw(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.withdrawn.push({ afi, pathId, a, b, c, d, length });
  }
}

function countingOnly(_s: CollectingSink): { announce(): void; withdraw(): void } {
  return { announce() {}, withdraw() {} };
}
