import test from 'ava';
import { addresses, attributes, neighborOptions, prefix4, ScriptedPeer, sleep, speakerWithPeer, startSpeaker, until } from './harness.js';

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

test('a flood of big UPDATEs in one burst: the count never exceeds the limit between turns, 6/1 is sent, nothing after it is installed', async (t) => {
  const a = next();
  const limit = 1_000;
  const { s, peer } = await speakerWithPeer(t, a, { maxPrefixes: { limit, warningPercent: null, restartAfter: 0 } });
  await peer.handshake();
  await until('Established', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  const count = () => s.speaker.neighbor(a.peer)!.status().prefixes.ipv4;
  // Sampled on every turn of the event loop while the flood is read: what DNS, HTTP or the control socket could see.
  let maxSeen = 0;
  let sampling = true;
  const sample = () => {
    maxSeen = Math.max(maxSeen, count());
    if (sampling) setImmediate(sample);
  };
  sample();
  t.teardown(() => { sampling = false; });
  // 40 UPDATEs of 900 distinct /24s each (36,000 prefixes, 36 times the limit), written back to back at once.
  const updates = 40;
  for (let u = 0; u < updates; u++) {
    const prefixes = Array.from({ length: 900 }, (_, i) => prefix4(`${10 + (u >> 2)}.${(u & 3) * 60 + Math.floor(i / 15)}.${(i % 15) * 16}.0/24`));
    peer.announce(prefixes, attributes([65001, 64500 + u]));
  }
  const n = await peer.notification(20_000);
  t.deepEqual([n.code, n.subcode], [6, 1], 'Cease / Maximum Number of Prefixes Reached');
  t.deepEqual([...n.data], [0, 1, 1, 0, 0, limit >> 8, limit & 255], 'AFI 1, SAFI 1, the limit (RFC 4486 4)');
  await peer.waitClosed(10_000);
  // The UPDATEs that were still in the same read once the session was closed installed nothing.
  await sleep(500);
  sampling = false;
  t.is(count(), 0, 'the neighbor holds no route');
  t.is(s.rib.lookup('10.0.0.1'), null);
  t.true(maxSeen <= limit, `at most the limit between turns (saw ${maxSeen})`);
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Idle');
  t.true(s.records.some((r) => /maximum number of prefixes reached/.test(r.msg)));
});
