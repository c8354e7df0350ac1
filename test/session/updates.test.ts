import test from 'ava';
import { Afi, encodeUpdate } from '../../src/bgp/index.js';
import { addresses, attributes, neighborOptions, PEER_DECODE, prefix4, ScriptedPeer, sleep, SPEAKER_AS, speakerWithPeer, startSpeaker, until } from './harness.js';

const next = addresses(45);

async function established(t: import('ava').ExecutionContext) {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake();
  return { a, s, peer };
}

test('installs announced routes and removes withdrawn ones', async (t) => {
  const { a, s, peer } = await established(t);
  peer.announce([prefix4('198.51.100.0/24'), prefix4('203.0.113.0/24')], attributes([65001, 65002]));
  await until('routes', () => s.rib.lookup('198.51.100.7') && s.rib.lookup('203.0.113.9'));
  t.is(s.speaker.neighbor(a.peer)!.status().prefixes.ipv4, 2);
  peer.withdraw([prefix4('198.51.100.0/24')]);
  await until('withdrawal', () => s.rib.lookup('198.51.100.7') === null);
  t.truthy(s.rib.lookup('203.0.113.9'));
});

test('treats an UPDATE with a bad ORIGIN as withdraw and keeps the session and other routes (RFC 7606 7.1)', async (t) => {
  const { a, s, peer } = await established(t);
  peer.announce([prefix4('198.51.100.0/24'), prefix4('203.0.113.0/24')], attributes([65001]));
  await until('routes', () => s.rib.lookup('203.0.113.9'));
  const bad = encodeUpdate({ announced: [prefix4('198.51.100.0/24')], attributes: attributes([65001, 65003]) }, PEER_DECODE);
  // Body: withdrawn length (2, zero), attribute length (2), then ORIGIN first: flags, type 1, length 1, value.
  const origin = 19 + 2 + 2;
  t.is(bad[origin + 1], 1, 'first attribute is ORIGIN');
  bad[origin + 3] = 7; // no such origin
  peer.send(bad);
  await until('treat-as-withdraw', () => s.rib.lookup('198.51.100.7') === null);
  await sleep(100);
  t.false(peer.closed, 'no NOTIFICATION, the session stays');
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Established');
  t.truthy(s.rib.lookup('203.0.113.9'), 'other routes stay');
  t.truthy(s.records.find((r) => /RFC 7606/.test(r.msg)), 'the error is logged');
});

test('answers a broken header marker with 1/1 (Connection Not Synchronized)', async (t) => {
  const { peer } = await established(t);
  const msg = Buffer.alloc(19, 0xff);
  msg[3] = 0;
  msg.writeUInt16BE(19, 16);
  msg[18] = 4;
  peer.send(msg);
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [1, 1]);
  await peer.waitClosed();
});

test('answers a bad message length with 1/2 and the length as data, even when split across segments', async (t) => {
  const { peer, s, a } = await established(t);
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.9'));
  const msg = Buffer.alloc(19, 0xff);
  msg.writeUInt16BE(5000, 16); // above 4096 without extended messages
  msg[18] = 2;
  peer.send(msg.subarray(0, 10)); // a peer that stalls mid-header
  await sleep(150);
  t.false(peer.closed);
  peer.send(msg.subarray(10));
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode, ...n.data], [1, 2, 5000 >> 8, 5000 & 255]);
  await peer.waitClosed();
  await until('routes removed', () => s.rib.lookup('203.0.113.9') === null);
  t.is(s.speaker.neighbor(a.peer)!.status().prefixes.ipv4, 0);
});

test('resets the session with the NOTIFICATION of a session-reset UPDATE error (bad NLRI length)', async (t) => {
  const { peer } = await established(t);
  const upd = encodeUpdate({ announced: [prefix4('203.0.113.0/24')], attributes: attributes([65001]) }, PEER_DECODE);
  upd[upd.length - 4] = 33; // NLRI prefix length 33 > 32
  peer.send(upd);
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [3, 10]);
});

test('counts End-of-RIB and logs the table load summary', async (t) => {
  const { s, peer } = await established(t);
  peer.announce([prefix4('198.51.100.0/24'), prefix4('203.0.113.0/24')], attributes([65001]));
  peer.endOfRib(Afi.IPv4);
  const rec = await until('End-of-RIB log', () => s.records.find((r) => /End-of-RIB received after 2 prefixes/.test(r.msg)));
  t.is(rec.afi, 'ipv4');
});

