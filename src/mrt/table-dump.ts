import {
  Afi,
  type BgpError,
  type DecodeOptions,
  type PathAttributes,
  decodeAttributes,
  formatIpv6,
} from '../bgp/index.js';
import { Bgp4mpSubtype, MrtType, TableDumpSubtype, TableDumpV2Subtype } from './constants.js';
import { MrtError, mrtErrorAtRecord } from './errors.js';
import { readMrtRecords, type MrtRecord, type ReadMrtOptions } from './reader.js';

/** One peer of a TABLE_DUMP_V2 PEER_INDEX_TABLE (RFC 6396 4.3.1). */
export interface MrtPeer {
  /** 1 IPv4, 2 IPv6 (of the peer address). */
  afi: number;
  bgpId: number;
  /** Peer address bytes (4 or 16). */
  address: Uint8Array;
  /** Peer address as text (dotted quad, RFC 5952 IPv6). */
  addressText: string;
  as: number;
}

export interface PeerIndexTable {
  collectorBgpId: number;
  viewName: string;
  peers: MrtPeer[];
}

/** One route of a RIB dump: a prefix, the peer it came from, and its decoded path attributes. */
export interface MrtRibEntry {
  /** MRT record timestamp (seconds). */
  timestamp: number;
  type: number;
  subtype: number;
  /** Prefix in the NlriSink convention: IPv4 in `a`; IPv6 as four words, most significant first. */
  afi: number;
  a: number;
  b: number;
  c: number;
  d: number;
  length: number;
  /** RFC 8050 path identifier; 0 without ADD-PATH. */
  pathId: number;
  peer: MrtPeer;
  /** Index in the PEER_INDEX_TABLE; -1 for TABLE_DUMP (v1) and BGP4MP_ENTRY, which carry the peer inline. */
  peerIndex: number;
  originatedTime: number;
  /** Decoded attributes; null when the codec refused the attribute section (see `error`). */
  attributes: PathAttributes | null;
  /** The raw attribute section, a view into the record. */
  attributeBytes: Buffer;
  /** Whether AS numbers in the attribute section are 4 octets (TABLE_DUMP_V2 always; v1 never). */
  fourOctetAs: boolean;
  /** Non-fatal problems the codec found, or the fatal one when `attributes` is null. */
  errors: BgpError[] | null;
}

const V4_RIB = new Set<number>([TableDumpV2Subtype.RibIpv4Unicast, TableDumpV2Subtype.RibIpv4UnicastAddPath]);
const V6_RIB = new Set<number>([TableDumpV2Subtype.RibIpv6Unicast, TableDumpV2Subtype.RibIpv6UnicastAddPath]);
const ADDPATH_RIB = new Set<number>([
  TableDumpV2Subtype.RibIpv4UnicastAddPath,
  TableDumpV2Subtype.RibIpv6UnicastAddPath,
  TableDumpV2Subtype.RibIpv4MulticastAddPath,
  TableDumpV2Subtype.RibIpv6MulticastAddPath,
  TableDumpV2Subtype.RibGenericAddPath,
]);

const AS4_OPTIONS: DecodeOptions = { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: true };
const AS2_OPTIONS: DecodeOptions = { fourOctetAs: false, addPathIpv4: false, addPathIpv6: false, extendedMessage: true };

function short(what: string, need: number, have: number): MrtError {
  return new MrtError(`${what} is too short (needs ${need} bytes, has ${have})`, -1);
}

function readIpv4(b: Buffer, p: number): number {
  return b.readUInt32BE(p);
}

/** Reads a prefix of `length` bits stored in (length+7)/8 bytes at p into words; host bits are cleared. */
function readPrefixWords(b: Buffer, p: number, length: number, afi: number, out: Int32Array | number[]): void {
  const bytes = afi === Afi.IPv6 ? 16 : 4;
  const n = (length + 7) >> 3;
  const words = [0, 0, 0, 0];
  for (let i = 0; i < n && i < bytes; i++) {
    const w = i >> 2;
    words[w] = (words[w]! | (b[p + i]! << (24 - 8 * (i & 3)))) >>> 0;
  }
  // Clear bits beyond the prefix length, as the codec does for UPDATE NLRI.
  for (let w = 0; w < 4; w++) {
    const bitsInWord = Math.max(0, Math.min(32, length - 32 * w));
    const mask = bitsInWord === 0 ? 0 : bitsInWord === 32 ? 0xffffffff : (0xffffffff << (32 - bitsInWord)) >>> 0;
    words[w] = (words[w]! & mask) >>> 0;
  }
  for (let i = 0; i < 4; i++) out[i] = words[i]!;
}

