import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Afi, AsPathSegment, AsPathSegmentType, PathAttributes, formatAttributes, parseIpv4, parseIpv6 } from '../../src/bgp/index.js';
import { saveRibSnapshot } from '../../src/daemon/index.js';
import { readMrtRibEntries, readMrtRecords } from '../../src/mrt/index.js';
import { generateSyntheticTable } from '../../src/replay/index.js';
import { createRib, formatPrefix, LookupResult, parsePrefix, pathJson, type RibReader, type RibWriter } from '../../src/rib/index.js';
import { peerTest } from '../helpers/peers/index.js';
import { haveProgram, tempDir } from './helpers.js';

const bgpdumpMissing = haveProgram('bgpdump', ['-h']) ? [] : ['bgpdump is not installed (Debian bgpdump)'];

function attrs(asPath: number[], extra: Partial<PathAttributes> = {}): PathAttributes {
  const a = new PathAttributes();
  a.origin = 0;
  a.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, asPath)];
  return Object.assign(a, extra);
}

function announce(w: RibWriter, neighbor: number, prefix: string, a: PathAttributes, pathId = 0): void {
  const p = parsePrefix(prefix);
  const id = w.intern(a);
  w.announce(neighbor, p.afi, pathId, p.a, p.b, p.c, p.d, p.length, id);
  w.release(id);
}

/**
 * A RIB of three neighbors: an IPv4 one with communities and large communities, an IPv6 one with a 4-octet AS and
 * link-local next hops, and an ADD-PATH one with two paths for some prefixes; both families, shared sets.
 */
function sampleRib(): { writer: RibWriter; reader: RibReader; ids: { a: number; b: number; c: number } } {
  const rib = createRib({ sizing: 'small' });
  const w = rib.writer;
  const a = w.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: parseIpv4('10.0.0.1') });
  const b = w.addNeighbor({ address: '2001:db8::2', remoteAs: 4200000000, localAs: 65000, routerId: parseIpv4('10.0.0.2') });
  const c = w.addNeighbor({ address: '192.0.2.3', remoteAs: 65003, localAs: 65000, routerId: parseIpv4('10.0.0.3') });
  const shared = attrs([65001, 3356, 15169], {
    nextHop: parseIpv4('192.0.2.1'),
    med: 10,
    communities: Uint32Array.of((65001 << 16) | 100, 0xffffff01),
    largeCommunities: Uint32Array.of(65001, 1, 2, 4200000000, 3, 4),
  });
  for (const prefix of ['0.0.0.0/0', '8.8.8.0/24', '10.0.0.0/8', '10.1.128.0/17', '198.51.100.0/24', '203.0.113.128/25']) announce(w, a, prefix, shared);
  announce(w, a, '8.8.4.0/24', attrs([65001, 174, 15169], { nextHop: parseIpv4('192.0.2.1'), localPref: 200, atomicAggregate: true, aggregatorAs: 15169, aggregatorAddress: parseIpv4('8.8.4.1') }));
  const v6 = attrs([4200000000, 6939, 64512], { mpNextHop: parseIpv6('2001:db8::2'), mpNextHopLinkLocal: parseIpv6('fe80::2') });
  v6.asPath!.push(new AsPathSegment(AsPathSegmentType.AsSet, [64513, 4200000001]));
  for (const prefix of ['::/0', '2001:db8:100::/40', '2001:db8:200::/48', '2a00:1450::/32']) announce(w, b, prefix, v6);
  announce(w, b, '2001:db8:200:8000::/49', attrs([4200000000, 1299], { mpNextHop: parseIpv6('2001:db8::2') }));
  // ADD-PATH: two paths from one neighbor for the same prefixes, and one path of a prefix no one else has.
  announce(w, c, '10.0.0.0/8', attrs([65003, 1299, 15169], { nextHop: parseIpv4('192.0.2.3') }), 1);
  announce(w, c, '10.0.0.0/8', attrs([65003, 2914, 64999, 15169], { nextHop: parseIpv4('192.0.2.33') }), 2);
  announce(w, c, '2001:db8:100::/40', attrs([65003, 6939], { mpNextHop: parseIpv6('2001:db8::3') }), 7);
  announce(w, c, '100.64.0.0/10', attrs([65003], { nextHop: parseIpv4('192.0.2.3') }), 5);
  return { ...rib, ids: { a, b, c } };
}

