import test from 'ava';
import { Afi, Safi } from '../../src/bgp/index.js';
import { RibReader } from '../../src/rib/reader.js';
import { addresses, attributes, ipv4, prefix4, ScriptedPeer, speakerWithPeer, until, type OpenOptions } from './harness.js';

// What the front ends see of a real session through the RIB's reading face: the neighbor by its configured
// address, up and down as the session goes, its routes kept (stale) across a graceful restart, during which it
// still counts as up (its routes are in use, so its POP stays available).

const next = addresses(53);

const gracefulRestart: OpenOptions = {
  capabilities: {
    gracefulRestart: { restarting: false, notification: false, restartTime: 30, families: [{ afi: Afi.IPv4, safi: Safi.Unicast, forwardingPreserved: true }] },
  },
};

test('the reading face sees the session go up by the neighbor’s address, and stay up with its routes kept stale over a graceful restart', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  const reader = new RibReader(s.rib);
  const events: string[] = [];
  reader.onNeighborState((address, up) => events.push(`${address} ${up ? 'up' : 'down'}`));
  t.false(reader.isUp(a.peer), 'no session yet');
  await peer.handshake(gracefulRestart);
  await until('up', () => reader.isUp(a.peer));
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => reader.lookupText('203.0.113.9').found);
  t.is(reader.lookupText('203.0.113.9').neighbor, a.peer);
  peer.destroy(); // TCP gone without a NOTIFICATION: the peer restarts
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  const kept = reader.lookupText('203.0.113.9');
  t.true(kept.found && kept.stale, 'the route stays, stale, while the session is down');
  t.deepEqual(reader.neighbor(a.peer), { address: a.peer, remoteAs: 65001, routerId: ipv4('10.0.0.2'), up: true, routes: { ipv4: 1, ipv6: 0 } }, 'up while its routes are held');

  const again = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => again.destroy());
  await again.handshake({ capabilities: { ...gracefulRestart.capabilities, gracefulRestart: { ...gracefulRestart.capabilities!.gracefulRestart!, restarting: true } } });
  await until('Established again', () => s.speaker.neighbor(a.peer)!.status().state === 'Established');
  again.endOfRib(Afi.IPv4); // nothing re-announced: the stale route goes
  await until('swept', () => !reader.lookupText('203.0.113.9').found);
  t.true(reader.isUp(a.peer));
  t.deepEqual(events, [`${a.peer} up`], 'never down across the restart');
});

test('without graceful restart the neighbor goes down and its routes with it', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  const reader = new RibReader(s.rib);
  const changes: string[] = [];
  reader.onRoutesChange((_afi, _a, _b, _c, _d, length) => changes.push(`/${length}`));
  const events: string[] = [];
  reader.onNeighborState((address, up) => events.push(`${address} ${up ? 'up' : 'down'}`));
  await peer.handshake();
  peer.announce([prefix4('198.51.100.0/24'), prefix4('198.51.0.0/16')], attributes([65001]));
  await until('routes', () => reader.prefixCount(Afi.IPv4) === 2);
  peer.destroy();
  await until('down', () => events.length === 2);
  t.deepEqual(events, [`${a.peer} up`, `${a.peer} down`]);
  t.is(reader.prefixCount(Afi.IPv4), 0);
  t.is(reader.neighbor(a.peer), null, 'forgotten with its routes');
  t.deepEqual(changes.sort(), ['/16', '/16', '/24', '/24'], 'each prefix changed when it came and when it went');
});