function peerFromBytes(afi: number, bytes: Buffer, as: number, bgpId = 0): MrtPeer {
  return {
    afi,
    bgpId,
    address: bytes,
    addressText: afi === Afi.IPv6 ? formatIpv6(bytes) : `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`,
    as,
  };
}

/** Decodes the attribute section through the codec; a fatal codec error leaves `attributes` null. */
function decodeRibAttributes(
  b: Buffer,
  start: number,
  end: number,
  opts: DecodeOptions,
): { attributes: PathAttributes | null; errors: BgpError[] | null } {
  try {
    const r = decodeAttributes(b, start, end, opts, 'mrt-rib');
    return { attributes: r.attributes, errors: r.errors };
  } catch (err) {
    if (err instanceof Error && err.name === 'BgpError') return { attributes: null, errors: [err as BgpError] };
    throw err;
  }
}

/** TABLE_DUMP_V2 PEER_INDEX_TABLE (RFC 6396 4.3.1). */
export function decodePeerIndexTable(record: MrtRecord): PeerIndexTable {
  const b = record.body;
  if (b.length < 8) throw short('PEER_INDEX_TABLE', 8, b.length);
  const collectorBgpId = readIpv4(b, 0);
  const nameLength = b.readUInt16BE(4);
  let p = 6 + nameLength;
  if (p + 2 > b.length) throw short('PEER_INDEX_TABLE', p + 2, b.length);
  const viewName = b.toString('utf8', 6, 6 + nameLength);
  const count = b.readUInt16BE(p);
  p += 2;
  const peers: MrtPeer[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 5 > b.length) throw short(`PEER_INDEX_TABLE entry ${i}`, p + 5, b.length);
    const peerType = b[p]!;
    const afi = (peerType & 1) !== 0 ? Afi.IPv6 : Afi.IPv4;
    const asLen = (peerType & 2) !== 0 ? 4 : 2;
    const addrLen = afi === Afi.IPv6 ? 16 : 4;
    const bgpId = readIpv4(b, p + 1);
    p += 5;
    if (p + addrLen + asLen > b.length) throw short(`PEER_INDEX_TABLE entry ${i}`, p + addrLen + asLen, b.length);
    const address = b.subarray(p, p + addrLen);
    p += addrLen;
    const as = asLen === 4 ? b.readUInt32BE(p) : b.readUInt16BE(p);
    p += asLen;
    peers.push(peerFromBytes(afi, address, as, bgpId));
  }
  return { collectorBgpId, viewName, peers };
}

/**
 * TABLE_DUMP_V2 RIB_IPV4_UNICAST / RIB_IPV6_UNICAST and their RFC 8050 ADD-PATH variants: one prefix, one entry
 * per peer. Other subtypes (multicast, generic) give no entries.
 */