/** Every path of the RIB as text, in the order a snapshot writes them (prefix order, best first). */
function ribPaths(reader: RibReader): string[] {
  const out: string[] = [];
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    reader.forEachRoute(afi, (r) => {
      const prefix = formatPrefix(afi, r.a, r.b, r.c, r.d, r.length);
      out.push(`${prefix} from ${r.neighbor} path ${r.pathId}: ${formatAttributes(reader.attributesOf(r.attributes)).join('; ')}`);
    });
  }
  return out;
}

async function snapshotPaths(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readMrtRibEntries(file)) {
    const prefix = formatPrefix(e.afi as Afi, e.a, e.b, e.c, e.d, e.length);
    if (e.attributes === null) throw new Error(`the attributes of ${prefix} did not decode`);
    out.push(`${prefix} from ${e.peer.addressText} path ${e.pathId}: ${formatAttributes(e.attributes).join('; ')}`);
  }
  return out;
}

test('a snapshot read back by our reader holds every path of the RIB with its peer, path id and attributes', async (t) => {
  const { reader } = sampleRib();
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'rib.mrt');
  const saved = await saveRibSnapshot(reader, file, { routerId: '10.255.0.1', viewName: 'supersparrow' });
  t.deepEqual(saved.prefixes, { ipv4: reader.prefixCount(Afi.IPv4), ipv6: reader.prefixCount(Afi.IPv6) });
  t.is(saved.paths, reader.routeCount);
  t.is(saved.bytes, statSync(file).size);
  t.false(existsSync(`${file}.tmp`), 'the temporary file is renamed');
  t.deepEqual(await snapshotPaths(file), ribPaths(reader));

  // The PEER_INDEX_TABLE: our router id, the view name, every neighbor with its BGP id and AS.
  const records = [];
  for await (const r of readMrtRecords(file)) records.push(r);
  const { decodePeerIndexTable } = await import('../../src/mrt/index.js');
  const table = decodePeerIndexTable(records[0]!);
  t.is(table.collectorBgpId, parseIpv4('10.255.0.1'));
  t.is(table.viewName, 'supersparrow');
  t.deepEqual(
    table.peers.map((p) => [p.addressText, p.as, p.bgpId]),
    reader.neighbors().map((n) => [n.address, n.remoteAs, n.routerId]),
  );
  // ADD-PATH subtypes only where a path id is kept: 10.0.0.0/8, 100.64.0.0/10 (IPv4), 2001:db8:100::/40 (IPv6).
  const subtypes = records.slice(1).map((r) => r.subtype);
  t.is(subtypes.filter((s) => s === 8).length, 2);
  t.is(subtypes.filter((s) => s === 10).length, 1);
  t.is(subtypes.length, reader.prefixCount(Afi.IPv4) + reader.prefixCount(Afi.IPv6), 'one record per prefix');
  // Sequence numbers count the RIB records from 0.
  t.deepEqual(records.slice(1).map((r) => r.body.readUInt32BE(0)), subtypes.map((_, i) => i));
});

test('a .gz snapshot is gzip and reads back the same', async (t) => {
  const { reader } = sampleRib();
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const plain = path.join(dir, 'rib.mrt');
  const gz = path.join(dir, 'rib.mrt.gz');
  await saveRibSnapshot(reader, plain, { routerId: '10.255.0.1', timestamp: 1_700_000_000 });
  const saved = await saveRibSnapshot(reader, gz, { routerId: '10.255.0.1', timestamp: 1_700_000_000 });
  t.is(saved.bytes, statSync(gz).size);
  t.deepEqual(gunzipSync(readFileSync(gz)), readFileSync(plain));
  t.deepEqual(await snapshotPaths(gz), ribPaths(reader));
});

test('a save into a folder that does not exist fails naming the file, and leaves nothing behind', async (t) => {
  const { reader } = sampleRib();
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'missing', 'rib.mrt');
  const err = await t.throwsAsync(saveRibSnapshot(reader, file, { routerId: '10.255.0.1' }));
  t.regex(err!.message, /cannot write the snapshot .*missing\/rib\.mrt/);
  t.false(existsSync(`${file}.tmp`));
});

