import test, { type ExecutionContext } from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Afi, AsPathSegment, AsPathSegmentType, BgpError, PathAttributes, UnknownAttribute } from '../../src/bgp/index.js';
import { loadMrtIntoRib } from '../../src/replay/index.js';
import { createRib, parsePrefix, RibJournal, RibJournalError, RibReader, RibReplica, type RibJournalOptions } from '../../src/rib/index.js';
import { checksum } from '../../src/rib/journal.js';
import { Rib } from '../../src/rib/rib.js';
import { addressesToCheck, lookupFingerprint, neighborsFingerprint, totalsFingerprint } from './helpers/journal-compare.js';
import type { LookupReply, LookupRequest } from './helpers/journal-worker.js';
import { announce, attrs, withdraw } from './helpers/routes.js';

// Replication of the RIB through its writer face: real MRT data loaded through a RibJournal into the primary, its
// chunks applied to replicas (live from the first call, or from a snapshot taken mid-stream, in this thread or in
// a worker), and every replica compared with the primary through the reading face.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const mrtDir = process.env.SUPERSPARROW_SHARED_DIR
  ? path.resolve(process.env.SUPERSPARROW_SHARED_DIR, 'data/mrt')
  : path.resolve(repoRoot, '../shared/data/mrt');
const mrt = (name: string): string => path.join(mrtDir, name);

/** Update files (many peers, IPv4 and IPv6, withdrawals), RIB dumps (TABLE_DUMP_V2, ADD-PATH, TABLE_DUMP v1). */
const UPDATE_FILES = ['updates.20160811.1600.gz', 'updates.20070211.0141.gz', 'updates.long_withdrawal.gz', 'local_only-updates.bz2', 'quagga_bgp', 'openbgpd_bgp'];
const DUMP_FILES = ['bview.ipv4_unicast_add_path.gz', 'bview.ipv6_unicast_add_path.gz', 'bview.64k_stream_overflow.gz', 'openbgpd_rib_table', 'openbgpd_rib_table-v2', 'quagga_rib', 'bird-mrtdump_rib', 'bird6-mrtdump_rib'];
/** BIRD's dumps with ADD-PATH NLRI in plain BGP4MP records (see mrt-load.test.ts). */
const ADDPATH_FILES = ['bird_bgp', 'bird6_bgp'];

interface Primary {
  rib: Rib;
  reader: RibReader;
  journal: RibJournal;
}

function primary(options: RibJournalOptions = {}): Primary {
  const rib = new Rib({ sizing: 'small' });
  return { rib, reader: new RibReader(rib), journal: new RibJournal(rib, options) };
}

interface Follower {
  rib: Rib;
  reader: RibReader;
  replica: RibReplica;
  chunks: number;
  /** The first chunk the replica refused. */
  error?: unknown;
  stop: () => void;
}

/** A replica in this thread that applies each chunk as it comes. */
function follow(journal: RibJournal): Follower {
  const rib = new Rib({ sizing: 'small' });
  const f: Follower = { rib, reader: new RibReader(rib), replica: new RibReplica(rib), chunks: 0, stop: () => {} };
  f.stop = journal.subscribe((chunk) => {
    f.chunks++;
    try {
      f.replica.apply(chunk);
    } catch (err) {
      f.error ??= err;
    }
  });
  return f;
}

async function load(p: Primary, files: readonly string[], options: { addPathFallback?: boolean } = {}): Promise<void> {
  for (const file of files) await loadMrtIntoRib(mrt(file), p.journal, options);
  p.journal.flush();
}

/** Neighbors as the RIB holds them (all but the id, which is each RIB's own), by address then AS. */
function neighborRecords(rib: Rib): string[] {
  return rib
    .neighbors()
    .map(({ id: _id, ...n }) => JSON.stringify(n))
    .sort();
}

