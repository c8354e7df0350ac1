// A full-size routing table generated reproducibly from the npm package @ip-location-db/asn (real address ranges
// with their origin AS): ranges become CIDR prefixes, each origin AS gets synthetic AS paths from a seeded PRNG.
// Used by the demo and by bench/rib.ts and bench/ingest.ts.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Afi, AsPathSegment, AsPathSegmentType, PathAttributes } from '../bgp/index.js';
import { seededRandom } from '../util/index.js';
import { prependFirstAs, viewPrepends, type TableView } from './views.js';

export interface SyntheticGroup {
  afi: Afi;
  /** The attribute set every prefix of the group shares. */
  attributes: PathAttributes;
  /** IPv4: [address, length] pairs; IPv6: [w0, w1, w2, w3, length] quintuples (words most significant first). */
  prefixes: Uint32Array;
  /** Number of prefixes in the group. */
  count: number;
}

export interface SyntheticTable {
  /** Groups of prefixes sharing one attribute set; IPv4 groups first, then IPv6. */
  groups: SyntheticGroup[];
  ipv4Prefixes: number;
  ipv6Prefixes: number;
  /** Distinct attribute sets (= groups). */
  attributeSets: number;
}

export interface SyntheticTableOptions {
  /** PRNG seed; the same seed gives the same table. Default 1. */
  seed?: number;
  /** The AS of the feeding neighbor, first in every AS_PATH. Default 64500. */
  peerAs?: number;
  /** IPv4 NEXT_HOP (uint32). Default 192.0.2.1. */
  nextHop?: number;
  /** IPv6 next hop (16 bytes). Default 2001:db8::1. */
  nextHop6?: Uint8Array;
  /**
   * The table as router `view.index` of `view.count` POP routers sees it: the same prefixes, attribute sets and
   * random draws, each path with the router's AS prepended viewPrepends(origin, view) times (see views.ts).
   * viewRouteGroups gives the same view of a table generated without one, without generating it again.
   */
  view?: TableView;
}

/** Folder of the CSVs of @ip-location-db/asn. */
export function asnCsvDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@ip-location-db/asn/package.json'));
}

/**
 * Builds the table. Attribute sets: each origin AS gets one AS path (2-7 ASes from a pool of transit ASes, ending in
 * the origin) and its prefixes are spread over 1-3 variants differing in MED and communities, as the paths of one
 * origin differ in a real table; this gives ~100-165k distinct sets over ~733k prefixes.
 */
