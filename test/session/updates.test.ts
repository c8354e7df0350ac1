import test from 'ava';
import { Afi, encodeUpdate } from '../../src/bgp/index.js';
import { addresses, attributes, neighborOptions, PEER_DECODE, prefix4, ScriptedPeer, sleep, startSpeaker, until } from './harness.js';

const next = addresses(45);

async function established(t: import('ava').ExecutionContext) {
  const a = next();
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer)]);
  t.teardown(s.stop);
  const peer = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => peer.destroy());
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