/** Asserts that `replica` answers as `primary` for the addresses, views of a few neighbors, neighbors and totals. */
function assertSame(t: ExecutionContext, p: Primary, replica: Follower, addresses: readonly string[], label: string): void {
  t.is(replica.error, undefined, `${label}: the replica refused a chunk`);
  t.is(totalsFingerprint(replica.reader), totalsFingerprint(p.reader), `${label}: totals`);
  t.deepEqual(neighborRecords(replica.rib), neighborRecords(p.rib), `${label}: neighbors`);
  t.is(neighborsFingerprint(replica.reader), neighborsFingerprint(p.reader), `${label}: neighbors as front ends see them`);
  const viewAddresses = [...new Set(p.reader.neighbors().map((n) => n.address))].sort().slice(0, 3);
  const pViews = viewAddresses.map((a) => p.reader.view({ neighbors: [a] }));
  const rViews = viewAddresses.map((a) => replica.reader.view({ neighbors: [a] }));
  let differ = 0;
  let found = 0;
  for (const address of addresses) {
    const want = lookupFingerprint(p.reader, address, pViews);
    const got = lookupFingerprint(replica.reader, address, rViews);
    if (want.includes('"prefix"')) found++;
    if (got !== want && differ++ === 0) t.deepEqual(JSON.parse(got), JSON.parse(want), `${label}: lookup of ${address}`);
  }
  t.is(differ, 0, `${label}: ${differ} of ${addresses.length} lookups differ`);
  t.true(found > addresses.length / 4, `${label}: only ${found} of ${addresses.length} addresses matched a route`);
}

test('a replica fed from the first call answers every lookup as the primary (RIS updates with withdrawals, RIB dumps, ADD-PATH)', async (t) => {
  const p = primary();
  const live = follow(p.journal);
  await load(p, UPDATE_FILES);
  await load(p, DUMP_FILES);
  await load(p, ADDPATH_FILES, { addPathFallback: true });
  t.true(p.reader.routeCount > 20000);
  t.true(p.reader.prefixCount(Afi.IPv6) > 400, `${p.reader.prefixCount(Afi.IPv6)} IPv6 prefixes`);
  t.true(live.replica.synced);
  t.true(live.replica.settled);
  const addresses = addressesToCheck(p.reader, 2000);
  t.log(`${p.reader.routeCount} routes from ${p.reader.neighbors().length} neighbors, ${p.reader.attributeSetCount} sets; ` +
    `${live.chunks} chunks (${p.journal.bytesShipped} bytes); ${addresses.length} addresses`);
  assertSame(t, p, live, addresses, 'live');
});

test('a replica that subscribes mid-stream gets a snapshot, then the live stream, and ends identical (small chunks too)', async (t) => {
  for (const chunkBytes of [undefined, 1024]) {
    const p = primary({ chunkBytes });
    const first = follow(p.journal);
    await load(p, ['updates.20160811.1600.gz', 'bview.ipv6_unicast_add_path.gz']);
    const late = follow(p.journal);
    t.true(late.replica.synced, 'synced once subscribe returns');
    assertSame(t, p, late, addressesToCheck(p.reader, 1000, 2), `snapshot (chunks of ${chunkBytes ?? 'default'} bytes)`);
    await load(p, ['updates.20070211.0141.gz', 'updates.long_withdrawal.gz', 'bview.ipv4_unicast_add_path.gz', 'quagga_rib']);
    const addresses = addressesToCheck(p.reader, 1500, 3);
    assertSame(t, p, first, addresses, 'live from the start');
    assertSame(t, p, late, addresses, 'snapshot, then live');
    t.is(late.replica.chunks, late.chunks);
  }
});

