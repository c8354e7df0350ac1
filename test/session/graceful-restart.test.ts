import test from 'ava';
import { Afi, Safi, encodeNotification } from '../../src/bgp/index.js';
import { addresses, attributes, prefix4, ScriptedPeer, sleep, speakerWithPeer, until, type OpenOptions, type TestSpeaker } from './harness.js';

const next = addresses(47);

/** Waits until the route for `address` is gone; true when it was seen stale on the way. */
async function removedWithoutStale(rib: TestSpeaker['rib'], address: string): Promise<boolean> {
  let keptStale = false;
  await until('removed', () => {
    const r = rib.lookup(address);
    if (r?.stale) keptStale = true;
    return r === null;
  }, 2000);
  return keptStale;
}

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
  t.true(ribUp(s.rib, a.peer), 'up in the RIB while its routes are held');
  await until('swept', () => s.rib.lookup('203.0.113.1') === null, 3000);
  t.true(Date.now() - down >= 900);
  t.is(s.speaker.neighbor(a.peer)!.status().prefixes.ipv4, 0);
  t.false(ribUp(s.rib, a.peer), 'down once the restart timer removed the routes');
});

test('removes routes at once when the peer did not advertise graceful restart', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake();
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  t.is(s.speaker.neighbor(a.peer)!.status().gracefulRestart, null, 'no graceful restart negotiated');
  peer.destroy();
  t.false(await removedWithoutStale(s.rib, '203.0.113.1'), 'never kept as stale');
  t.false(ribUp(s.rib, a.peer), 'down in the RIB at once');
  const status = s.speaker.neighbor(a.peer)!.status();
  t.not(status.state, 'Established');
  t.deepEqual(status.prefixes, { ipv4: 0, ipv6: 0 });
  t.deepEqual(status.staleFamilies, []);
});

// ---- RFC 8538: the N bit -------------------------------------------------------------------------------------

function nBitOpen(restartTime: number, restarting = false, holdTime?: number): OpenOptions {
  const o = grOpen(restartTime, restarting);
  o.capabilities!.gracefulRestart!.notification = true;
  if (holdTime !== undefined) o.holdTime = holdTime;
  return o;
}

test('with the N bit on both sides, a hold timer expiry keeps the routes as stale until the peer is back (RFC 8538 4)', async (t) => {
  const a = next();
  const { s, peer: first } = await speakerWithPeer(t, a, { holdTime: 3 });
  const ours = await first.handshake(nBitOpen(30, false, 3));
  t.true(ours.capabilities.gracefulRestart?.notification, 'we advertise the N bit');
  first.announce([prefix4('198.51.100.0/24'), prefix4('203.0.113.0/24')], attributes([65001]));
  first.endOfRib(Afi.IPv4);
  await until('routes', () => s.rib.lookup('203.0.113.1'));
  // The peer goes silent: our hold timer fires and we send 4/0.
  const n = await first.notification(6000);
  t.deepEqual([n.code, n.subcode], [4, 0]);
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  t.true(s.rib.lookup('203.0.113.1')?.stale, 'routes kept as stale after the hold timer expired');
  t.deepEqual(s.speaker.neighbor(a.peer)!.status().staleFamilies, ['ipv4']);

  const second = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => second.destroy());
  await second.handshake(nBitOpen(30, true));
  second.announce([prefix4('198.51.100.0/24')], attributes([65001]));
  second.endOfRib(Afi.IPv4);
  await until('swept at End-of-RIB', () => s.rib.lookup('203.0.113.1') === null);
  t.is(s.rib.lookup('198.51.100.1')?.stale, false);
});

