// Writing TABLE_DUMP_V2 RIB dumps (RFC 6396 4.3, with the RFC 8050 ADD-PATH subtypes): a PEER_INDEX_TABLE, then one
// RIB record per prefix with an entry per path. Records are built in large chunks handed to an async sink, so a
// full table (~1M paths) never sits in one Buffer and the caller can let the event loop run between chunks.
import { Afi, DEFAULT_DECODE_OPTIONS, encodeAttributes, type DecodeOptions, type PathAttributes } from '../bgp/index.js';
import { MRT_HEADER_LENGTH, MrtType, TableDumpV2Subtype } from './constants.js';
import { MrtError } from './errors.js';

/** One peer of the PEER_INDEX_TABLE. */
export interface TableDumpPeer {
  /** BGP identifier (uint32). */
  bgpId: number;
  /** Address bytes: 4 (IPv4) or 16 (IPv6). */
  address: Uint8Array;
  as: number;
}

/** Where finished chunks go. A returned promise holds the writer until the sink can take more (back-pressure). */
export type ChunkSink = (chunk: Buffer) => void | Promise<void>;

export interface TableDumpWriterOptions {
  /** The collector's BGP identifier (ours), uint32. */
  collectorBgpId: number;
  /** Optional view name of the PEER_INDEX_TABLE (UTF-8, at most 65535 bytes). */
  viewName?: string;
  /** The MRT header timestamp of every record, seconds. Default: now. */
  timestamp?: number;
  /** Bytes a chunk is filled to before it goes to the sink. Default 1 MiB. */
  chunkSize?: number;
}

/** The attribute section of a RIB entry: 4-octet AS numbers, MP_REACH_NLRI as next-hop length + next hop only. */
const RIB_ENCODE_OPTIONS: DecodeOptions = { ...DEFAULT_DECODE_OPTIONS, fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, extendedMessage: true };

/**
 * A path's attributes as a TABLE_DUMP_V2 RIB entry carries them (RFC 6396 4.3.4): AS_PATH with 4-octet AS numbers
 * (no AS4_PATH), and for an MP next hop the abbreviated MP_REACH_NLRI (next-hop length and next hop).
 */
export function encodeRibEntryAttributes(attributes: PathAttributes): Buffer {
  return encodeAttributes(attributes, RIB_ENCODE_OPTIONS, {}, 'mrt-rib');
}

const DEFAULT_CHUNK = 1 << 20;
/** A RIB entry's attribute length is 2 octets. */
const MAX_ATTRIBUTE_LENGTH = 0xffff;
/** The entry count of a RIB record is 2 octets. */
const MAX_ENTRIES = 0xffff;

/**
 * Writes one TABLE_DUMP_V2 file as a stream of chunks: peerIndexTable() first, then per prefix beginRib(),
 * addEntry() per path and endRib(), in prefix order; finish() flushes the last chunk. Not reentrant: await each
 * call that returns a promise before the next.
 */
export class TableDumpV2Writer {
  private chunk: Buffer;
  private used = 0;
  /** The record being built (grown as needed, reused). */
  private record = Buffer.allocUnsafe(4096);
  private recordUsed = 0;
  private entryCountAt = -1;
  private entries = 0;
  private addPath = false;
  private sequence = 0;
  private readonly timestamp: number;
  private readonly chunkSize: number;
  /** Bytes handed to the sink so far. */
  bytesWritten = 0;
  /** RIB records and entries written. */
  ribRecords = 0;
  ribEntries = 0;
  /** Entries left out: their attribute section is longer than the 2-octet length can say. */
  entriesSkipped = 0;

  constructor(
    private readonly sink: ChunkSink,
    private readonly options: TableDumpWriterOptions,
  ) {
    this.timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
  }

  /** PEER_INDEX_TABLE (RFC 6396 4.3.1): every peer with its BGP id, address and AS (always as 4 octets). */
  peerIndexTable(peers: readonly TableDumpPeer[]): void | Promise<void> {
    if (peers.length > MAX_ENTRIES) throw new MrtError(`${peers.length} peers do not fit a PEER_INDEX_TABLE (at most ${MAX_ENTRIES})`, -1);
    const name = Buffer.from(this.options.viewName ?? '', 'utf8');
    if (name.length > 0xffff) throw new MrtError('view name longer than 65535 bytes', -1);
    this.startRecord(TableDumpV2Subtype.PeerIndexTable);
    this.u32(this.options.collectorBgpId >>> 0);
    this.u16(name.length);
    this.bytes(name);
    this.u16(peers.length);
    for (const p of peers) {
      const v6 = p.address.length === 16;
      if (!v6 && p.address.length !== 4) throw new MrtError(`peer address of ${p.address.length} bytes`, -1);
      this.u8((v6 ? 1 : 0) | 2); // bit 0: IPv6 address; bit 1: 4-octet AS
      this.u32(p.bgpId >>> 0);
      this.bytes(p.address);
      this.u32(p.as >>> 0);
    }
    return this.endRecord();
  }