test('removing neighbors reaches the replicas, live and in a later snapshot', async (t) => {
  const p = primary();
  const live = follow(p.journal);
  const result = await loadMrtIntoRib(mrt('updates.20160811.1600.gz'), p.journal);
  const ids = [...result.neighbors.values()].map((n) => n.id);
  for (const id of ids.slice(0, ids.length >> 1)) t.true(p.journal.removeNeighbor(id) >= 0);
  p.journal.flush();
  t.is(p.reader.neighbors().length, ids.length - (ids.length >> 1));
  const late = follow(p.journal);
  // Ids the primary hands out again after removals map to the replicas' own.
  await loadMrtIntoRib(mrt('updates.20070211.0141.gz'), p.journal);
  p.journal.flush();
  const addresses = addressesToCheck(p.reader, 1500, 4);
  assertSame(t, p, live, addresses, 'live');
  assertSame(t, p, late, addresses, 'snapshot after removals');
});

test('stale marks (markStale, re-announcement, sweepStale) reach the replicas live and in a snapshot', async (t) => {
  const p = primary();
  const live = follow(p.journal);
  const result = await loadMrtIntoRib(mrt('updates.20160811.1600.gz'), p.journal);
  const busiest = [...result.neighbors.values()]
    .map((n) => ({ ...n, routes: p.journal.prefixCount(n.id, Afi.IPv4) + p.journal.prefixCount(n.id, Afi.IPv6) }))
    .sort((x, y) => y.routes - x.routes);
  const [n1, n2] = busiest;
  // n1 restarts (IPv4 only) and sends part of its table again; n2 restarts in both families.
  t.true(p.journal.markStale(n1!.id, Afi.IPv4) > 0);
  t.true(p.journal.markStale(n2!.id) > 0);
  let again = 0;
  p.reader.forEachRoute(
    Afi.IPv4,
    (r) => {
      if (again++ % 2 === 0) p.journal.announce(n1!.id, Afi.IPv4, r.pathId, r.a, 0, 0, 0, r.length, r.attributes);
    },
    n1!.address,
  );
  p.journal.setSessionUp(n1!.id, true);
  p.journal.flush();
  const late = follow(p.journal);
  let stale = 0;
  p.reader.forEachRoute(Afi.IPv4, (r) => void (r.neighbor === n1!.address && p.reader.paths(Afi.IPv4, p.rib.exact(Afi.IPv4, r.a, 0, 0, 0, r.length)).some((x) => x.stale) && stale++));
  t.true(stale > 0, 'some of n1 stays stale');
  const addresses = addressesToCheck(p.reader, 1500, 5);
  assertSame(t, p, live, addresses, 'live, stale');
  assertSame(t, p, late, addresses, 'snapshot, stale');
  t.true(p.journal.sweepStale(n1!.id, Afi.IPv4) > 0);
  t.true(p.journal.sweepStale(n2!.id) > 0);
  p.journal.flush();
  const after = addressesToCheck(p.reader, 1500, 6);
  assertSame(t, p, live, after, 'live, swept');
  assertSame(t, p, late, after, 'snapshot then live, swept');
});

for (const internBytes of ['new-sets', 'every-intern'] as const) {
  test(`an attribute set id the primary frees and hands out again reaches the replica as the new set (internBytes ${internBytes})`, (t) => {
    const p = primary({ internBytes });
    const live = follow(p.journal);
    const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 1 });
    p.journal.setSessionUp(n, true);
    const a = attrs([65001, 64500], { med: 10, communities: Uint32Array.of(0xfde80001) });
    const b = attrs([65001, 64501, 64502], { med: 20, largeCommunities: Uint32Array.of(65001, 1, 2) });
    announce(p.journal, n, '198.51.100.0/24', a);
    const idA = p.rib.routeAttrOf(p.rib.bestRoute(Afi.IPv4, p.rib.exact(Afi.IPv4, 0xc6336400, 0, 0, 0, 24)));
    announce(p.journal, n, '2001:db8::/32', a);
    t.true(withdraw(p.journal, n, '198.51.100.0/24'));
    t.true(withdraw(p.journal, n, '2001:db8::/32'));
    // Set A is gone; B takes its id.
    announce(p.journal, n, '203.0.113.0/24', b);
    const idB = p.rib.routeAttrOf(p.rib.bestRoute(Afi.IPv4, p.rib.exact(Afi.IPv4, 0xcb007100, 0, 0, 0, 24)));
    t.is(idB, idA, 'the primary reused the id');
    p.journal.flush();
    const got = live.reader.lookupText('203.0.113.7');
    t.deepEqual(live.reader.attributesOf(got.attributes), p.rib.attributesOf(idB));
    t.is(live.reader.firstAs(got.attributes), 65001);
    t.is(live.reader.pathLength(got.attributes), 3);
    t.true(live.reader.hasLargeCommunity(got.attributes, 65001, 1, 2));
    t.false(live.reader.hasCommunity(got.attributes, 0xfde80001));
    t.is(live.reader.attributeSetCount, 1);
    assertSame(t, p, live, ['203.0.113.7', '198.51.100.1', '2001:db8::1'], 'after reuse');
  });
}