test('with the N bit, a NOTIFICATION from the peer keeps the routes as stale, and a Hard Reset removes them', async (t) => {
  const a = next();
  const { s, peer: first } = await speakerWithPeer(t, a);
  await first.handshake(nBitOpen(30));
  first.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  first.send(encodeNotification({ code: 6, subcode: 4, shutdownMessage: 'clear bgp' }));
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  t.true(s.rib.lookup('203.0.113.1')?.stale, 'Administrative Reset without Hard Reset: a restart');

  const second = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => second.destroy());
  await second.handshake(nBitOpen(30, true));
  second.announce([prefix4('198.51.100.0/24')], attributes([65001]));
  await until('re-announced', () => s.rib.lookup('198.51.100.1'));
  second.send(encodeNotification({ code: 6, subcode: 2, shutdownMessage: 'decommissioned', asHardReset: true }));
  await until('all routes removed', () => s.rib.lookup('198.51.100.1') === null && s.rib.lookup('203.0.113.1') === null);
  const status = s.speaker.neighbor(a.peer)!.status();
  t.deepEqual(status.staleFamilies, []);
  t.is(status.lastError, 'NOTIFICATION received: Cease / Hard Reset (6/9) for Cease / Administrative Shutdown (6/2): "decommissioned"');
});

test('without the N bit from the peer, a NOTIFICATION still removes the routes at once (RFC 4724)', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake(grOpen(30));
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  peer.send(encodeNotification({ code: 6, subcode: 4 }));
  await until('removed', () => s.rib.lookup('203.0.113.1') === null, 2000);
  t.deepEqual(s.speaker.neighbor(a.peer)!.status().staleFamilies, []);
});

test('with the N bit, an administrative shutdown goes out as a Hard Reset carrying 6/2 and its message', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake(nBitOpen(30));
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  const shutdown = s.speaker.neighbor(a.peer)!.shutdown('maintenance until 16:00');
  const n = await peer.notification();
  await shutdown;
  t.deepEqual([n.code, n.subcode], [6, 9]);
  t.deepEqual(n.hardReset && [n.hardReset.code, n.hardReset.subcode, n.hardReset.shutdownMessage], [6, 2, 'maintenance until 16:00']);
  t.is(s.rib.lookup('203.0.113.1'), null, 'routes removed');
});

test('with the N bit, max-prefixes sends a Hard Reset carrying 6/1 and drops the routes (RFC 8538 5)', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a, { maxPrefixes: { limit: 1, warningPercent: null, restartAfter: 60 } });
  await peer.handshake(nBitOpen(30));
  peer.announce([prefix4('203.0.113.0/24'), prefix4('198.51.100.0/24')], attributes([65001]));
  const n = await peer.notification();
  t.deepEqual([n.code, n.subcode], [6, 9]);
  t.deepEqual(n.hardReset && [n.hardReset.code, n.hardReset.subcode, ...n.hardReset.data], [6, 1, 0, 1, 1, 0, 0, 0, 1]);
  await until('removed', () => s.rib.lookup('203.0.113.1') === null && s.rib.lookup('198.51.100.1') === null, 2000);
  t.deepEqual(s.speaker.neighbor(a.peer)!.status().staleFamilies, []);
});

test('with the N bit turned off we do not set it, and a NOTIFICATION removes the routes even from a peer that sets it', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a, { gracefulRestartNotification: false });
  const ours = await peer.handshake(nBitOpen(30));
  t.false(ours.capabilities.gracefulRestart?.notification);
  const negotiated = await until('Established', () => s.speaker.neighbor(a.peer)!.status().gracefulRestart);
  t.deepEqual(negotiated, { restartTime: 30, notification: false });
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  peer.send(encodeNotification({ code: 6, subcode: 4 }));
  t.false(await removedWithoutStale(s.rib, '203.0.113.1'), 'never kept as stale');
  const status = s.speaker.neighbor(a.peer)!.status();
  t.is(status.lastError, 'NOTIFICATION received: Cease / Administrative Reset (6/4)');
  t.deepEqual(status.staleFamilies, []);
  t.is(status.prefixes.ipv4, 0);
});

