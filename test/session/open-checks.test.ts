import test from 'ava';
import { Afi, MessageType, emptyCapabilities, encodeNotification } from '../../src/bgp/index.js';
import { addresses, attributes, neighborOptions, prefix4, ScriptedPeer, SPEAKER_AS, speakerWithPeer, startSpeaker, until } from './harness.js';

const next = addresses(41);

type Open = Parameters<ScriptedPeer['sendOpen']>[0];

async function openWith(t: import('ava').ExecutionContext, open: Open | ((a: ReturnType<typeof next>) => Open), neighbor = {}) {
  const a = next();
  if (typeof open === 'function') open = open(a);
  const { s, peer } = await speakerWithPeer(t, a, neighbor);
  await peer.readOpen();
  peer.sendOpen(open);
  const n = await peer.notification();
  await peer.waitClosed();
  return { n, s, a };
}

test('rejects an OPEN of BGP version 3 with 2/1 and our version as data', async (t) => {
  const { n } = await openWith(t, { version: 3 });
  t.deepEqual([n.code, n.subcode], [2, 1]);
  t.deepEqual([...n.data], [0, 4]);
});

test('rejects a peer AS other than the configured one with 2/2 (Bad Peer AS)', async (t) => {
  const { n, s, a } = await openWith(t, { as: 65099 });
  t.deepEqual([n.code, n.subcode], [2, 2]);
  t.regex(s.speaker.neighbor(a.peer)!.status().lastError ?? '', /Bad Peer AS/);
});

test('rejects a 2-octet speaker when the configured AS needs 4 octets (RFC 6793)', async (t) => {
  const { n } = await openWith(t, { as: 23456, twoOctet: true }, { remoteAs: 4200000001 });
  t.deepEqual([n.code, n.subcode], [2, 2]);
});

test('accepts a 4-octet peer AS sent as AS_TRANS with the capability', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a, { remoteAs: 4200000001 });
  await peer.handshake({ as: 4200000001, id: '192.0.2.99' });
  const status = await until('Established', () => {
    const x = s.speaker.neighbor(a.peer)!.status();
    return x.state === 'Established' && x;
  });
  t.is(status.remoteAs, 4200000001);
  t.is(status.lastError, null, 'no NOTIFICATION either way');
  t.is(status.routerId, '192.0.2.99');
});

test('rejects hold time 1 with 2/6 (Unacceptable Hold Time)', async (t) => {
  const { n } = await openWith(t, { holdTime: 1 });
  t.deepEqual([n.code, n.subcode], [2, 6]);
});

test('rejects BGP identifier 0.0.0.0 with 2/3 (Bad BGP Identifier)', async (t) => {
  const { n } = await openWith(t, { id: '0.0.0.0' });
  t.deepEqual([n.code, n.subcode], [2, 3]);
});

test('rejects our own BGP identifier on an iBGP session with 2/3', async (t) => {
  const { n } = await openWith(t, (a) => ({ as: 65010, id: a.speaker }), { remoteAs: 65010 });
  t.deepEqual([n.code, n.subcode], [2, 3]);
});

test('advertises the capabilities it negotiates and sends End-of-RIB per family once Established', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a, { holdTime: 30 });
  const open = await peer.handshake({ holdTime: 60 });
  const c = open.capabilities;
  t.is(open.holdTime, 30);
  t.is(c.fourOctetAs, 65010);
  t.deepEqual(c.multiprotocol.map((f) => [f.afi, f.safi]), [[1, 1], [2, 1]]);
  t.true(c.routeRefresh);
  t.true(c.enhancedRouteRefresh);
  t.true(c.extendedMessage);
  t.truthy(c.gracefulRestart);
  t.deepEqual(c.gracefulRestart!.families, [], 'no forwarding-state families: we never forward');
  t.deepEqual(c.addPath.map((f) => [f.afi, f.send, f.receive]), [[1, false, true], [2, false, true]]);
  // End-of-RIB: an empty UPDATE for IPv4, an empty MP_UNREACH_NLRI for IPv6.
  const eor4 = await peer.nextOfType(MessageType.Update);
  const eor6 = await peer.nextOfType(MessageType.Update);
  t.is(eor4.message.length, 23);
  t.is(eor6.message.readUInt16BE(19 + 4 + 3), Afi.IPv6);
  const st = await until('Established', () => {
    const x = s.speaker.neighbor(a.peer)!.status();
    return x.state === 'Established' ? x : null;
  });
  t.is(st.holdTime, 30, 'hold time is the smaller of both');
  t.deepEqual(st.families, ['ipv4', 'ipv6']);
});