test('references to sets held across a subscription, and calls that threw on the primary, end the same on the replica', (t) => {
  const p = primary();
  const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 1, ibgp: false });
  const held = p.journal.intern(attrs([65001, 64496], { localPref: 200 }));
  p.journal.retain(held);
  announce(p.journal, n, '192.0.2.0/24', attrs([65001]));
  const late = follow(p.journal);
  // The snapshot left the replica holding the caller's two references: giving them back frees the set there too.
  p.journal.release(held);
  p.journal.release(held);
  t.throws(() => p.journal.release(held), { instanceOf: Error });
  // announceRows whose third row has a length IPv4 has not: the first two go in, then the RIB throws.
  const id = p.journal.intern(attrs([65001, 64497]));
  const rows = Int32Array.from([
    ...[Afi.IPv4, 0, 0x0a000000, 0, 0, 0, 8],
    ...[Afi.IPv4, 7, 0x0b000000, 0, 0, 0, 8],
    ...[Afi.IPv4, 0, 0x0c000000, 0, 0, 0, 40],
    ...[Afi.IPv4, 0, 0x0d000000, 0, 0, 0, 8],
  ]);
  t.throws(() => p.journal.announceRows(n, rows, 4, id), { instanceOf: RangeError });
  t.throws(() => p.journal.announce(n, Afi.IPv6, 0, 0x20010db8, 0, 0, 0, 32, 999), { instanceOf: RangeError });
  t.throws(() => p.journal.setSessionUp(77, true), { instanceOf: RangeError });
  p.journal.release(id);
  p.journal.flush();
  t.is(p.reader.routeCount, 3);
  t.true(late.replica.synced);
  assertSame(t, p, late, ['10.1.2.3', '11.0.0.1', '12.0.0.1', '13.0.0.1', '192.0.2.9'], 'after throws');
  t.is(late.reader.attributeSetCount, 2);
});