export function generateSyntheticTable(options: SyntheticTableOptions = {}): SyntheticTable {
  const seed = options.seed ?? 1;
  const peerAs = options.peerAs ?? 64500;
  const nextHop = options.nextHop ?? 0xc0000201;
  const nextHop6 = options.nextHop6 ?? Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const dir = asnCsvDir();
  const rand = seededRandom(seed);
  const transit = Array.from({ length: 600 }, (_, i) => [174, 1299, 2914, 3257, 3356, 6453, 6461, 6762, 6939, 7018][i % 10]! + (i >= 10 ? 100000 + i * 7 : 0));

  // (origin AS, variant, family) -> group
  const groups: SyntheticGroup[] = [];
  const buffers: number[][] = [];
  const byKey = new Map<number, number>();
  const pathOf = new Map<number, number[]>();
  const groupFor = (afi: Afi, origin: number): number => {
    let asPath = pathOf.get(origin);
    if (asPath === undefined) {
      const hops = 1 + Math.floor(rand() * 5);
      asPath = [peerAs];
      for (let i = 0; i < hops; i++) asPath.push(transit[Math.floor(rand() * (i === 0 ? 10 : transit.length))]!);
      asPath.push(origin);
      pathOf.set(origin, asPath);
    }
    const variants = 1 + (origin % 7 === 0 ? 2 : origin % 3 === 0 ? 1 : 0);
    const variant = Math.floor(rand() * variants);
    // A number, not a string: this runs for every prefix.
    const key = (origin * 4 + variant) * 2 + (afi === Afi.IPv6 ? 1 : 0);
    let g = byKey.get(key);
    if (g === undefined) {
      const attrs = new PathAttributes();
      attrs.origin = variant === 2 ? 2 : 0;
      attrs.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, variant === 1 ? [asPath[0]!, ...asPath] : [...asPath])];
      if (options.view !== undefined) attrs.asPath = prependFirstAs(attrs.asPath, viewPrepends(origin, options.view));
      if (afi === Afi.IPv4) attrs.nextHop = nextHop;
      else attrs.mpNextHop = nextHop6;
      attrs.med = variant * 10;
      const communities = Math.floor(rand() * 4);
      if (communities > 0) {
        attrs.communities = new Uint32Array(communities);
        for (let i = 0; i < communities; i++) attrs.communities[i] = ((peerAs << 16) | Math.floor(rand() * 1000)) >>> 0;
      }
      g = groups.length;
      groups.push({ afi, attributes: attrs, prefixes: new Uint32Array(0), count: 0 });
      buffers.push([]);
      byKey.set(key, g);
    }
    return g;
  };

  let ipv4Prefixes = 0;
  // The CSVs are sorted by start; where a range overlaps the one before (one row in the 2026 data), the earlier
  // row keeps the overlap, so no prefix is announced twice.
  let coveredTo = -1;
  for (const line of readFileSync(path.join(dir, 'asn-ipv4-num.csv'), 'latin1').split('\n')) {
    if (line === '') continue;
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    const c3 = line.indexOf(',', c2 + 1);
    let start = Math.max(Number(line.slice(0, c1)), coveredTo + 1);
    const end = Number(line.slice(c1 + 1, c2));
    const origin = Number(line.slice(c2 + 1, c3 < 0 ? undefined : c3));
    if (end > coveredTo) coveredTo = end;
    // Largest aligned blocks first (range to CIDR).
    while (start <= end) {
      let size = start === 0 ? 2 ** 32 : 2 ** Math.min(32, ctz(start));
      while (start + size - 1 > end) size /= 2;
      const length = 32 - Math.log2(size);
      buffers[groupFor(Afi.IPv4, origin)]!.push(start >>> 0, length);
      ipv4Prefixes++;
      start += size;
    }
  }
  let ipv6Prefixes = 0;
  let coveredTo6 = -1n;
  for (const line of readFileSync(path.join(dir, 'asn-ipv6-num.csv'), 'latin1').split('\n')) {
    if (line === '') continue;
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    const c3 = line.indexOf(',', c2 + 1);
    let start = BigInt(line.slice(0, c1));
    if (start <= coveredTo6) start = coveredTo6 + 1n;
    const end = BigInt(line.slice(c1 + 1, c2));
    const origin = Number(line.slice(c2 + 1, c3 < 0 ? undefined : c3));
    if (end > coveredTo6) coveredTo6 = end;
    while (start <= end) {
      let bits = start === 0n ? 128 : ctz128(start);
      while (bits > 0 && start + (1n << BigInt(bits)) - 1n > end) bits--;
      const length = 128 - bits;
      buffers[groupFor(Afi.IPv6, origin)]!.push(
        Number(start >> 96n) >>> 0,
        Number((start >> 64n) & 0xffffffffn) >>> 0,
        Number((start >> 32n) & 0xffffffffn) >>> 0,
        Number(start & 0xffffffffn) >>> 0,
        length,
      );
      ipv6Prefixes++;
      start += 1n << BigInt(bits);
    }
  }
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    group.prefixes = Uint32Array.from(buffers[g]!);
    group.count = group.prefixes.length / (group.afi === Afi.IPv4 ? 2 : 5);
  }
  // IPv4 groups first, then IPv6, each in first-seen order.
  groups.sort((x, y) => x.afi - y.afi);
  return { groups, ipv4Prefixes, ipv6Prefixes, attributeSets: groups.length };
}

function ctz(v: number): number {
  if (v === 0) return 32;
  return 31 - Math.clz32(v & -v);
}

