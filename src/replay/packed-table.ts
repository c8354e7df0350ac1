// The full-size table as a router would send it: prefixes grouped by attribute set, each group packed into as
// few UPDATEs as 4096 bytes allow (UpdatePacker), all messages concatenated into large write chunks so the
// feeder spends no time per message.
import { Afi, BGP_MAX_MESSAGE_LENGTH, DEFAULT_DECODE_OPTIONS, UpdatePacker, encodeUpdate, formatPrefix, type PathAttributes } from '../bgp/index.js';
import { generateSyntheticTable, type SyntheticTable } from './synthetic-table.js';

/** One attribute set and the prefixes (one family) that share it; the codec's NlriPrefix shape. */
export interface RouteGroup {
  attributes: PathAttributes;
  prefixes: Array<{ afi: number; pathId: number; a: number; b: number; c: number; d: number; length: number }>;
}

export interface PackedTable {
  /** Whole UPDATE messages back to back, cut into ~CHUNK_BYTES pieces on message boundaries. */
  chunks: Buffer[];
  messages: number;
  bytes: number;
  /** Distinct prefixes per family (a prefix announced twice counts once: the later UPDATE replaces it). */
  ipv4: number;
  ipv6: number;
  /** Prefixes announced more than once in the table. */
  duplicates: number;
  attributeSets: number;
  /** A few prefixes with the AS_PATH they were sent with, to check that a receiver really installed them. */
  samples: Array<{ prefix: string; asPath: number[] }>;
}

const CHUNK_BYTES = 1 << 20;

export interface PackOptions {
  /**
   * The distinct prefixes per family, when the caller knows them (a table with no prefix twice: the synthetic one,
   * or one path per prefix out of a RIB): counting them again takes a set of every prefix.
   */
  distinct?: { ipv4: number; ipv6: number };
}

export function packTable(groups: Iterable<RouteGroup>, options: PackOptions = {}): PackedTable {
  const packer = new UpdatePacker(DEFAULT_DECODE_OPTIONS);
  const chunks: Buffer[] = [];
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const table: PackedTable = { chunks, messages: 0, bytes: 0, ipv4: 0, ipv6: 0, duplicates: 0, attributeSets: 0, samples: [] };
  const seen4 = new Set<number>();
  const seen6 = new Set<string>();
  for (const g of groups) {
    if (g.prefixes.length === 0) continue;
    table.attributeSets++;
    // Sample the last prefix of every 20000th group (the last one wins if the table repeats a prefix).
    if (table.attributeSets % 20000 === 1) {
      const p = g.prefixes[g.prefixes.length - 1]!;
      table.samples.push({
        prefix: formatPrefix(p.afi, p.a, p.b, p.c, p.d, p.length),
        asPath: (g.attributes.asPath ?? []).flatMap((seg) => seg.asns),
      });
    }
    if (options.distinct === undefined) {
      for (const p of g.prefixes) {
        const before = seen4.size + seen6.size;
        if (p.afi === Afi.IPv4) seen4.add(p.a * 64 + p.length);
        else seen6.add(`${p.a},${p.b},${p.c},${p.d},${p.length}`);
        if (seen4.size + seen6.size === before) table.duplicates++;
      }
    }
    for (const m of announce(packer, g)) {
      pending.push(m);
      pendingBytes += m.length;
      table.messages++;
      table.bytes += m.length;
      if (pendingBytes >= CHUNK_BYTES) {
        chunks.push(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) chunks.push(Buffer.concat(pending, pendingBytes));
  table.ipv4 = options.distinct?.ipv4 ?? seen4.size;
  table.ipv6 = options.distinct?.ipv6 ?? seen6.size;
  return table;
}

/**
 * The trial encoding of a whole group: without the 4096-byte limit, which encodeUpdate enforces by throwing, so that
 * a group too big for one message (large attributes, many prefixes) is measured and then split by the packer.
 */
const TRIAL_ENCODING = { ...DEFAULT_DECODE_OPTIONS, extendedMessage: true };

/**
 * The UPDATEs of one group. Most groups of a full table hold a handful of prefixes and fit one message: encoded
 * once here, where the packer would encode one of them first to learn the attributes' size (half the packing time).
 */
function announce(packer: UpdatePacker, g: RouteGroup): Buffer[] {
  let nlriBytes = 0;
  for (const p of g.prefixes) nlriBytes += 1 + ((p.length + 7) >> 3);
  if (nlriBytes <= BGP_MAX_MESSAGE_LENGTH / 2) {
    const whole = encodeUpdate({ attributes: g.attributes, announced: g.prefixes }, TRIAL_ENCODING);
    if (whole.length <= BGP_MAX_MESSAGE_LENGTH) return [whole];
  }
  return packer.announce(g.attributes, g.prefixes);
}

/** The groups of a synthetic table (src/demo/synthetic-table.ts) in the codec's prefix shape, one at a time. */
export function* syntheticRouteGroups(synthetic: SyntheticTable): Generator<RouteGroup> {
  for (const g of synthetic.groups) {
    const step = g.afi === Afi.IPv4 ? 2 : 5;
    const prefixes: RouteGroup['prefixes'] = [];
    for (let i = 0; i < g.prefixes.length; i += step) {
      prefixes.push(
        g.afi === Afi.IPv4
          ? { afi: Afi.IPv4, pathId: 0, a: g.prefixes[i]!, b: 0, c: 0, d: 0, length: g.prefixes[i + 1]! }
          : { afi: Afi.IPv6, pathId: 0, a: g.prefixes[i]!, b: g.prefixes[i + 1]!, c: g.prefixes[i + 2]!, d: g.prefixes[i + 3]!, length: g.prefixes[i + 4]! },
      );
    }
    yield { attributes: g.attributes, prefixes };
  }
}

/** The benchmark's table: the synthetic full-size table with `peerAs` first in every AS_PATH, packed. */
export function buildPackedTable(peerAs: number): PackedTable {
  const synthetic = generateSyntheticTable({ peerAs });
  return packTable(syntheticRouteGroups(synthetic), { distinct: { ipv4: synthetic.ipv4Prefixes, ipv6: synthetic.ipv6Prefixes } });
}
