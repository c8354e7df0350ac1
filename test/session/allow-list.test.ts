// Only configured neighbors may connect, whatever the family or spelling: a dual-stack listener sees IPv4 peers as
// IPv4-mapped IPv6 (::ffff:a.b.c.d) and must match them to their configured IPv4 address, and refuse the others; an
// IPv6 stranger is refused with Cease 6/5; a configured IPv6 address that claims another AS gets 2/2 and no route in.
import test from 'ava';
import { addresses, attributes, neighborOptions, prefix4, ScriptedPeer, startSpeaker, until } from './harness.js';

const next = addresses(109);

test('a dual-stack listener (::) matches an IPv4 neighbor seen as ::ffff:a.b.c.d and refuses an IPv4 stranger with 6/5', async (t) => {
  const a = next();
  const s = await startSpeaker('::', [neighborOptions(a.peer)], { routerId: a.speaker });
  t.teardown(s.stop);
  const stranger = await ScriptedPeer.connect('127.0.0.1', s.port, a.stranger);
  t.teardown(() => stranger.destroy());
  const refusal = await stranger.notification();
  t.deepEqual([refusal.code, refusal.subcode], [6, 5], 'Cease / Connection Rejected');
  await stranger.waitClosed();
  const peer = await ScriptedPeer.connect('127.0.0.1', s.port, a.peer);
  t.teardown(() => peer.destroy());
  await peer.handshake();
  await until('Established', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  peer.announce([prefix4('198.51.100.0/24')], attributes([65001]));
  await until('the route', () => s.rib.lookup('198.51.100.1') !== null);
  t.deepEqual(s.speaker.neighbors.map((n) => n.options.address), [a.peer], 'the stranger is no neighbor');
  t.true(s.records.some((r) => /not a configured neighbor/.test(r.msg) && String(r['remote']).includes(a.stranger)));
});

test('an IPv6 stranger is refused with 6/5; a configured IPv6 address that claims another AS gets 2/2 and no route in', async (t) => {
  // Only ::1 is an IPv6 loopback address: the stranger is ::1 while the neighbor is another address, then ::1 is
  // the neighbor with an AS it does not claim.
  const elsewhere = await startSpeaker('::1', [neighborOptions('2001:db8::2')], { routerId: '127.109.250.1' });
  t.teardown(elsewhere.stop);
  const stranger = await ScriptedPeer.connect('::1', elsewhere.port, '::1');
  t.teardown(() => stranger.destroy());
  const refusal = await stranger.notification();
  t.deepEqual([refusal.code, refusal.subcode], [6, 5]);
  await stranger.waitClosed();
  t.not(elsewhere.speaker.neighbor('2001:db8::2')!.status().state, 'Established');

  const s = await startSpeaker('::1', [neighborOptions('::1', { remoteAs: 65001 })], { routerId: '127.109.250.2' });
  t.teardown(s.stop);
  const liar = await ScriptedPeer.connect('::1', s.port, '::1');
  t.teardown(() => liar.destroy());
  await liar.readOpen();
  liar.sendOpen({ as: 65099 });
  // Whatever it sends after its OPEN is not read as routes.
  liar.announce([prefix4('198.51.100.0/24')], attributes([65099]));
  const n = await liar.notification();
  t.deepEqual([n.code, n.subcode], [2, 2], 'OPEN Message Error / Bad Peer AS');
  await liar.waitClosed();
  t.is(s.rib.lookup('198.51.100.1'), null);
  t.regex(s.speaker.neighbor('::1')!.status().lastError ?? '', /Bad Peer AS/);
});