/** Trailing zero bits of a 128-bit value, a 32-bit word at a time (a bit at a time in BigInt is slow). */
function ctz128(v: bigint): number {
  for (let shift = 0; shift < 128; shift += 32) {
    const word = Number((v >> BigInt(shift)) & 0xffffffffn);
    if (word !== 0) return shift + ctz(word);
  }
  return 128;
}

// ---------------------------------------------------------------- compact file form
// A benchmark that measures memory generates the table in one process, writes it with writeSyntheticTable, and
// loads it in a fresh one with forEachSyntheticGroup, so the CSV parsing never weighs on the figures.
// Only the fields the generator sets are stored (origin, AS_SEQUENCE path, next hop, MED, communities).

export function writeSyntheticTable(table: SyntheticTable, file: string): void {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(16);
  header.write('SSYN', 0);
  header.writeUInt32BE(table.groups.length, 4);
  header.writeUInt32BE(table.ipv4Prefixes, 8);
  header.writeUInt32BE(table.ipv6Prefixes, 12);
  parts.push(header);
  for (const g of table.groups) {
    const a = g.attributes;
    const asns = a.asPath?.[0]?.asns ?? [];
    const communities = a.communities ?? new Uint32Array(0);
    const head = Buffer.alloc(1 + 1 + 4 + 4 + 16 + 1 + 4 * asns.length + 1 + 4 * communities.length + 4);
    let o = 0;
    o = head.writeUInt8(g.afi, o);
    o = head.writeUInt8(a.origin, o);
    o = head.writeUInt32BE(a.med >>> 0, o);
    o = head.writeUInt32BE(a.nextHop >>> 0, o);
    if (a.mpNextHop) head.set(a.mpNextHop, o);
    o += 16;
    o = head.writeUInt8(asns.length, o);
    for (const asn of asns) o = head.writeUInt32BE(asn, o);
    o = head.writeUInt8(communities.length, o);
    for (const c of communities) o = head.writeUInt32BE(c, o);
    head.writeUInt32BE(g.count, o);
    parts.push(head);
    const prefixes = Buffer.alloc(g.prefixes.length * 4);
    for (let i = 0; i < g.prefixes.length; i++) prefixes.writeUInt32LE(g.prefixes[i]!, 4 * i);
    parts.push(prefixes);
  }
  writeFileSync(file, Buffer.concat(parts));
}

/** Calls fn for each group of a file written by writeSyntheticTable; prefixes are copied out per group. */
export function forEachSyntheticGroup(file: string, fn: (group: SyntheticGroup) => void): { ipv4Prefixes: number; ipv6Prefixes: number } {
  const buf = readFileSync(file);
  if (buf.toString('latin1', 0, 4) !== 'SSYN') throw new Error(`${file}: not a synthetic table`);
  const groups = buf.readUInt32BE(4);
  let o = 16;
  for (let i = 0; i < groups; i++) {
    const afi = buf.readUInt8(o) as Afi;
    const attrs = new PathAttributes();
    attrs.origin = buf.readUInt8(o + 1);
    attrs.med = buf.readUInt32BE(o + 2);
    if (afi === Afi.IPv4) attrs.nextHop = buf.readUInt32BE(o + 6);
    else attrs.mpNextHop = Uint8Array.prototype.slice.call(buf, o + 10, o + 26);
    o += 26;
    const n = buf.readUInt8(o++);
    const asns: number[] = [];
    for (let k = 0; k < n; k++, o += 4) asns.push(buf.readUInt32BE(o));
    attrs.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, asns)];
    const nc = buf.readUInt8(o++);
    if (nc > 0) {
      attrs.communities = new Uint32Array(nc);
      for (let k = 0; k < nc; k++, o += 4) attrs.communities[k] = buf.readUInt32BE(o);
    }
    const count = buf.readUInt32BE(o);
    o += 4;
    const words = count * (afi === Afi.IPv4 ? 2 : 5);
    const prefixes = new Uint32Array(words);
    for (let k = 0; k < words; k++, o += 4) prefixes[k] = buf.readUInt32LE(o);
    fn({ afi, attributes: attrs, prefixes, count });
  }
  return { ipv4Prefixes: buf.readUInt32BE(8), ipv6Prefixes: buf.readUInt32BE(12) };
}