test('routes that change while a save yields are written as they stand when their turn comes', async (t) => {
  const { writer, reader, ids } = sampleRib();
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'rib.mrt');
  // One prefix per turn: the changes below land between turns.
  const saving = saveRibSnapshot(reader, file, { routerId: '10.255.0.1', prefixesPerTurn: 1 });
  await new Promise((r) => setImmediate(r));
  const before = ribPaths(reader);
  // Withdraw a prefix not yet written, and give another not yet written a new set (its old set is freed: the
  // encoded-attribute cache must not serve the old bytes for the handle).
  const gone = parsePrefix('203.0.113.128/25');
  t.true(writer.withdraw(ids.a, Afi.IPv4, 0, gone.a, gone.b, gone.c, gone.d, gone.length) as boolean);
  announce(writer, ids.c, '100.64.0.0/10', attrs([65003, 64496], { nextHop: parseIpv4('192.0.2.3') }), 5);
  await saving;
  const after = ribPaths(reader);
  t.notDeepEqual(after, before);
  t.deepEqual(await snapshotPaths(file), after);
});

test('a prefix whose paths all come from neighbors added since a save began gets no record (an empty one says nothing)', async (t) => {
  const { writer, reader, ids } = sampleRib();
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'rib.mrt');
  const saving = saveRibSnapshot(reader, file, { routerId: '10.255.0.1', prefixesPerTurn: 1 });
  await new Promise((r) => setImmediate(r));
  // 203.0.113.128/25 (not yet written) moves from neighbor a to a neighbor the PEER_INDEX_TABLE does not have.
  const late = writer.addNeighbor({ address: '192.0.2.4', remoteAs: 65004, localAs: 65000, routerId: parseIpv4('10.0.0.4') });
  const moved = parsePrefix('203.0.113.128/25');
  announce(writer, late, '203.0.113.128/25', attrs([65004], { nextHop: parseIpv4('192.0.2.4') }));
  t.true(writer.withdraw(ids.a, Afi.IPv4, 0, moved.a, moved.b, moved.c, moved.d, moved.length) as boolean);
  const saved = await saving;
  const records = [];
  for await (const r of readMrtRecords(file)) records.push(r);
  const ribRecords = records.slice(1);
  // Entry count: after the sequence number, the prefix length and the prefix bytes.
  const entryCounts = ribRecords.map((r) => r.body.readUInt16BE(5 + ((r.body[4]! + 7) >> 3)));
  t.true(entryCounts.every((n) => n > 0), `entry counts ${entryCounts.join(' ')}`);
  t.is(saved.prefixes.ipv4 + saved.prefixes.ipv6, ribRecords.length, 'the prefixes said written are the records');
  t.is(saved.prefixes.ipv4, reader.prefixCount(Afi.IPv4) - 1);
  t.false((await snapshotPaths(file)).some((p) => p.startsWith('203.0.113.128/25')));
  t.deepEqual(ribRecords.map((r) => r.body.readUInt32BE(0)), ribRecords.map((_, i) => i), 'sequence numbers without a gap');
});

