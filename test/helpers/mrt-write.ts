// Writes small TABLE_DUMP_V2 RIB dumps (RFC 6396 4.3) for tests: a PEER_INDEX_TABLE, then one RIB_IPV4_UNICAST
// or RIB_IPV6_UNICAST record per prefix with an entry per path.
import { writeFileSync } from 'node:fs';
import { Afi, DEFAULT_DECODE_OPTIONS, encodeAttributes, type PathAttributes } from '../../src/bgp/index.js';
import { parseAddress, parsePrefix } from '../../src/rib/index.js';

export interface MrtPeerSpec {
  address: string;
  as: number;
  routerId: string;
}

export interface MrtEntrySpec {
  prefix: string;
  /** Paths: the peer (index in the peer list) and its attributes. */
  paths: { peer: number; attributes: PathAttributes; originated?: number }[];
}

function record(type: number, subtype: number, body: Buffer, timestamp: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(timestamp, 0);
  h.writeUInt16BE(type, 4);
  h.writeUInt16BE(subtype, 6);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

function addressBytes(text: string): Buffer {
  const a = parseAddress(text);
  if (a.afi === Afi.IPv4) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(a.a >>> 0);
    return b;
  }
  const b = Buffer.alloc(16);
  [a.a, a.b, a.c, a.d].forEach((w, i) => b.writeUInt32BE(w >>> 0, i * 4));
  return b;
}

export function tableDumpV2(peers: MrtPeerSpec[], entries: MrtEntrySpec[], timestamp = 970_700_000): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0x0a000001, 0); // collector BGP id
  head.writeUInt16BE(0, 4); // no view name
  head.writeUInt16BE(peers.length, 6);
  const peerBufs = peers.map((p) => {
    const v6 = p.address.includes(':');
    const b = Buffer.alloc(1 + 4);
    b[0] = (v6 ? 1 : 0) | 2; // IPv6 address?, 4-octet AS
    b.writeUInt32BE(parseAddress(p.routerId).a >>> 0, 1);
    const as = Buffer.alloc(4);
    as.writeUInt32BE(p.as);
    return Buffer.concat([b, addressBytes(p.address), as]);
  });
  parts.push(record(13, 1, Buffer.concat([head.subarray(0, 6), head.subarray(6, 8), ...peerBufs]), timestamp));
  entries.forEach((e, seq) => {
    const p = parsePrefix(e.prefix);
    const v6 = p.afi === Afi.IPv6;
    const bytes = Math.ceil(p.length / 8);
    const full = v6 ? addressBytes(e.prefix.split('/')[0]!) : addressBytes(e.prefix.split('/')[0]!);
    const head = Buffer.alloc(5);
    head.writeUInt32BE(seq, 0);
    head[4] = p.length;
    const count = Buffer.alloc(2);
    count.writeUInt16BE(e.paths.length);
    const paths = e.paths.map((path) => {
      const attrs = encodeAttributes(path.attributes, DEFAULT_DECODE_OPTIONS, {}, 'mrt-rib');
      const b = Buffer.alloc(8);
      b.writeUInt16BE(path.peer, 0);
      b.writeUInt32BE(path.originated ?? timestamp, 2);
      b.writeUInt16BE(attrs.length, 6);
      return Buffer.concat([b, attrs]);
    });
    parts.push(record(13, v6 ? 4 : 2, Buffer.concat([head, full.subarray(0, bytes), count, ...paths]), timestamp));
  });
  return Buffer.concat(parts);
}

export function writeTableDumpV2(file: string, peers: MrtPeerSpec[], entries: MrtEntrySpec[]): void {
  writeFileSync(file, tableDumpV2(peers, entries));
}