test('neighbors keep their AS numbers, router id, iBGP and name; sessions their state; paths their ADD-PATH ids', (t) => {
  const p = primary();
  const live = follow(p.journal);
  const rr1 = { address: '2001:db8::1', remoteAs: 65000, localAs: 65000, routerId: 0x0a000001, name: 'rr1' };
  const n1 = p.journal.addNeighbor(rr1);
  const n2 = p.journal.addNeighbor({ address: '192.0.2.2', remoteAs: 65002, localAs: 65000, routerId: 0x0a000002, ibgp: true });
  const n3 = p.journal.addNeighbor({ address: '192.0.2.3', remoteAs: 65003, localAs: 65000, routerId: 0x0a000000 });
  p.journal.setSessionUp(n1, true);
  p.journal.setSessionUp(n3, true);
  p.journal.setSessionUp(n3, false);
  p.journal.setSessionUp(n2, true);
  for (const [n, pathId, path, localPref] of [
    [n1, 1, [64500], 100],
    [n1, 2, [64501, 64500], 300],
    [n2, 0, [65002, 64500], 150],
    [n3, 0, [65003], -1],
  ] as const) {
    announce(p.journal, n, '198.51.100.0/24', attrs([...path], { localPref }), pathId);
    announce(p.journal, n, '2001:db8:100::/40', attrs([...path], { localPref, mpNextHop: Uint8Array.of(0x20, 1, 0xd, 0xb8, ...new Array(11).fill(0), n + 1) }), pathId);
  }
  p.journal.flush();
  const late = follow(p.journal);
  const addresses = ['198.51.100.1', '2001:db8:100::1', '2001:db8:1::1'];
  assertSame(t, p, live, addresses, 'live');
  assertSame(t, p, late, addresses, 'snapshot');
  t.is(lookupFingerprint(late.reader, '198.51.100.1').includes('"localPref":300'), true, 'the iBGP path with LOCAL_PREF 300 wins');
});

test('flush() ships nothing when nothing is pending, and a journal without subscribers records nothing', (t) => {
  const p = primary();
  const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 1 });
  announce(p.journal, n, '192.0.2.0/24', attrs([65001]));
  p.journal.flush();
  t.is(p.journal.chunksShipped, 0);
  const chunks: ArrayBuffer[] = [];
  const stop = p.journal.subscribe((c) => chunks.push(c));
  t.is(chunks.length, 1, 'the snapshot');
  p.journal.flush();
  p.journal.flush();
  t.is(chunks.length, 1, 'nothing pending: nothing shipped');
  announce(p.journal, n, '198.51.100.0/24', attrs([65001]));
  t.is(chunks.length, 1, 'records wait for flush()');
  p.journal.flush();
  t.is(chunks.length, 2);
  t.is(p.journal.subscriberCount, 1);
  stop();
  t.is(p.journal.subscriberCount, 0);
  announce(p.journal, n, '203.0.113.0/24', attrs([65001]));
  p.journal.flush();
  t.is(chunks.length, 2, 'unsubscribed: nothing shipped');
  const replica = createRib({ sizing: 'small' });
  const r = new RibReplica(replica.writer);
  for (const c of chunks) r.apply(c);
  t.is(replica.reader.routeCount, 2);
});

test('a damaged, truncated, foreign or out-of-order chunk throws a RibJournalError and applies nothing; a bad record fails the replica', (t) => {
  const p = primary();
  const chunks: Uint8Array[] = [];
  p.journal.subscribe((c) => chunks.push(new Uint8Array(c)));
  const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 1 });
  announce(p.journal, n, '192.0.2.0/24', attrs([65001]));
  p.journal.flush();
  announce(p.journal, n, '198.51.100.0/24', attrs([65001, 64496]));
  p.journal.flush();
  t.is(chunks.length, 3);
  const { writer, reader } = createRib({ sizing: 'small' });
  const replica = new RibReplica(writer);
  const code = (c: Uint8Array): string => {
    const err = t.throws(() => replica.apply(c), { instanceOf: RibJournalError });
    return err!.code;
  };
  t.is(code(chunks[1]!), 'sequence', 'a stream must start with its first chunk');
  replica.apply(chunks[0]!);
  const damaged = chunks[1]!.slice();
  damaged[damaged.length - 3]! ^= 0x10;
  t.is(code(damaged), 'checksum');
  t.is(code(chunks[1]!.slice(0, chunks[1]!.length - 1)), 'format');
  t.is(code(chunks[1]!.slice(0, 10)), 'format');
  const foreign = chunks[1]!.slice();
  foreign[0] = 0x50;
  t.is(code(foreign), 'format');
  const future = chunks[1]!.slice();
  future[2] = 9;
  t.is(code(future), 'format');
  t.is(code(chunks[2]!), 'sequence', 'a chunk lost');
  t.is(reader.routeCount, 0, 'nothing applied');
  replica.apply(chunks[1]!);
  replica.apply(chunks[2]!);
  t.is(reader.routeCount, 2);
  t.is(code(chunks[2]!), 'sequence', 'a chunk repeated');

  // A record that parses but is wrong (its checksum made right): the replica fails and stays failed.
  announce(p.journal, n, '203.0.113.0/24', attrs([65001, 64497]));
  p.journal.flush();
  const bad = chunks[3]!.slice();
  bad[16] = 0x3f; // an op that does not exist
  new DataView(bad.buffer).setUint32(12, checksum(bad, 16, bad.length), true);
  t.is(code(bad), 'corrupt');
  t.is(code(chunks[3]!), 'failed');
});