test('rejects an OPEN with an optional parameter other than capabilities with 2/4', async (t) => {
  const { peer } = await speakerWithPeer(t, next());
  await peer.readOpen();
  // Version 4, AS 65001, hold 90, id 10.0.0.2, one optional parameter of type 1 (the retired authentication one).
  const body = Buffer.from([4, 0xfd, 0xe9, 0, 90, 10, 0, 0, 2, 3, 1, 1, 0]);
  const header = Buffer.alloc(19, 0xff);
  header.writeUInt16BE(19 + body.length, 16);
  header[18] = 1;
  peer.send(Buffer.concat([header, body]));
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [2, 4]);
});

test('answers a KEEPALIVE before the OPEN with 5/1 (unexpected message in OpenSent, RFC 6608)', async (t) => {
  const { peer } = await speakerWithPeer(t, next());
  await peer.readOpen();
  peer.sendKeepalive();
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [5, 1]);
});

test('answers an UPDATE in OpenConfirm with 5/2 (RFC 6608)', async (t) => {
  const { peer } = await speakerWithPeer(t, next());
  peer.sendOpen();
  await peer.readOpen();
  await peer.nextOfType(MessageType.Keepalive);
  peer.endOfRib(Afi.IPv4);
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [5, 2]);
});

test('after 2/4 Unsupported Optional Parameter, the next OPEN carries no capabilities and the session comes up on IPv4 with 2-octet ASes (RFC 5492 3)', async (t) => {
  const a = next();
  const listener = await ScriptedPeer.listen(a.peer);
  t.teardown(() => listener.close());
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer, { passive: false, port: listener.port })]);
  t.teardown(s.stop);
  const first = await listener.accept();
  t.teardown(() => first.destroy());
  const withCapabilities = await first.readOpen();
  t.not(withCapabilities.capabilities.fourOctetAs, null);
  // A speaker from before capabilities advertisement (RFC 4271 6.2): it does not know optional parameter 2.
  first.send(encodeNotification({ code: 2, subcode: 4 }));
  await until('our side gave up the connection', () => s.speaker.neighbor(a.peer)!.status().capabilitiesAdvertised === false);

  const second = await listener.accept(5000);
  t.teardown(() => second.destroy());
  const bare = await second.readOpen();
  t.deepEqual(bare.capabilities, emptyCapabilities(), 'no optional parameters at all');
  t.is(bare.myAs, SPEAKER_AS);
  second.sendOpen({ twoOctet: true, capabilities: emptyCapabilities() });
  await second.nextOfType(MessageType.Keepalive);
  second.sendKeepalive();
  await until('Established', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  t.deepEqual(s.speaker.neighbor(a.peer)!.status().families, ['ipv4']);
  const twoOctet = { fourOctetAs: false, addPathIpv4: false, addPathIpv6: false, extendedMessage: false };
  second.announce([prefix4('203.0.113.0/24')], attributes([65001, 64512]), twoOctet);
  const route = await until('route', () => s.rib.lookup('203.0.113.1'));
  t.deepEqual(route.attributes.asPath![0]!.asns, [65001, 64512]);
});

test('a 4-octet local AS does not fall back to an OPEN without capabilities after 2/4', async (t) => {
  const a = next();
  const listener = await ScriptedPeer.listen(a.peer);
  t.teardown(() => listener.close());
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer, { passive: false, port: listener.port })], { localAs: 4200000000 });
  t.teardown(s.stop);
  const first = await listener.accept();
  t.teardown(() => first.destroy());
  await first.readOpen();
  first.send(encodeNotification({ code: 2, subcode: 4 }));
  await until('logged', () => s.records.find((r) => /4-octet AS needs them/.test(r.msg)));
  const second = await listener.accept(5000);
  t.teardown(() => second.destroy());
  t.is((await second.readOpen()).capabilities.fourOctetAs, 4200000000);
  t.true(s.speaker.neighbor(a.peer)!.status().capabilitiesAdvertised);
});