test('receives ADD-PATH paths for IPv4 when the peer advertises send, keeping each path id apart (RFC 7911)', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake({ capabilities: { addPath: [{ afi: Afi.IPv4, safi: 1, send: true, receive: false }] } });
  const opts = { ...PEER_DECODE, addPathIpv4: true };
  peer.announce([prefix4('203.0.113.0/24', 1)], attributes([65001, 65002, 65003]), opts);
  peer.announce([prefix4('203.0.113.0/24', 2)], attributes([65001, 65004]), opts);
  await until('two paths', () => s.speaker.neighbor(a.peer)!.status().prefixes.ipv4 === 2);
  const best = s.rib.lookup('203.0.113.1')!;
  t.is(best.pathId, 2, 'the shorter AS path wins');
  peer.withdraw([prefix4('203.0.113.0/24', 2)], opts);
  await until('one path left', () => s.rib.lookup('203.0.113.1')?.pathId === 1);
  t.is(s.speaker.neighbor(a.peer)!.status().prefixes.ipv4, 1);
});

test('does not use ADD-PATH when add-path is off for the neighbor', async (t) => {
  const { s, peer } = await speakerWithPeer(t, next(), { addPath: false });
  const open = await peer.handshake({ capabilities: { addPath: [{ afi: Afi.IPv4, safi: 1, send: true, receive: false }] } });
  t.deepEqual(open.capabilities.addPath, []);
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  t.is(s.rib.lookup('203.0.113.1')!.pathId, 0);
});

test('accepts UPDATEs above 4096 bytes once both sides advertised extended messages (RFC 8654)', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake({ capabilities: { extendedMessage: true } });
  const prefixes = Array.from({ length: 1500 }, (_, i) => prefix4(`10.${i >> 8}.${i & 255}.0/24`));
  const big = encodeUpdate({ announced: prefixes, attributes: attributes([65001]) }, { ...PEER_DECODE, extendedMessage: true });
  t.true(big.length > 4096);
  peer.send(big);
  await until('all installed', () => s.speaker.neighbor(a.peer)!.status().prefixes.ipv4 === 1500);
  t.false(peer.closed);
});

test('runs a session over IPv6 transport and installs IPv6 routes from MP_REACH_NLRI', async (t) => {
  const s = await startSpeaker('::1', [neighborOptions('0:0::1')], { routerId: '127.45.200.1' });
  t.teardown(s.stop);
  const peer = await ScriptedPeer.connect('::1', s.port, '::1');
  t.teardown(() => peer.destroy());
  await peer.handshake();
  const attrs = attributes([65001, 65007]);
  attrs.nextHop = -1;
  attrs.mpNextHop = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
  peer.announce([{ afi: Afi.IPv6, pathId: 0, a: 0x20010db8, b: 0x00110000, c: 0, d: 0, length: 48 }], attrs);
  const route = await until('IPv6 route', () => s.rib.lookup('2001:db8:11::7'));
  t.is(route.prefix, '2001:db8:11::/48');
  t.like(s.speaker.neighbor('::1')!.status(), { address: '::1', state: 'Established', prefixes: { ipv4: 0, ipv6: 1 } });
});

test('ignores NLRI of a family the session did not negotiate (RFC 4760 6), keeps the session and logs it once', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake({ capabilities: { multiprotocol: [{ afi: Afi.IPv4, safi: 1 }] } });
  const v6 = attributes([65001, 65007]);
  v6.nextHop = -1;
  v6.mpNextHop = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]);
  for (let i = 0; i < 3; i++) peer.announce([{ afi: Afi.IPv6, pathId: 0, a: 0x20010db8, b: 0x00110000 + i, c: 0, d: 0, length: 48 }], v6);
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('the IPv4 route', () => s.rib.lookup('203.0.113.9'));
  t.is(s.rib.lookup('2001:db8:11::7'), null, 'no IPv6 route from an IPv4-only session');
  t.like(s.speaker.neighbor(a.peer)!.status(), { state: 'Established', prefixes: { ipv4: 1, ipv6: 0 } });
  t.false(peer.closed);
  t.is(s.records.filter((r) => /family not negotiated/.test(r.msg)).length, 1, 'logged once for the session');
});

test('discards LOCAL_PREF from an external peer (RFC 7606 7.5) and keeps it from an internal one', async (t) => {
  const { s, peer } = await established(t);
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001], { localPref: 500 }));
  const route = await until('route', () => s.rib.lookup('203.0.113.9'));
  t.is(route.attributes.localPref, -1, 'eBGP: LOCAL_PREF discarded');

  const b = next();
  const { s: s2, peer: ibgp } = await speakerWithPeer(t, b, { remoteAs: SPEAKER_AS });
  await ibgp.handshake({ as: SPEAKER_AS });
  ibgp.announce([prefix4('203.0.113.0/24')], attributes([], { localPref: 500 }));
  const internal = await until('iBGP route', () => s2.rib.lookup('203.0.113.9'));
  t.is(internal.attributes.localPref, 500, 'iBGP: LOCAL_PREF kept');
});