test('an unknown neighbor or attribute set in a record is corrupt input, and a call the replica refuses is a divergence', (t) => {
  // Make a primary whose stream names a neighbor the replica never saw: a stream started without its snapshot.
  const p = primary();
  const chunks: Uint8Array[] = [];
  p.journal.subscribe((c) => chunks.push(new Uint8Array(c)));
  const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 1 });
  announce(p.journal, n, '192.0.2.0/24', attrs([65001]));
  p.journal.flush();
  // The replica gets the snapshot (empty), then a copy of chunk 1 without its AddNeighbor record.
  const body = chunks[1]!;
  const withoutNeighbor = Uint8Array.from([...body.subarray(0, 16), ...body.subarray(16 + 1 + 2 + 12 + 1 + 2 + '192.0.2.1'.length)]);
  new DataView(withoutNeighbor.buffer).setUint32(8, withoutNeighbor.length - 16, true);
  new DataView(withoutNeighbor.buffer).setUint32(12, checksum(withoutNeighbor, 16, withoutNeighbor.length), true);
  const r1 = new RibReplica(createRib({ sizing: 'small' }).writer);
  r1.apply(chunks[0]!);
  t.is(t.throws(() => r1.apply(withoutNeighbor), { instanceOf: RibJournalError })!.code, 'corrupt');

  // A replica whose RIB already holds a neighbor of that address and a route: the snapshot's totals differ.
  const other = createRib({ sizing: 'small' });
  const stray = other.writer.addNeighbor({ address: '192.0.2.99', remoteAs: 1, localAs: 2, routerId: 3 });
  announce(other.writer, stray, '10.0.0.0/8', attrs([1]));
  const later: Uint8Array[] = [];
  p.journal.subscribe((c) => later.push(new Uint8Array(c)));
  const r2 = new RibReplica(other.writer);
  r2.apply(later[0]!);
  t.true(r2.synced, 'its own extra neighbor is not one the stream knows: totals count mapped neighbors');
  // A call the replica's RIB refuses although the primary's did not (its neighbor removed behind its back).
  other.writer.removeNeighbor(1);
  announce(p.journal, n, '198.51.100.0/24', attrs([65001]));
  p.journal.flush();
  t.is(t.throws(() => r2.apply(later[1]!), { instanceOf: RibJournalError })!.code, 'diverged');
});

