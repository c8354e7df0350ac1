import test from 'ava';
import { getHeapSpaceStatistics } from 'node:v8';
import { AsPathSegment, AsPathSegmentType, BgpError, PathAttributes, UnknownAttribute } from '../../src/bgp/index.js';
import { AttributeStore } from '../../src/rib/attribute-store.js';

/** A set with every field PathAttributes has, several of them large enough for multi-byte varint counts. */
function everything(): PathAttributes {
  const a = new PathAttributes();
  a.origin = 1;
  a.asPath = [
    new AsPathSegment(AsPathSegmentType.ConfedSequence, [64512, 64513]),
    new AsPathSegment(AsPathSegmentType.AsSequence, Array.from({ length: 200 }, (_, i) => 4200000000 + i)),
    new AsPathSegment(AsPathSegmentType.AsSet, [7, 8]),
    new AsPathSegment(AsPathSegmentType.ConfedSet, [64514]),
  ];
  a.nextHop = 0xc0000201;
  a.med = 0xffffffff;
  a.localPref = 0;
  a.atomicAggregate = true;
  a.aggregatorAs = 4200000000;
  a.aggregatorAddress = 0xc6336401;
  a.communities = Uint32Array.from({ length: 300 }, (_, i) => ((65000 << 16) | i) >>> 0);
  a.originatorId = 0x0a000001;
  a.clusterList = Uint32Array.of(0x0a000002, 0x0a000003);
  a.extendedCommunities = Uint8Array.of(0, 2, 0xfd, 0xe8, 0, 0, 0, 100);
  a.largeCommunities = Uint32Array.of(4200000000, 1, 2, 65000, 0, 4294967295);
  a.mpNextHop = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  a.mpNextHopLinkLocal = Uint8Array.from({ length: 16 }, (_, i) => 0xfe - i);
  a.unknown = [new UnknownAttribute(0xc0, 99, Uint8Array.of(1, 2, 3)), new UnknownAttribute(0x80, 200, new Uint8Array(300).fill(9))];
  a.discarded = [new BgpError(3, 5, 'AGGREGATOR has bad length 5', Uint8Array.of(0xc0, 7, 5, 1, 2, 3, 4, 5), 'attribute-discard')];
  return a;
}

/** What a typical full-table route carries. */
function typical(): PathAttributes {
  const a = new PathAttributes();
  a.origin = 0;
  a.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [3356, 174, 65001, 65002, 65003])];
  a.nextHop = 0xc0000201;
  a.med = 10;
  a.communities = Uint32Array.of((3356 << 16) | 2, (3356 << 16) | 501);
  return a;
}

test('get gives back every attribute of an interned set, large counts included', (t) => {
  const s = new AttributeStore(1024);
  const a = everything();
  const back = s.get(s.intern(a));
  const { discarded, ...rest } = back;
  const { discarded: wantDiscarded, ...wantRest } = a;
  t.deepEqual(rest, wantRest);
  t.is(discarded!.length, 1);
  const e = discarded![0]!;
  const w = wantDiscarded![0]!;
  t.true(e instanceof BgpError);
  t.deepEqual([e.code, e.subcode, e.message, Array.from(e.data), e.action], [w.code, w.subcode, w.message, Array.from(w.data), w.action]);
});

test('get gives back an empty set, and a set with only ATOMIC_AGGREGATE, as they were', (t) => {
  const s = new AttributeStore(1024);
  t.deepEqual(s.get(s.intern(new PathAttributes())), new PathAttributes());
  const atomic = new PathAttributes();
  atomic.atomicAggregate = true;
  t.deepEqual(s.get(s.intern(atomic)), atomic);
  const emptyPath = new PathAttributes();
  emptyPath.asPath = [];
  t.deepEqual(s.get(s.intern(emptyPath)).asPath, [], 'an empty AS_PATH stays present');
});