export function decodeTableDumpV2Rib(record: MrtRecord, peerTable: PeerIndexTable | null): MrtRibEntry[] {
  const subtype = record.subtype;
  const afi = V4_RIB.has(subtype) ? Afi.IPv4 : V6_RIB.has(subtype) ? Afi.IPv6 : 0;
  if (afi === 0) return [];
  const addPath = ADDPATH_RIB.has(subtype);
  const b = record.body;
  if (b.length < 5) throw short('RIB record', 5, b.length);
  const length = b[4]!;
  if (length > (afi === Afi.IPv6 ? 128 : 32)) throw new MrtError(`RIB record with prefix length ${length}`, -1);
  const words = [0, 0, 0, 0];
  const pb = (length + 7) >> 3;
  if (5 + pb + 2 > b.length) throw short('RIB record', 5 + pb + 2, b.length);
  readPrefixWords(b, 5, length, afi, words);
  let p = 5 + pb;
  const count = b.readUInt16BE(p);
  p += 2;
  if (count > 0 && peerTable === null) throw new MrtError('RIB record before any PEER_INDEX_TABLE', -1);
  const entries: MrtRibEntry[] = [];
  for (let i = 0; i < count; i++) {
    const head = addPath ? 12 : 8;
    if (p + head > b.length) throw short(`RIB entry ${i}`, p + head, b.length);
    const peerIndex = b.readUInt16BE(p);
    const originatedTime = b.readUInt32BE(p + 2);
    const pathId = addPath ? b.readUInt32BE(p + 6) : 0;
    p += head - 2;
    const attrLength = b.readUInt16BE(p);
    p += 2;
    if (p + attrLength > b.length) throw short(`RIB entry ${i} attributes`, p + attrLength, b.length);
    const peer = peerTable!.peers[peerIndex];
    if (peer === undefined) throw new MrtError(`RIB entry names peer ${peerIndex} of ${peerTable!.peers.length}`, -1);
    const { attributes, errors } = decodeRibAttributes(b, p, p + attrLength, AS4_OPTIONS);
    entries.push({
      timestamp: record.timestamp,
      type: record.type,
      subtype,
      afi,
      a: words[0]!,
      b: words[1]!,
      c: words[2]!,
      d: words[3]!,
      length,
      pathId,
      peer,
      peerIndex,
      originatedTime,
      attributes,
      attributeBytes: b.subarray(p, p + attrLength),
      fourOctetAs: true,
      errors,
    });
    p += attrLength;
  }
  return entries;
}

/**
 * TABLE_DUMP (v1, RFC 6396 4.2): one route per record; the subtype is the AFI. AS numbers are 2 octets
 * (subtypes 3 and 4, the 4-octet variants some tools wrote, are read too).
 */
export function decodeTableDumpV1(record: MrtRecord): MrtRibEntry | null {
  const subtype = record.subtype;
  const afi = subtype === TableDumpSubtype.AfiIpv4 || subtype === 3 ? Afi.IPv4 : subtype === TableDumpSubtype.AfiIpv6 || subtype === 4 ? Afi.IPv6 : 0;
  if (afi === 0) return null;
  const asLen = subtype >= 3 ? 4 : 2;
  const addrLen = afi === Afi.IPv6 ? 16 : 4;
  const b = record.body;
  const need = 4 + addrLen + 2 + 4 + addrLen + asLen + 2;
  if (b.length < need) throw short('TABLE_DUMP record', need, b.length);
  let p = 4;
  const words = [0, 0, 0, 0];
  const length = b[p + addrLen]!;
  readPrefixWords(b, p, Math.min(length, addrLen * 8), afi, words);
  p += addrLen + 2; // prefix, prefix length, status
  const originatedTime = b.readUInt32BE(p);
  p += 4;
  const peerAddress = b.subarray(p, p + addrLen);
  p += addrLen;
  const peerAs = asLen === 4 ? b.readUInt32BE(p) : b.readUInt16BE(p);
  p += asLen;
  const attrLength = b.readUInt16BE(p);
  p += 2;
  const attrEnd = Math.min(b.length, p + attrLength);
  const { attributes, errors } = decodeRibAttributes(b, p, attrEnd, asLen === 4 ? AS4_OPTIONS : AS2_OPTIONS);
  return {
    timestamp: record.timestamp,
    type: record.type,
    subtype,
    afi,
    a: words[0]!,
    b: words[1]!,
    c: words[2]!,
    d: words[3]!,
    length,
    pathId: 0,
    peer: peerFromBytes(afi, peerAddress, peerAs),
    peerIndex: -1,
    originatedTime,
    attributes,
    attributeBytes: b.subarray(p, attrEnd),
    fourOctetAs: asLen === 4,
    errors,
  };
}

/**
 * The deprecated BGP4MP_ENTRY (subtype 2) of the MRT drafts, as OpenBGPD's `dump table-mp` writes it:
 * AS, AS, interface index, AFI, address, address, view, status, originated time, AFI, SAFI, next-hop length,
 * next hop, prefix length, prefix, attribute length, attributes. OpenBGPD writes the local side first and the
 * peer second (the same peer its TABLE_DUMP files show), so the peer is the second AS and address. The next hop
 * travels outside the attributes; `nextHop` returns it. AS_PATH uses 2-octet AS numbers (OpenBGPD's AGGREGATOR
 * there is 4-octet, which the codec discards as malformed; `mrt dump` reads it by its length).
 */
