import test from 'ava';
import { Afi, Safi } from '../../src/bgp/index.js';
import { addresses, attributes, prefix4, ScriptedPeer, sleep, speakerWithPeer, until, type OpenOptions } from './harness.js';

const next = addresses(47);

function grOpen(restartTime: number, restarting = false): OpenOptions {
  return {
    capabilities: {
      gracefulRestart: { restarting, notification: false, restartTime, families: [{ afi: Afi.IPv4, safi: Safi.Unicast, forwardingPreserved: true }] },
    },
  };
}

test('keeps a restarting peer’s routes as stale until End-of-RIB, then sweeps the ones not re-announced', async (t) => {
  const a = next();
  const { s, peer: first } = await speakerWithPeer(t, a);
  await first.handshake(grOpen(30));
  first.announce([prefix4('198.51.100.0/24'), prefix4('203.0.113.0/24')], attributes([65001]));
  first.endOfRib(Afi.IPv4);
  await until('routes', () => s.rib.lookup('203.0.113.1'));
  first.destroy(); // TCP gone without a NOTIFICATION: the peer restarts
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  const kept = s.rib.lookup('203.0.113.1');
  t.truthy(kept, 'routes kept across the restart');
  t.true(kept!.stale);
  t.deepEqual(s.speaker.neighbor(a.peer)!.status().staleFamilies, ['ipv4']);

  const second = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => second.destroy());
  await second.handshake(grOpen(30, true));
  second.announce([prefix4('198.51.100.0/24')], attributes([65001, 65005]));
  await until('re-announced', () => s.rib.lookup('198.51.100.1')?.stale === false);
  await sleep(50);
  t.truthy(s.rib.lookup('203.0.113.1'), 'not re-announced yet, still answering before End-of-RIB');
  second.endOfRib(Afi.IPv4);
  await until('swept', () => s.rib.lookup('203.0.113.1') === null);
  t.deepEqual(s.rib.lookup('198.51.100.1')!.attributes.asPath![0]!.asns, [65001, 65005]);
  t.deepEqual(s.speaker.neighbor(a.peer)!.status().staleFamilies, []);
});

test('treats a new OPEN on a new connection while Established as the peer restarting (RFC 4724 4.2)', async (t) => {
  const a = next();
  const { s, peer: first } = await speakerWithPeer(t, a);
  await first.handshake(grOpen(30));
  first.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  const second = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => second.destroy());
  await second.handshake(grOpen(30, true));
  await first.waitClosed();
  t.true(s.rib.lookup('203.0.113.1')!.stale);
  second.endOfRib(Afi.IPv4);
  await until('swept', () => s.rib.lookup('203.0.113.1') === null);
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Established');
});

test('sweeps stale routes when the peer’s restart time runs out', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake(grOpen(1));
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  peer.destroy();
  const down = Date.now();
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  t.truthy(s.rib.lookup('203.0.113.1'));
  await until('swept', () => s.rib.lookup('203.0.113.1') === null, 3000);
  t.true(Date.now() - down >= 900);
  t.is(s.speaker.neighbor(a.peer)!.status().prefixes.ipv4, 0);
});

test('removes routes at once when the peer did not advertise graceful restart', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake();
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  peer.destroy();
  await until('removed', () => s.rib.lookup('203.0.113.1') === null, 2000);
  t.pass();
});