test('equal sets share one id and are freed with their last reference; different sets do not', (t) => {
  const s = new AttributeStore(1024);
  const id = s.intern(typical());
  t.is(s.intern(typical()), id);
  const other = typical();
  other.med = 11;
  t.not(s.intern(other), id);
  t.is(s.size, 2);
  s.release(id);
  t.true(s.has(id));
  s.release(id);
  t.false(s.has(id));
  t.is(s.size, 1);
  t.throws(() => s.get(id), { instanceOf: RangeError });
});

test('a typical set takes 43 bytes of arena, and the per-set arrays bytesPerSet more', (t) => {
  const s = new AttributeStore(1024);
  s.intern(new PathAttributes()); // the first set: so that the next one moves only the arena and the arrays
  const before = s.usedBytes;
  s.intern(typical());
  // mask 2, ORIGIN 1, AS_PATH 1 + 1 + 1 + 5 x 4, NEXT_HOP 4, MED 4, COMMUNITIES 1 + 2 x 4
  t.is(s.usedBytes - before - s.bytesPerSet, 43);
  t.is(s.bytesPerSet, 42, 'refs, offset, byteLength, setHash, serial, localPref, med, neighborAs, originatorId: 4; pathLength, clusterListLength: 2; flags, origin: 1');
});

test('the decision numbers are copied out of the set', (t) => {
  const s = new AttributeStore(1024);
  const id = s.intern(everything());
  t.is(s.flags[id], 1 | 2 | 4);
  t.is(s.localPref[id], 0);
  t.is(s.med[id], 0xffffffff);
  t.is(s.origin[id], 1);
  t.is(s.pathLength[id], 201, 'confederation segments count 0, a set 1');
  t.is(s.neighborAs[id], 4200000000);
  t.is(s.originatorId[id], 0x0a000001);
  t.is(s.clusterListLength[id], 2);
  const none = s.intern(new PathAttributes());
  t.is(s.flags[none], 0);
  t.is(s.origin[none], 3, 'absent ORIGIN ranks after INCOMPLETE');
});

test('sets survive growth of the id arrays, the index and the arena, and compaction', (t) => {
  const s = new AttributeStore(16);
  const ids: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const a = typical();
    a.med = i;
    a.communities = Uint32Array.from({ length: 100 }, (_, k) => k + i);
    ids.push(s.intern(a));
  }
  // Free most of them so that the arena compacts.
  for (let i = 0; i < 5000; i++) if (i % 10 !== 0) s.release(ids[i]!);
  for (let i = 0; i < 5000; i += 10) {
    const got = s.get(ids[i]!);
    t.is(got.med, i);
    t.is(got.communities![99], 99 + i);
  }
  t.is(s.size, 500);
});

test('hasCommunity finds a community present in the set and not one that is absent', (t) => {
  const s = new AttributeStore(1024);
  const id = s.intern(typical());
  t.true(s.hasCommunity(id, (3356 << 16) | 2));
  t.true(s.hasCommunity(id, (3356 << 16) | 501));
  t.false(s.hasCommunity(id, (3356 << 16) | 3));
  t.false(s.hasCommunity(id, (174 << 16) | 2));
});

test('hasCommunity takes a community above 2^31 signed or unsigned (AS 65535 well-known ones)', (t) => {
  const s = new AttributeStore(1024);
  const a = typical();
  a.communities = Uint32Array.of(0xffffff01);
  const id = s.intern(a);
  t.true(s.hasCommunity(id, 0xffffff01));
  t.true(s.hasCommunity(id, (0xffff << 16) | 0xff01), 'the same bits as a negative int32');
  t.false(s.hasCommunity(id, 0xffffff02));
});