  /**
   * Starts the RIB record of one prefix (words in the NlriSink convention). `addPath`: the RFC 8050 subtype,
   * whose entries carry path identifiers.
   */
  beginRib(afi: Afi, a: number, b: number, c: number, d: number, length: number, addPath: boolean): void {
    const v6 = afi === Afi.IPv6;
    const subtype = v6
      ? addPath ? TableDumpV2Subtype.RibIpv6UnicastAddPath : TableDumpV2Subtype.RibIpv6Unicast
      : addPath ? TableDumpV2Subtype.RibIpv4UnicastAddPath : TableDumpV2Subtype.RibIpv4Unicast;
    this.startRecord(subtype);
    this.addPath = addPath;
    this.u32(this.sequence);
    this.sequence = (this.sequence + 1) >>> 0;
    this.u8(length);
    const n = (length + 7) >> 3;
    for (let i = 0; i < n; i++) {
      const w = i < 4 ? a : i < 8 ? b : i < 12 ? c : d;
      this.u8((w >>> (24 - 8 * (i & 3))) & 0xff);
    }
    this.entryCountAt = this.recordUsed;
    this.u16(0);
    this.entries = 0;
  }

  /** One path of the current prefix: its peer's index, originated time (seconds), path id and attribute section. */
  addEntry(peerIndex: number, originatedTime: number, pathId: number, attributes: Uint8Array): void {
    if (attributes.length > MAX_ATTRIBUTE_LENGTH || this.entries === MAX_ENTRIES) {
      this.entriesSkipped++;
      return;
    }
    this.u16(peerIndex);
    this.u32(originatedTime >>> 0);
    if (this.addPath) this.u32(pathId >>> 0);
    this.u16(attributes.length);
    this.bytes(attributes);
    this.entries++;
  }

  /** Ends the current prefix's record; the promise, when there is one, is the sink taking a full chunk. */
  endRib(): void | Promise<void> {
    this.record.writeUInt16BE(this.entries, this.entryCountAt);
    this.ribRecords++;
    this.ribEntries += this.entries;
    return this.endRecord();
  }

  /** Hands the last chunk to the sink. */
  finish(): void | Promise<void> {
    return this.flush();
  }

  private startRecord(subtype: number): void {
    this.recordUsed = 0;
    this.u32(this.timestamp);
    this.u16(MrtType.TableDumpV2);
    this.u16(subtype);
    this.u32(0); // length, filled in by endRecord
  }

  private endRecord(): void | Promise<void> {
    const length = this.recordUsed;
    this.record.writeUInt32BE(length - MRT_HEADER_LENGTH, 8);
    if (this.used > 0 && this.used + length > this.chunk.length) {
      const flushed = this.flush();
      if (flushed !== undefined) return flushed.then(() => this.append(length));
    }
    this.append(length);
  }

  private append(length: number): void {
    if (this.used + length > this.chunk.length) this.chunk = Buffer.allocUnsafe(Math.max(length, this.chunkSize));
    this.record.copy(this.chunk, this.used, 0, length);
    this.used += length;
  }

  private flush(): void | Promise<void> {
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.bytesWritten += this.used;
    // A fresh chunk: the sink may hold the old one until it is written.
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
    this.used = 0;
    return this.sink(full);
  }

  private room(n: number): void {
    if (this.recordUsed + n <= this.record.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.record.length * 2, this.recordUsed + n));
    this.record.copy(bigger, 0, 0, this.recordUsed);
    this.record = bigger;
  }

  private u8(v: number): void {
    this.room(1);
    this.record[this.recordUsed++] = v;
  }

  private u16(v: number): void {
    this.room(2);
    this.record.writeUInt16BE(v, this.recordUsed);
    this.recordUsed += 2;
  }

  private u32(v: number): void {
    this.room(4);
    this.record.writeUInt32BE(v >>> 0, this.recordUsed);
    this.recordUsed += 4;
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    this.record.set(b, this.recordUsed);
    this.recordUsed += b.length;
  }
}