test('a replica in a worker thread, fed over a MessagePort with transferred chunks, answers lookups as the primary', async (t) => {
  const p = primary();
  await load(p, ['updates.20160811.1600.gz']);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./helpers/journal-worker.js', import.meta.url), { workerData: { port: port2 }, transferList: [port2] });
  try {
    let sent = 0;
    const stop = p.journal.subscribe((chunk) => {
      port1.postMessage(chunk, [chunk]);
      sent++;
      t.is(chunk.byteLength, 0, 'transferred: the primary keeps no copy');
    });
    await load(p, ['updates.20070211.0141.gz', 'bview.ipv6_unicast_add_path.gz', 'updates.long_withdrawal.gz']);
    const ask = (request: LookupRequest): Promise<LookupReply> =>
      new Promise((resolve) => {
        port1.once('message', (reply: LookupReply) => resolve(reply));
        port1.postMessage(request);
      });
    const addresses = addressesToCheck(p.reader, 1000, 7);
    const views = [...new Set(p.reader.neighbors().map((n) => n.address))].sort().slice(0, 3);
    const reply = await ask({ addresses, views });
    t.is(reply.error, undefined);
    t.true(reply.synced);
    t.is(reply.chunks, sent);
    t.is(reply.totals, totalsFingerprint(p.reader));
    t.is(reply.neighbors, neighborsFingerprint(p.reader));
    const pViews = views.map((a) => p.reader.view({ neighbors: [a] }));
    const want = addresses.map((a) => lookupFingerprint(p.reader, a, pViews));
    const differ = want.filter((w, i) => w !== reply.answers![i]).length;
    t.is(differ, 0, `${differ} of ${addresses.length} lookups differ`);
    t.log(`${sent} chunks transferred, ${p.reader.routeCount} routes, ${addresses.length} lookups answered by the worker`);
    stop();
  } finally {
    port1.close();
    await worker.terminate();
  }
});

test('the full RIS table (577k routes): a live replica and a snapshot replica answer as the primary', async (t) => {
  const p = primary();
  const live = follow(p.journal);
  await load(p, ['updates.et-header.2015.gz']);
  t.true(p.reader.routeCount > 570000);
  const t0 = performance.now();
  const late = follow(p.journal);
  t.log(`${p.reader.routeCount} routes, ${p.reader.attributeSetCount} sets; snapshot encoded and applied in ${(performance.now() - t0).toFixed(0)} ms`);
  const addresses = addressesToCheck(p.reader, 5000, 8);
  assertSame(t, p, live, addresses, 'live');
  assertSame(t, p, late, addresses, 'snapshot');
});

test('prefixes with host bits set and a /0 travel exactly as given', (t) => {
  const p = primary();
  const live = follow(p.journal);
  const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 1 });
  const id = p.journal.intern(attrs([65001]));
  // Host bits past the prefix (the RIB's callers clear them; the journal must not).
  p.journal.announce(n, Afi.IPv4, 0, 0x0a000001, 0, 0, 0, 8, id);
  p.journal.announce(n, Afi.IPv6, 0, 0x20010db8, 0, 0, 1, 32, id);
  p.journal.announce(n, Afi.IPv4, 0, 0, 0, 0, 0, 0, id);
  const q = parsePrefix('2001:db8:ffff:ff00::/57');
  p.journal.announce(n, Afi.IPv6, 3, q.a, q.b, q.c, q.d, q.length, id);
  p.journal.release(id);
  p.journal.flush();
  t.deepEqual(
    live.rib.ipv4.sorted().length + live.rib.ipv6.sorted().length,
    p.rib.ipv4.sorted().length + p.rib.ipv6.sorted().length,
  );
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    const words = (rib: Rib): number[][] =>
      Array.from(rib.table(afi).sorted(), (id) => {
        const w = new Uint32Array(4);
        rib.table(afi).wordsOf(id, w);
        return [...w, rib.prefixLength(afi, id)];
      });
    t.deepEqual(words(live.rib), words(p.rib));
  }
  assertSame(t, p, live, ['10.0.0.1', '1.1.1.1', '2001:db8:ffff:ff00::1', '2001:db8::1'], 'host bits');
});