export function decodeBgp4mpEntry(record: MrtRecord): { entry: MrtRibEntry; nextHop: Uint8Array; safi: number } | null {
  if ((record.type !== MrtType.Bgp4mp && record.type !== MrtType.Bgp4mpEt) || record.subtype !== Bgp4mpSubtype.Entry) return null;
  const b = record.body;
  if (b.length < 8) throw short('BGP4MP_ENTRY record', 8, b.length);
  const peerAs = b.readUInt16BE(2);
  const headerAfi = b.readUInt16BE(6);
  const addrLen = headerAfi === Afi.IPv6 ? 16 : 4;
  let p = 8 + 2 * addrLen;
  if (p + 8 + 3 + 1 > b.length) throw short('BGP4MP_ENTRY record', p + 12, b.length);
  const peerAddress = b.subarray(8 + addrLen, 8 + 2 * addrLen);
  p += 4; // view, status
  const originatedTime = b.readUInt32BE(p);
  p += 4;
  const afi = b.readUInt16BE(p);
  const safi = b[p + 2]!;
  const nhLen = b[p + 3]!;
  p += 4;
  if (afi !== Afi.IPv4 && afi !== Afi.IPv6) return null;
  if (p + nhLen + 1 > b.length) throw short('BGP4MP_ENTRY record', p + nhLen + 1, b.length);
  const nextHop = b.subarray(p, p + nhLen);
  p += nhLen;
  const length = b[p]!;
  p += 1;
  const pb = (length + 7) >> 3;
  if (p + pb + 2 > b.length) throw short('BGP4MP_ENTRY record', p + pb + 2, b.length);
  const words = [0, 0, 0, 0];
  readPrefixWords(b, p, length, afi, words);
  p += pb;
  const attrLength = b.readUInt16BE(p);
  p += 2;
  const attrEnd = Math.min(b.length, p + attrLength);
  const { attributes, errors } = decodeRibAttributes(b, p, attrEnd, AS2_OPTIONS);
  return {
    entry: {
      timestamp: record.timestamp,
      type: record.type,
      subtype: record.subtype,
      afi,
      a: words[0]!,
      b: words[1]!,
      c: words[2]!,
      d: words[3]!,
      length,
      pathId: 0,
      peer: peerFromBytes(headerAfi === Afi.IPv6 ? Afi.IPv6 : Afi.IPv4, peerAddress, peerAs),
      peerIndex: -1,
      originatedTime,
      attributes,
      attributeBytes: b.subarray(p, attrEnd),
      fourOctetAs: false,
      errors,
    },
    nextHop,
    safi,
  };
}

/**
 * Every RIB entry (prefix + peer + attributes) of a TABLE_DUMP, TABLE_DUMP_V2 or BGP4MP_ENTRY file, streamed.
 * Other records are skipped. A truncated or garbled file throws MrtError after the entries before the fault.
 */
export async function* readMrtRibEntries(path: string, options: ReadMrtOptions = {}): AsyncGenerator<MrtRibEntry> {
  let peers: PeerIndexTable | null = null;
  let recordsRead = 0;
  for await (const record of readMrtRecords(path, options)) {
    recordsRead++;
    try {
      if (record.type === MrtType.TableDumpV2) {
        if (record.subtype === TableDumpV2Subtype.PeerIndexTable) peers = decodePeerIndexTable(record);
        else yield* decodeTableDumpV2Rib(record, peers);
      } else if (record.type === MrtType.TableDump) {
        const e = decodeTableDumpV1(record);
        if (e !== null) yield e;
      } else if (record.subtype === Bgp4mpSubtype.Entry) {
        const e = decodeBgp4mpEntry(record);
        if (e !== null) yield e.entry;
      }
    } catch (err) {
      if (err instanceof MrtError && err.recordsRead === -1) {
        throw mrtErrorAtRecord(err, path, recordsRead);
      }
      throw err;
    }
  }
}