test('hasCommunity and hasLargeCommunity are false for a set without (large) communities', (t) => {
  const s = new AttributeStore(1024);
  const bare = typical();
  bare.communities = null;
  const id = s.intern(bare);
  t.false(s.hasCommunity(id, (3356 << 16) | 2));
  t.false(s.hasLargeCommunity(id, 3356, 0, 2));
  const empty = s.intern(new PathAttributes());
  t.false(s.hasCommunity(empty, 0));
  t.false(s.hasLargeCommunity(empty, 0, 0, 0));
  t.throws(() => s.hasCommunity(12345, 0), { instanceOf: RangeError });
});

test('hasCommunity and hasLargeCommunity read past every field stored before them, with many communities', (t) => {
  const s = new AttributeStore(1024);
  const id = s.intern(everything());
  for (const i of [0, 127, 128, 299]) t.true(s.hasCommunity(id, ((65000 << 16) | i) >>> 0), `community ${i} of 300`);
  t.false(s.hasCommunity(id, ((65000 << 16) | 300) >>> 0));
  t.true(s.hasLargeCommunity(id, 4200000000, 1, 2));
  t.true(s.hasLargeCommunity(id, 65000, 0, 4294967295));
  t.false(s.hasLargeCommunity(id, 4200000000, 1, 3));
  t.false(s.hasLargeCommunity(id, 1, 2, 65000), 'words of two neighbouring communities do not make one');
  // Many large communities, the one sought last.
  const many = typical();
  many.largeCommunities = Uint32Array.from({ length: 3 * 200 }, (_, i) => (i % 3 === 0 ? 64496 : i));
  const id2 = s.intern(many);
  t.true(s.hasLargeCommunity(id2, 64496, 598, 599));
  t.false(s.hasLargeCommunity(id2, 64496, 599, 600));
});

/**
 * Bytes allocated on the JS heap (young generation) while fn runs `calls` times, the least over several batches (a
 * batch that spans a scavenge is left out: the young generation shrinks then).
 */
function leastAllocation(calls: number, fn: () => void): { bytes: number; batches: number } {
  const young = (): number => {
    let used = 0;
    for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') used += space.space_used_size;
    return used;
  };
  let least = Infinity;
  let batches = 0;
  for (let b = 0; b < 50; b++) {
    const before = young();
    for (let i = 0; i < calls; i++) fn();
    const after = young();
    if (after < before) continue;
    batches++;
    least = Math.min(least, after - before);
  }
  return { bytes: least, batches };
}

test.serial('hasCommunity and hasLargeCommunity allocate nothing (1e6 calls after warm-up)', (t) => {
  const s = new AttributeStore(1024);
  const a = typical();
  a.communities = Uint32Array.from({ length: 10 }, (_, i) => ((65000 << 16) | i) >>> 0);
  a.largeCommunities = Uint32Array.of(4200000000, 1, 2, 65000, 0, 4294967295);
  const id = s.intern(a);
  let found = 0;
  // Each runs one call that finds its community (the last one stored) and one that does not.
  const community = (): void => {
    if (s.hasCommunity(id, ((65000 << 16) | 9) >>> 0)) found++;
    if (s.hasCommunity(id, 0xffffff01)) found++;
  };
  const large = (): void => {
    if (s.hasLargeCommunity(id, 65000, 0, 4294967295)) found++;
    if (s.hasLargeCommunity(id, 4200000000, 9, 9)) found++;
  };
  for (let i = 0; i < 1e6; i++) {
    community();
    large();
  }
  // 20k calls a batch: one allocation of 16 bytes per call would show as 320 kB; the probe itself takes some.
  const c = leastAllocation(10_000, community);
  const l = leastAllocation(10_000, large);
  t.true(c.batches > 0 && l.batches > 0, 'some batches ran without a scavenge');
  t.true(c.bytes < 20_000, `hasCommunity allocated ${c.bytes} bytes in 20k calls`);
  t.true(l.bytes < 20_000, `hasLargeCommunity allocated ${l.bytes} bytes in 20k calls`);
  t.is(found, 2 * 1e6 + 2 * 50 * 10_000, 'every call found what it should');
});
