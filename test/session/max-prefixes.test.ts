import test from 'ava';
import { addresses, attributes, neighborOptions, prefix4, ScriptedPeer, startSpeaker, until } from './harness.js';

const next = addresses(46);

test('closes with 6/1 (AFI, SAFI, limit) above max-prefixes, drops the routes and reconnects after restart-after', async (t) => {
  const a = next();
  const listener = await ScriptedPeer.listen(a.peer);
  t.teardown(() => listener.close());
  const s = await startSpeaker(a.speaker, [
    neighborOptions(a.peer, { passive: false, port: listener.port, maxPrefixes: { limit: 2, warningPercent: 50, restartAfter: 1 } }),
  ]);
  t.teardown(s.stop);
  const peer = await listener.accept();
  t.teardown(() => peer.destroy());
  await peer.readOpen();
  peer.sendOpen();
  await peer.nextOfType(4);
  peer.sendKeepalive();
  peer.announce([prefix4('198.51.100.0/24')], attributes([65001]));
  await until('warning', () => s.records.find((r) => /warning threshold/.test(r.msg)));
  peer.announce([prefix4('203.0.113.0/24'), prefix4('192.0.2.0/24')], attributes([65001]));
  const n = await peer.notification();
  const closedAt = Date.now();
  t.deepEqual([n.code, n.subcode], [6, 1]);
  t.deepEqual([...n.data], [0, 1, 1, 0, 0, 0, 2], 'AFI 1, SAFI 1, limit 2 (RFC 4486 4)');
  t.is(s.rib.lookup('198.51.100.1'), null, 'routes removed');
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Idle');
  const again = await listener.accept(5000);
  t.teardown(() => again.destroy());
  const waited = Date.now() - closedAt;
  t.true(waited >= 900, `reconnected after ${waited} ms`);
  await again.handshake();
  await until('Established again', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
});
