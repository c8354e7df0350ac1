// The DNS benchmark's clients and the query file dnsperf replays: client addresses drawn from real prefixes of RIS
// MRT files (one address at random inside each of N prefixes, seeded; prefixes drawn again when a family has fewer
// than N), sent as EDNS Client Subnet (/24 for IPv4,
// /48 for IPv6), written in dnsperf's binary input format (`-B`: each message as a 2-byte big-endian length and
// the raw DNS query). Queries are encoded by dns-packet.
import { writeFile } from 'node:fs/promises';
import dnsPacket, { type PacketOpt } from 'dns-packet';
import { Afi } from '../../src/bgp/index.js';
import { createRib, formatAddress, formatPrefix } from '../../src/rib/index.js';
import { loadMrtIntoRib } from '../../src/replay/index.js';
import { seededRandom } from '../../src/util/index.js';

const EDNS_UDP_SIZE = 1232;

/** A client subnet as an ECS option carries it: family, source prefix length, address. */
export interface ClientSubnet {
  afi: Afi;
  /** Source prefix length: 24 for IPv4, 48 for IPv6 in this benchmark. */
  source: number;
  /** The client's whole address (4 or 16 bytes, network order); the bits beyond `source` are not sent. */
  address: Uint8Array;
}

/**
 * The client's address with the bits beyond its source length zeroed (RFC 7871 section 6), as text: what the
 * responder decides on, and what the ECS option carries (dns-packet writes its first ceil(source / 8) bytes and
 * leaves the masking to the caller).
 */
export function subnetAddress(subnet: ClientSubnet): string {
  const b = Buffer.from(subnet.address);
  for (let i = 0; i < b.length; i++) b[i] &= 0xff << (8 - Math.min(8, Math.max(0, subnet.source - 8 * i)));
  return subnet.afi === Afi.IPv4
    ? formatAddress(Afi.IPv4, b.readUInt32BE(0), 0, 0, 0)
    : formatAddress(Afi.IPv6, b.readUInt32BE(0), b.readUInt32BE(4), b.readUInt32BE(8), b.readUInt32BE(12));
}

/**
 * One query as a resolver puts it to an authoritative server: id 0 (dnsperf and DnsProbe set their own), no flags,
 * one question, an OPT record (UDP size 1232, version 0) with the client's subnet as ECS when one is given
 * (scope 0).
 */
export function dnsQuery(name: string, type: 'A' | 'AAAA', subnet: ClientSubnet | null): Buffer {
  const options: PacketOpt[] = subnet === null
    ? []
    : [{ code: 8, family: subnet.afi === Afi.IPv4 ? 1 : 2, sourcePrefixLength: subnet.source, scopePrefixLength: 0, ip: subnetAddress(subnet) }];
  return dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: 0,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options }],
  });
}

/** Prefixes flat: IPv4 [address, length] pairs, IPv6 [w0, w1, w2, w3, length] quintuples. */
export interface PrefixList {
  v4: Uint32Array;
  v6: Uint32Array;
}

/** Every distinct prefix of one family that MRT files leave in a RIB (table dumps as they are, updates replayed). */
export async function mrtPrefixes(files: string[], afi: Afi): Promise<Uint32Array> {
  const rib = createRib({ sizing: 'small' });
  for (const file of files) await loadMrtIntoRib(file, rib.writer, { addPathFallback: true });
  const out: number[] = [];
  rib.reader.forEachRoute(afi, (r) => {
    // The best path comes first and is the only one flagged: one entry per prefix.
    if (!r.best) return;
    if (afi === Afi.IPv4) out.push(r.a, r.length);
    else out.push(r.a, r.b, r.c, r.d, r.length);
  });
  return Uint32Array.from(out);
}

export interface Client {
  subnet: ClientSubnet;
  /** The prefix it was drawn from, as text. */
  from: string;
}

/**
 * `count` clients, a share `v6Share` of them IPv6, each inside a prefix drawn at random from the list: a different
 * prefix for each while the list has enough (then again at random), a random address inside it; source /24 for
 * IPv4, /48 for IPv6.
 */
