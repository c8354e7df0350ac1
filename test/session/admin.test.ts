import test from 'ava';
import { MessageType, decodeRouteRefresh } from '../../src/bgp/index.js';
import { addresses, attributes, neighborOptions, prefix4, ScriptedPeer, speakerWithPeer, startSpeaker, until } from './harness.js';

const next = addresses(48);

test('administrative shutdown sends 6/2 with the RFC 9003 message and removes the routes', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake();
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  await s.speaker.neighbor(a.peer)!.shutdown('maintenance window, back at 14:00');
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [6, 2]);
  t.is(n.shutdownMessage, 'maintenance window, back at 14:00');
  t.is(s.rib.lookup('203.0.113.1'), null);
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Idle');
});

test('speaker shutdown sends 6/2 to every established neighbor', async (t) => {
  const a = next();
  const s = await startSpeaker(a.speaker, [neighborOptions(a.peer)]);
  const peer = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => peer.destroy());
  await peer.handshake();
  await s.speaker.shutdown('supersparrow shutting down');
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode, n.shutdownMessage], [6, 2, 'supersparrow shutting down']);
});

test('sends ROUTE-REFRESH for each negotiated family on request', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake();
  await until('Established', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  t.deepEqual(s.speaker.neighbor(a.peer)!.routeRefresh(), ['ipv4', 'ipv6']);
  const r1 = await peer.nextOfType(MessageType.RouteRefresh);
  const r2 = await peer.nextOfType(MessageType.RouteRefresh);
  const got = [r1, r2].map((m) => decodeRouteRefresh(m.message, 19, m.message.length));
  t.deepEqual(got.map((r) => [r.afi, r.safi, r.subtype]), [[1, 1, 0], [2, 1, 0]]);
});

test('refuses a route refresh when the peer did not advertise the capability', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake({ capabilities: { routeRefresh: false } });
  await until('Established', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  t.throws(() => s.speaker.neighbor(a.peer)!.routeRefresh(), { message: /route refresh/ });
});