peerTest(bgpdumpMissing, 'bgpdump -m reads a snapshot: the RIB\'s prefixes per family, every path, the same AS paths and next hops', async (t) => {
  const { reader } = sampleRib();
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'rib.mrt');
  await saveRibSnapshot(reader, file, { routerId: '10.255.0.1' });
  const r = spawnSync('bgpdump', ['-m', file], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.is(lines.length, reader.routeCount, 'one line per path');
  // TABLE_DUMP2|time|B|peer|peerAS|prefix|ASpath|origin|nexthop|...; the _AP lines have the path id after the prefix.
  const rows = lines.map((l) => {
    const f = l.split('|');
    const ap = f[0] === 'TABLE_DUMP2_AP';
    t.true(f[0] === 'TABLE_DUMP2' || ap, l);
    return { peer: f[3]!, peerAs: Number(f[4]), prefix: f[5]!, pathId: ap ? Number(f[6]) : 0, asPath: f[ap ? 7 : 6]!, nextHop: f[ap ? 9 : 8]! };
  });
  const distinct = (v6: boolean) => new Set(rows.filter((x) => x.prefix.includes(':') === v6).map((x) => x.prefix)).size;
  t.is(distinct(false), reader.prefixCount(Afi.IPv4));
  t.is(distinct(true), reader.prefixCount(Afi.IPv6));
  // Every path against the RIB's own JSON (what `routes --json` prints).
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    reader.forEachRoute(afi, (route) => {
      const prefix = formatPrefix(afi, route.a, route.b, route.c, route.d, route.length);
      const json = pathJson(reader.paths(afi, prefixId(reader, prefix)).find((p) => p.neighbor === route.neighbor && p.pathId === route.pathId)!);
      const row = rows.find((x) => x.prefix === prefix && x.peer === route.neighbor && x.pathId === route.pathId);
      t.truthy(row, `bgpdump shows ${prefix} from ${route.neighbor} path ${route.pathId}`);
      const asPath = json.asPath.map((x) => (Array.isArray(x) ? `{${x.join(',')}}` : String(x))).join(' ');
      t.is(row!.asPath, asPath, prefix);
      t.is(row!.nextHop, json.nextHop ?? '', prefix);
      t.is(row!.peerAs, json.neighborAs ?? -1, prefix);
    });
  }
});

/** The RIB's handle of an exact prefix. */
function prefixId(reader: RibReader, prefix: string): number {
  const p = parsePrefix(prefix);
  const out = new LookupResult();
  reader.exact(p.afi, p.a, p.b, p.c, p.d, p.length, out);
  return out.prefix;
}

test('a full-size table saves in reasonable time, and reads back with every path', async (t) => {
  const synthetic = generateSyntheticTable({ peerAs: 64500 });
  const rib = createRib();
  // Two neighbors with the whole table each (the second with its own first AS): ~1.5M paths over ~2x the sets.
  for (const [n, address, as] of [[0, '192.0.2.1', 64500], [1, '192.0.2.2', 64501]] as const) {
    const id = rib.writer.addNeighbor({ address, remoteAs: as, localAs: 65000, routerId: n + 1 });
    t.is(id, n);
    for (const g of synthetic.groups) {
      const a = g.attributes;
      if (n === 1) a.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [as, ...a.asPath![0]!.asns.slice(1)]), ...a.asPath!.slice(1)];
      const attrId = rib.writer.intern(a);
      const step = g.afi === Afi.IPv4 ? 2 : 5;
      for (let i = 0; i < g.prefixes.length; i += step) {
        if (g.afi === Afi.IPv4) rib.writer.announce(id, Afi.IPv4, 0, g.prefixes[i]!, 0, 0, 0, g.prefixes[i + 1]!, attrId);
        else rib.writer.announce(id, Afi.IPv6, 0, g.prefixes[i]!, g.prefixes[i + 1]!, g.prefixes[i + 2]!, g.prefixes[i + 3]!, g.prefixes[i + 4]!, attrId);
      }
      rib.writer.release(attrId);
    }
  }
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['full.mrt', 'full.mrt.gz']) {
    const file = path.join(dir, name);
    // Event-loop turns during the save: the longest gap between two of them is what a keepalive would wait.
    let longestGapMs = 0;
    let last = performance.now();
    let ticking = true;
    const tick = (): void => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const saved = await saveRibSnapshot(rib.reader, file, { routerId: '10.255.0.1' });
    ticking = false;
    t.log(`${name}: ${saved.paths} paths, ${saved.prefixes.ipv4} + ${saved.prefixes.ipv6} prefixes, ${saved.bytes} bytes in ${saved.seconds} s; longest event-loop gap ${longestGapMs.toFixed(1)} ms`);
    t.is(saved.paths, rib.reader.routeCount);
    t.deepEqual(saved.prefixes, { ipv4: rib.reader.prefixCount(Afi.IPv4), ipv6: rib.reader.prefixCount(Afi.IPv6) });
    let read = 0;
    const started = performance.now();
    for await (const e of readMrtRibEntries(file)) {
      if (e.attributes === null) t.fail('attributes did not decode');
      read++;
    }
    t.log(`${name}: read back by readMrtRibEntries in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    t.is(read, saved.paths);
  }
});