test('a new attribute set carries every field exactly (AS_SET, confederations, communities, clusters, unknown and discarded attributes)', (t) => {
  const p = primary();
  const live = follow(p.journal);
  const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65001, routerId: 1 });
  const a = new PathAttributes();
  a.origin = 2;
  a.asPath = [
    new AsPathSegment(AsPathSegmentType.ConfedSequence, [65010, 65011]),
    new AsPathSegment(AsPathSegmentType.AsSequence, [4200000000, 65001]),
    new AsPathSegment(AsPathSegmentType.AsSet, [64496, 64497]),
  ];
  a.nextHop = 0xc0000201;
  a.med = 0;
  a.localPref = 4294967295;
  a.atomicAggregate = true;
  a.aggregatorAs = 4200000001;
  a.aggregatorAddress = 0x0a000001;
  a.communities = Uint32Array.of(0xffffff01, 0xfde80064);
  a.originatorId = 0x0a0000fe;
  a.clusterList = Uint32Array.of(1, 2, 3);
  a.extendedCommunities = Uint8Array.of(0, 2, 0xfd, 0xe8, 0, 0, 0, 1);
  a.largeCommunities = Uint32Array.of(4200000000, 1, 2, 65001, 3, 4);
  a.mpNextHop = Uint8Array.of(0x20, 1, 0xd, 0xb8, ...new Array(12).fill(0));
  a.mpNextHopLinkLocal = Uint8Array.of(0xfe, 0x80, ...new Array(14).fill(1));
  a.unknown = [new UnknownAttribute(0xc0, 99, Uint8Array.of(1, 2, 3)), new UnknownAttribute(0x80, 200, new Uint8Array(0))];
  a.discarded = [new BgpError(3, 5, 'AGGREGATOR length 7 (RFC 7606 7.7) ü', Uint8Array.of(7), 'attribute-discard')];
  const id = p.journal.intern(a);
  p.journal.announce(n, Afi.IPv6, 0, 0x20010db8, 0, 0, 0, 32, id);
  p.journal.release(id);
  p.journal.flush();
  const got = live.reader.lookupText('2001:db8::1');
  const want = p.reader.lookupText('2001:db8::1');
  const { discarded: gotDiscarded, ...gotRest } = live.reader.attributesOf(got.attributes);
  const { discarded: wantDiscarded, ...wantRest } = p.reader.attributesOf(want.attributes);
  t.deepEqual(gotRest, wantRest);
  const fields = (e: BgpError): unknown[] => [e.code, e.subcode, e.message, [...e.data], e.action];
  t.deepEqual(gotDiscarded!.map(fields), wantDiscarded!.map(fields));
  t.deepEqual(wantDiscarded!.map(fields), a.discarded.map(fields));
  t.is(live.reader.firstAs(got.attributes), 4200000000);
  t.is(live.reader.pathLength(got.attributes), 3);
  t.is(live.reader.med(got.attributes), 0);
  t.is(live.reader.localPref(got.attributes), 4294967295);
  t.is(live.reader.origin(got.attributes), 2);
  assertSame(t, p, live, ['2001:db8::1'], 'all fields');
});

test('onPending says once per chunk that something waits for flush(): the daemon schedules one flush from it', (t) => {
  let pending = 0;
  const p = primary({ onPending: () => pending++, chunkBytes: 1024 });
  const chunks: ArrayBuffer[] = [];
  p.journal.subscribe((c) => chunks.push(c));
  const n = p.journal.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 1 });
  p.journal.setSessionUp(n, true);
  const before = pending;
  t.true(before >= 1, 'the first record after the snapshot');
  announce(p.journal, n, '10.0.0.0/8', attrs([65001]));
  t.is(pending, before, 'records added to a chunk already pending say nothing more');
  const shipped = chunks.length;
  p.journal.flush();
  t.is(chunks.length, shipped + 1);
  p.journal.flush();
  t.is(chunks.length, shipped + 1, 'nothing pending: flush ships nothing');
  announce(p.journal, n, '10.1.0.0/16', attrs([65002]));
  t.is(pending, before + 1, 'the next record after a flush');
  // Records that fill chunks (1 KiB here): each new chunk says so again.
  for (let i = 0; i < 400; i++) announce(p.journal, n, `10.2.${i >> 8}.${i & 255}/32`, attrs([65003, i]));
  t.true(pending > before + 2);
});