export function makeClients(prefixes: PrefixList, count: number, v6Share: number, seed: number): Client[] {
  const rand = seededRandom(seed);
  const pick = (n: number, k: number): number[] => {
    // Partial Fisher-Yates over the indices, then draws with repeats past n.
    const idx = Array.from({ length: n }, (_, i) => i);
    const out: number[] = [];
    for (let i = 0; i < k; i++) {
      if (i >= n) {
        out.push(Math.floor(rand() * n));
        continue;
      }
      const j = i + Math.floor(rand() * (n - i));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
      out.push(idx[i]!);
    }
    return out;
  };
  const word = (fixedBits: number, value: number): number => {
    // `value` with its bits beyond the first `fixedBits` replaced by random ones.
    if (fixedBits >= 32) return value >>> 0;
    const free = 32 - Math.max(0, fixedBits);
    const mask = free === 32 ? 0xffffffff : (2 ** free - 1) >>> 0;
    return ((value & ~mask) | (Math.floor(rand() * 2 ** free) & mask)) >>> 0;
  };
  const n6 = prefixes.v6.length === 0 ? 0 : Math.round(count * v6Share);
  const n4 = count - n6;
  const clients: Client[] = [];
  for (const k of pick(prefixes.v4.length / 2, n4)) {
    const a = prefixes.v4[2 * k]!;
    const length = prefixes.v4[2 * k + 1]!;
    const address = Buffer.alloc(4);
    address.writeUInt32BE(word(length, a));
    clients.push({ subnet: { afi: Afi.IPv4, source: 24, address }, from: formatPrefix(Afi.IPv4, a, 0, 0, 0, length) });
  }
  for (const k of pick(prefixes.v6.length / 5, n6)) {
    const length = prefixes.v6[5 * k + 4]!;
    const address = Buffer.alloc(16);
    for (let j = 0; j < 4; j++) address.writeUInt32BE(word(length - 32 * j, prefixes.v6[5 * k + j]!), 4 * j);
    clients.push({ subnet: { afi: Afi.IPv6, source: 48, address }, from: formatPrefix(Afi.IPv6, prefixes.v6[5 * k]!, prefixes.v6[5 * k + 1]!, prefixes.v6[5 * k + 2]!, prefixes.v6[5 * k + 3]!, length) });
  }
  // Shuffle so that the families interleave.
  for (let i = clients.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [clients[i], clients[j]] = [clients[j]!, clients[i]!];
  }
  return clients;
}

export interface QueryMix {
  /** Shares of the three kinds of query; the rest of 1 - wwwAaaa - ftpA is `www A`. */
  wwwAaaa: number;
  ftpA: number;
}

export interface QueryFile {
  path: string;
  queries: number;
  bytes: number;
  counts: { wwwA: number; wwwAaaa: number; ftpA: number; v4Queries: number; v6Queries: number };
}

/**
 * Writes `queries` queries in dnsperf's binary format: each for a client drawn at random from `clients`, mostly
 * `www A`, some `www AAAA` and `ftp A` (dnsperf sets its own message ids).
 */
export async function writeQueryFile(file: string, zone: string, clients: Client[], queries: number, mix: QueryMix, seed: number): Promise<QueryFile> {
  const rand = seededRandom(seed);
  const parts: Buffer[] = [];
  const counts = { wwwA: 0, wwwAaaa: 0, ftpA: 0, v4Queries: 0, v6Queries: 0 };
  let bytes = 0;
  for (let i = 0; i < queries; i++) {
    const client = clients[Math.floor(rand() * clients.length)]!;
    const r = rand();
    let q: Buffer;
    if (r < mix.wwwAaaa) {
      q = dnsQuery(`www.${zone}`, 'AAAA', client.subnet);
      counts.wwwAaaa++;
    } else if (r < mix.wwwAaaa + mix.ftpA) {
      q = dnsQuery(`ftp.${zone}`, 'A', client.subnet);
      counts.ftpA++;
    } else {
      q = dnsQuery(`www.${zone}`, 'A', client.subnet);
      counts.wwwA++;
    }
    if (client.subnet.afi === Afi.IPv4) counts.v4Queries++;
    else counts.v6Queries++;
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    parts.push(len, q);
    bytes += 2 + q.length;
  }
  await writeFile(file, Buffer.concat(parts, bytes));
  return { path: file, queries, bytes, counts };
}