test('stale routes the returning peer does not end with End-of-RIB are swept after the stale-path time', async (t) => {
  const a = next();
  const { s, peer: first } = await speakerWithPeer(t, a, { stalePathTime: 1 });
  await first.handshake(grOpen(30));
  first.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  await until('route', () => s.rib.lookup('203.0.113.1'));
  first.destroy();
  await until('stale', () => s.rib.lookup('203.0.113.1')?.stale);
  const second = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => second.destroy());
  await second.handshake(grOpen(30, true));
  const back = Date.now();
  t.true(s.rib.lookup('203.0.113.1')?.stale, 'still answered while the peer resends its table');
  await until('swept without End-of-RIB', () => s.rib.lookup('203.0.113.1') === null, 3000);
  t.true(Date.now() - back >= 900, 'not before the stale-path time');
  t.is(s.speaker.neighbor(a.peer)!.status().state, 'Established');
});

// ---- availability while routes are held ----------------------------------------------------------------------

/** The neighbor's up flag in the RIB: what POP availability (proximity) and the route-server fallback go by. */
function ribUp(rib: TestSpeaker['rib'], address: string): boolean {
  const id = rib.neighborIdOf(address);
  return id >= 0 && rib.neighbor(id)!.up;
}

test('a restarting peer counts as up in the RIB while its routes are held as stale, and through its return (its POP stays available)', async (t) => {
  const a = next();
  const { s, peer: first } = await speakerWithPeer(t, a);
  const events: boolean[] = [];
  t.teardown(s.rib.onNeighborState((address, up) => address === a.peer && events.push(up)));
  await first.handshake(grOpen(30));
  first.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  first.endOfRib(Afi.IPv4);
  await until('route', () => s.rib.lookup('203.0.113.1'));
  t.true(ribUp(s.rib, a.peer));
  first.destroy();
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  t.true(s.rib.lookup('203.0.113.1')?.stale, 'kept as stale');
  t.true(ribUp(s.rib, a.peer), 'still up in the RIB while its routes are held');
  const second = await ScriptedPeer.connect(a.speaker, s.port, a.peer);
  t.teardown(() => second.destroy());
  await second.handshake(grOpen(30, true));
  second.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  second.endOfRib(Afi.IPv4);
  await until('fresh again', () => s.rib.lookup('203.0.113.1')?.stale === false);
  t.deepEqual(events, [true], 'up once, never down across the restart');
});

test('with the N bit, a peer that stalls mid-message is dropped by the hold timer and its routes stay, stale and in use', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a, { holdTime: 3 });
  await peer.handshake(nBitOpen(30, false, 3));
  peer.announce([prefix4('203.0.113.0/24')], attributes([65001]));
  peer.endOfRib(Afi.IPv4);
  await until('route', () => s.rib.lookup('203.0.113.1'));
  // The header of an UPDATE that claims 4096 bytes, then 100 of them, then nothing: the framer holds a partial
  // message, and no further message arrives to restart the hold timer.
  const header = Buffer.alloc(19, 0xff);
  header.writeUInt16BE(4096, 16);
  header[18] = 2;
  peer.send(Buffer.concat([header, Buffer.alloc(100)]));
  const n = await peer.notification(15_000);
  t.deepEqual([n.code, n.subcode], [4, 0], 'Hold Timer Expired');
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  t.true(s.rib.lookup('203.0.113.1')?.stale, 'kept as stale (RFC 8538 4)');
  t.true(ribUp(s.rib, a.peer), 'still counts as up: its POP stays available');
});

test('a restarting peer that held no routes goes down in the RIB at once (nothing to keep its POP available for)', async (t) => {
  const a = next();
  const { s, peer } = await speakerWithPeer(t, a);
  await peer.handshake(grOpen(30));
  peer.endOfRib(Afi.IPv4);
  await until('up', () => ribUp(s.rib, a.peer));
  peer.destroy();
  await until('session down', () => s.speaker.neighbor(a.peer)!.status().state !== 'Established');
  await until('down in the RIB', () => !ribUp(s.rib, a.peer), 10_000);
  t.deepEqual(s.speaker.neighbor(a.peer)!.status().staleFamilies ?? [], [], 'no family held');
});

