// `bgpdump -m` output (bgpdump 1.6.2), byte for byte: one line per RIB entry, announced or withdrawn prefix and
// state change. The rules were learned by reading bgpdump's source and diffing its output on real files; each
// quirk we reproduce is commented where it is applied. Lines are written as ASCII bytes into an AsciiBuffer (no
// strings per line); the parts all lines of one record share are written once and copied.
import {
  Afi,
  AsPathSegmentType,
  AttrFlag,
  AttrType,
  BGP_HEADER_LENGTH,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BgpError,
  ErrorCode,
  MessageHeaderSubcode,
  MessageType,
  Safi,
  checkHeader,
  type AsPathSegment,
  type DecodeOptions,
  type NlriSink,
  type PathAttributes,
  type AttributesResult,
  decodeAttributes,
  decodeUpdate,
  formatIpv4,
} from '../bgp/index.js';
import { bgpdumpAddress } from './address.js';
import { AsciiBuffer } from './ascii-buffer.js';
import { Bgp4mpHeader, readBgp4mpHeader } from './bgp4mp.js';
import { Bgp4mpSubtype, MrtType, TableDumpV2Subtype } from './constants.js';
import { MrtError, mrtErrorAtRecord } from './errors.js';
import { readMrtRecordBatches, type MrtRecord, type ReadMrtOptions } from './reader.js';
import {
  type MrtRibEntry,
  type PeerIndexTable,
  decodeBgp4mpEntry,
  decodePeerIndexTable,
  decodeTableDumpV1,
  decodeTableDumpV2Rib,
} from './table-dump.js';

const INADDR_NONE = '255.255.255.255';
const MAX_ASPATH_TEXT = 7900;

const SPACE = 32;
const COMMA = 44;
const PIPE = 124;
const NEWLINE = 10;
const SLASH = 47;
/** The kind column of announcement and withdrawal lines. */
const KIND_A = 65;
const KIND_W = 87;

/** AS path text by bgpdump's rules: sets {a,b}, confed sequences (a b), confed sets [a,b]; long paths end in "...". */
export function bgpdumpAsPath(segments: readonly AsPathSegment[] | null): string {
  const w = new AsciiBuffer(256);
  writeAsPath(w, segments);
  return w.takeString();
}

function writeAsPath(w: AsciiBuffer, segments: readonly AsPathSegment[] | null): void {
  if (segments === null) return;
  const start = w.pos;
  let prevType: number = AsPathSegmentType.AsSequence;
  let space = false;
  for (const seg of segments) {
    if (prevType !== AsPathSegmentType.AsSequence) w.byte(closeChar(prevType));
    if (space) w.byte(SPACE);
    if (seg.type !== AsPathSegmentType.AsSequence) w.byte(openChar(seg.type));
    // bgpdump restarts the separator per segment, so an empty segment adds no space before the next one.
    space = false;
    const sep = seg.type === AsPathSegmentType.AsSet || seg.type === AsPathSegmentType.ConfedSet ? COMMA : SPACE;
    const asns = seg.asns;
    for (let i = 0; i < asns.length; i++) {
      if (space) w.byte(sep);
      else space = true;
      w.uint(asns[i]!);
      if (w.pos - start > MAX_ASPATH_TEXT) {
        w.text('...');
        return;
      }
    }
    prevType = seg.type;
  }
  if (segments.length > 0 && prevType !== AsPathSegmentType.AsSequence) w.byte(closeChar(prevType));
}

function openChar(type: number): number {
  return type === AsPathSegmentType.AsSet ? 123 : type === AsPathSegmentType.ConfedSet ? 91 : type === AsPathSegmentType.ConfedSequence ? 40 : SPACE;
}
function closeChar(type: number): number {
  return type === AsPathSegmentType.AsSet ? 125 : type === AsPathSegmentType.ConfedSet ? 93 : type === AsPathSegmentType.ConfedSequence ? 41 : SPACE;
}

/** Communities as bgpdump writes them: three well-known names, the rest as AS:value (16-bit halves). */
export function bgpdumpCommunities(list: Uint32Array | null): string {
  const w = new AsciiBuffer(256);
  writeCommunities(w, list);
  return w.takeString();
}

function writeCommunities(w: AsciiBuffer, list: Uint32Array | null): void {
  if (list === null) return;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (i > 0) w.byte(SPACE);
    if (c === 0xffffff01) w.text('no-export');
    else if (c === 0xffffff02) w.text('no-advertise');
    else if (c === 0xffffff03) w.text('local-AS');
    else {
      w.uint(c >>> 16);
      w.byte(58);
      w.uint(c & 0xffff);
    }
  }
}

/** "path|origin|" */
function writePathOrigin(w: AsciiBuffer, pa: PathAttributes): void {
  writeAsPath(w, pa.asPath);
  w.text(pa.origin === 0 ? '|IGP|' : pa.origin === 1 ? '|EGP|' : '|INCOMPLETE|');
}

/** "localpref|med|" (absent ones as 0); `signed`: as C's %d prints them (values over 2^31 come out negative). */
function writeLocalPrefMed(w: AsciiBuffer, pa: PathAttributes, signed: boolean): void {
  const lp = pa.localPref < 0 ? 0 : pa.localPref;
  const med = pa.med < 0 ? 0 : pa.med;
  if (signed) {
    w.int(lp | 0);
    w.byte(PIPE);
    w.int(med | 0);
  } else {
    w.uint(lp);
    w.byte(PIPE);
    w.uint(med);
  }
  w.byte(PIPE);
}

/**
 * "communities|AG|aggregator|\n": the tail every announcement and RIB line shares. `aggregator` replaces the
 * codec's AGGREGATOR when given (see aggregatorLikeBgpdump).
 */
function writeTail(w: AsciiBuffer, pa: PathAttributes, aggregator: string | null = null): void {
  writeCommunities(w, pa.communities);
  w.text(pa.atomicAggregate ? '|AG|' : '|NAG|');
  if (aggregator !== null) {
    w.text(aggregator);
  } else if (pa.aggregatorAs >= 0 && pa.aggregatorAddress >>> 0 !== 0xffffffff) {
    // bgpdump prints the aggregator unless its address is 255.255.255.255, its "absent" value.
    w.uint(pa.aggregatorAs);
    w.byte(SPACE);
    w.ipv4(pa.aggregatorAddress >>> 0);
  }
  w.byte(PIPE);
  w.byte(NEWLINE);
}

/** The IPv4 NEXT_HOP, or bgpdump's INADDR_NONE when absent. */
function writeNextHop(w: AsciiBuffer, pa: PathAttributes): void {
  if (pa.nextHop < 0) w.text(INADDR_NONE);
  else w.ipv4(pa.nextHop >>> 0);
}

/** An MP next hop of 4, 16 or 32 bytes (only the global address of 32 is shown); false, writing nothing, otherwise. */
function writeMpNextHop(w: AsciiBuffer, nh: Uint8Array | null): boolean {
  if (nh === null) return false;
  if (nh.length === 4) w.address(nh, 0, 4);
  else if (nh.length === 16 || nh.length === 32) w.address(nh, 0, 16);
  else return false;
  return true;
}

/** A prefix in the NlriSink number convention, as "address/length". */
function writePrefix(w: AsciiBuffer, afi: number, a: number, b: number, c: number, d: number, length: number): void {
  if (afi === Afi.IPv6) w.ipv6(a, b, c, d);
  else w.ipv4(a);
  w.byte(SLASH);
  w.uint(length);
}

/** Collects the prefixes decodeUpdate reports, as numbers, in order. */
class PrefixCollector implements NlriSink {
  count = 0;
  announceFlags: number[] = [];
  afi: number[] = [];
  pathId: number[] = [];
  a: number[] = [];
  b: number[] = [];
  c: number[] = [];
  d: number[] = [];
  length: number[] = [];
  reset(): void {
    this.count = 0;
  }
  private add(announce: number, afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    const i = this.count++;
    this.announceFlags[i] = announce;
    this.afi[i] = afi;
    this.pathId[i] = pathId;
    this.a[i] = a;
    this.b[i] = b;
    this.c[i] = c;
    this.d[i] = d;
    this.length[i] = length;
  }
  announce(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.add(1, afi, pathId, a, b, c, d, length);
  }
  withdraw(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.add(0, afi, pathId, a, b, c, d, length);
  }
}

/** Counts the prefixes of the IPv4 NLRI field at the end of an UPDATE body (to tell them from MP_REACH ones). */
function countTrailingNlri(buf: Buffer, start: number, end: number, addPath: boolean): number {
  const withdrawnLength = buf.readUInt16BE(start);
  const attrLengthAt = start + 2 + withdrawnLength;
  let p = attrLengthAt + 2 + buf.readUInt16BE(attrLengthAt);
  let n = 0;
  const id = addPath ? 4 : 0;
  while (p < end) {
    p += id + 1 + ((buf[p + id]! + 7) >> 3);
    n++;
  }
  return n;
}

/** Whether the attribute section has an MP_REACH/MP_UNREACH of a SAFI other than unicast (a quick walk). */
function hasNonUnicastMp(buf: Buffer, start: number, end: number): boolean {
  const aLenAt = start + 2 + buf.readUInt16BE(start);
  if (aLenAt + 2 > end) return false;
  let p = aLenAt + 2;
  const aEnd = Math.min(end, p + buf.readUInt16BE(aLenAt));
  while (p + 3 <= aEnd) {
    const flags = buf[p]!;
    const type = buf[p + 1]!;
    const ext = (flags & AttrFlag.ExtendedLength) !== 0;
    if (ext && p + 4 > aEnd) return false;
    const len = ext ? buf.readUInt16BE(p + 2) : buf[p + 2]!;
    const v = p + (ext ? 4 : 3);
    // AFI (2 bytes) then SAFI, in MP_REACH_NLRI and MP_UNREACH_NLRI alike.
    const mp = type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri;
    if (mp && len >= 3 && v + 3 <= aEnd && buf[v + 2] !== Safi.Unicast) return true;
    p = v + len;
  }
  return false;
}

/**
 * AGGREGATOR read as bgpdump reads it whatever its length: an AS of the record's width, then an address. Used
 * where the codec rightly discards it, e.g. OpenBGPD's TABLE_DUMP (v1) files carry 4-octet AGGREGATORs in a
 * 2-octet format, which bgpdump shows as "0 253.232.192.168". null when there is no such attribute.
 * OpenBGPD's BGP4MP_ENTRY files mix the same way (2-octet AS_PATH, 4-octet AGGREGATOR).
 */
function aggregatorLikeBgpdump(attrs: Buffer, asWidth: number): string | null {
  let p = 0;
  while (p + 3 <= attrs.length) {
    const ext = (attrs[p]! & AttrFlag.ExtendedLength) !== 0;
    const type = attrs[p + 1]!;
    if (ext && p + 4 > attrs.length) return null;
    const len = ext ? attrs.readUInt16BE(p + 2) : attrs[p + 2]!;
    const v = p + (ext ? 4 : 3);
    if (type === AttrType.Aggregator) {
      // asWidth 0 (BGP4MP_ENTRY, no bgpdump rule to follow): take the AS width from the length, 6 or 8.
      const asLen = asWidth === 0 ? (len >= 8 ? 4 : 2) : asWidth;
      if (len < asLen + 4 || v + asLen + 4 > attrs.length) return null;
      const addr = attrs.readUInt32BE(v + asLen);
      if (addr === 0xffffffff) return '';
      return (asLen === 2 ? attrs.readUInt16BE(v) : attrs.readUInt32BE(v)) + ' ' + formatIpv4(addr);
    }
    p = v + len;
  }
  return null;
}

/**
 * The length of the BGP message whose header is at body[at..], checked by the codec's checkHeader. Like bgpdump, which
 * warns and skips a message whose marker is not all ones (here also a header cut short): -1; a header of an unknown
 * type or an impossible length, which bgpdump prints nothing for: 0.
 */
function bgpMessageLength(body: Buffer, at: number): number {
  if (body.length - at < BGP_HEADER_LENGTH) return -1;
  try {
    return checkHeader(body, at, BGP_MAX_EXTENDED_MESSAGE_LENGTH);
  } catch (err) {
    if (!(err instanceof BgpError)) throw err;
    const badMarker = err.code === ErrorCode.MessageHeader && err.subcode === MessageHeaderSubcode.ConnectionNotSynchronized;
    return badMarker ? -1 : 0;
  }
}

interface BgpdumpPrefix {
  text: string;
  pathId: number;
}

/**
 * Reads an NLRI field as bgpdump 1.6.2 does, garbage included: a prefix whose bytes run past the field ends the
 * list; prefix lengths are not checked, and bgpdump copies (length+7)/8 bytes into a 16-byte address followed by
 * its length byte and path id, so over 16 bytes the shown length (and over 20 the path id) come from the data.
 */
function readPrefixesLikeBgpdump(buf: Buffer, start: number, end: number, afi: number, addPath: boolean): BgpdumpPrefix[] {
  const out: BgpdumpPrefix[] = [];
  const data = Buffer.alloc(32);
  let p = start;
  while (p < end) {
    let pathId = 0;
    if (addPath) {
      if (p + 4 > end) break;
      pathId = buf.readUInt32BE(p);
      p += 4;
    }
    if (p >= end) break;
    const bits = buf[p++]!;
    const bytes = (bits + 7) >> 3;
    if (end - p < bytes) break;
    data.fill(0);
    buf.copy(data, 0, p, p + bytes);
    p += bytes;
    const shownLength = bytes > 16 ? data[16]! : bits;
    if (bytes > 20) pathId = data.readUInt32LE(20);
    const text = afi === Afi.IPv6 ? bgpdumpAddress(data.subarray(0, 16)) : bgpdumpAddress(data.subarray(0, 4));
    out.push({ text: text + '/' + shownLength, pathId });
  }
  return out;
}

export interface DumpStats {
  records: number;
  lines: number;
  /** Records printed nothing for, by reason (bgpdump skips the same ones). */
  skipped: Map<string, number>;
  /** BGP4MP_ENTRY records printed as BGP4MP_ENTRY|...|B| lines (bgpdump prints nothing for them). */
  bgp4mpEntries: number;
}

/**
 * Turns MRT records into `bgpdump -m` lines. Keeps the PEER_INDEX_TABLE between records. writeRecord() appends
 * a record's lines to an AsciiBuffer, so the caller writes big chunks of bytes.
 */
export class BgpdumpFormatter {
  private peers: PeerIndexTable | null = null;
  private readonly collector = new PrefixCollector();
  private readonly scratch = new AsciiBuffer(1 << 12);
  readonly stats: DumpStats = { records: 0, lines: 0, skipped: new Map(), bgp4mpEntries: 0 };

  private skip(reason: string): void {
    this.stats.skipped.set(reason, (this.stats.skipped.get(reason) ?? 0) + 1);
  }

  /** The lines of a batch of records, each ending in "\n". */
  format(records: readonly MrtRecord[]): string {
    this.scratch.pos = 0; // drops what a record that threw had written
    for (const r of records) {
      this.stats.records++;
      this.writeRecord(r, this.scratch);
    }
    return this.scratch.takeString();
  }

  /** The lines of one record (counted in stats.records by the caller). */
  formatRecord(r: MrtRecord): string {
    this.scratch.pos = 0;
    this.writeRecord(r, this.scratch);
    return this.scratch.takeString();
  }

  /**
   * Appends the lines of one record to `w`. When it throws (MrtError), part of a line may have been written:
   * the caller rewinds w.pos to where it was.
   */
  writeRecord(r: MrtRecord, w: AsciiBuffer): void {
    switch (r.type) {
      case MrtType.TableDumpV2:
        return this.tableDumpV2(r, w);
      case MrtType.TableDump:
        return this.tableDumpV1(r, w);
      case MrtType.Bgp4mp:
      case MrtType.Bgp4mpEt:
        return this.bgp4mp(r, w);
      default:
        this.skip(`MRT type ${r.type}`);
    }
  }

  private tableDumpV2(r: MrtRecord, w: AsciiBuffer): void {
    if (r.subtype === TableDumpV2Subtype.PeerIndexTable) {
      this.peers = decodePeerIndexTable(r);
      return;
    }
    const entries = decodeTableDumpV2Rib(r, this.peers);
    if (entries.length === 0) {
      if (r.subtype !== TableDumpV2Subtype.RibIpv4Unicast && r.subtype !== TableDumpV2Subtype.RibIpv6Unicast &&
          r.subtype !== TableDumpV2Subtype.RibIpv4UnicastAddPath && r.subtype !== TableDumpV2Subtype.RibIpv6UnicastAddPath) {
        this.skip(`TABLE_DUMP_V2 subtype ${r.subtype}`);
      }
      return;
    }
    const addPath = r.subtype === TableDumpV2Subtype.RibIpv4UnicastAddPath || r.subtype === TableDumpV2Subtype.RibIpv6UnicastAddPath;
    for (const e of entries) this.ribLine(w, addPath ? 'TABLE_DUMP2_AP|' : 'TABLE_DUMP2|', r.timestamp, e, addPath, null);
  }

  /** One B line: kind|time|B|peer|peerAS|prefix|[pathId|]path|origin|nexthop|localpref|med|communities|AG|aggregator| */
  private ribLine(w: AsciiBuffer, kind: string, timestamp: number, e: MrtRibEntry, addPath: boolean, entryNextHop: Uint8Array | null): void {
    const pa = e.attributes;
    if (pa === null) {
      this.skip('RIB entry with undecodable attributes');
      return;
    }
    this.stats.lines++;
    w.text(kind);
    w.uint(timestamp);
    w.text('|B|');
    w.address(e.peer.address, 0, e.peer.address.length);
    w.byte(PIPE);
    w.uint(e.peer.as);
    w.byte(PIPE);
    writePrefix(w, e.afi, e.a, e.b, e.c, e.d, e.length);
    w.byte(PIPE);
    if (addPath) {
      w.uint(e.pathId);
      w.byte(PIPE);
    }
    writePathOrigin(w, pa);
    if (entryNextHop !== null) {
      if (!writeMpNextHop(w, entryNextHop)) w.text(INADDR_NONE);
    } else if (!writeMpNextHop(w, pa.mpNextHop)) {
      writeNextHop(w, pa);
    }
    w.byte(PIPE);
    writeLocalPrefMed(w, pa, false);
    writeTail(w, pa, e.fourOctetAs || pa.aggregatorAs >= 0 ? null : aggregatorLikeBgpdump(e.attributeBytes, entryNextHop === null ? 2 : 0));
  }

  private tableDumpV1(r: MrtRecord, w: AsciiBuffer): void {
    const e = decodeTableDumpV1(r);
    if (e === null) {
      this.skip(`TABLE_DUMP subtype ${r.subtype}`);
      return;
    }
    this.ribLine(w, 'TABLE_DUMP|', r.timestamp, e, false, null);
  }

  // The record being written: its line heads "kind|time|A|peer|peerAS|" and "...|W|...", and the shared tails of
  // its announcements, are written once into the output and copied from there for the record's other lines.
  private readonly header = new Bgp4mpHeader();
  private record: MrtRecord | null = null;
  private recordKind = '';
  private recordEt = false;
  private aHeadAt = -1;
  private aHeadLength = 0;
  private wHeadAt = -1;
  private wHeadLength = 0;

  /** Writes the record's "kind|time|A|peer|peerAS|" (KIND_A) or W head (KIND_W), copying it after the first time. */
  private head(w: AsciiBuffer, kind: number): void {
    const at = kind === KIND_A ? this.aHeadAt : this.wHeadAt;
    if (at >= 0) {
      w.repeat(at, kind === KIND_A ? this.aHeadLength : this.wHeadLength);
      return;
    }
    const start = w.pos;
    const r = this.record!;
    const h = this.header;
    w.text(this.recordKind);
    writeTime(w, r, this.recordEt);
    w.byte(PIPE);
    w.byte(kind);
    w.byte(PIPE);
    w.address(r.body, h.peerAddressAt, h.addressLength);
    w.byte(PIPE);
    w.uint(h.peerAs);
    w.byte(PIPE);
    if (kind === KIND_A) {
      this.aHeadAt = start;
      this.aHeadLength = w.pos - start;
    } else {
      this.wHeadAt = start;
      this.wHeadLength = w.pos - start;
    }
  }

  private bgp4mp(r: MrtRecord, w: AsciiBuffer): void {
    const s = r.subtype;
    const et = r.type === MrtType.Bgp4mpEt;
    if (s === Bgp4mpSubtype.Entry) {
      // Deprecated BGP4MP_ENTRY: bgpdump prints nothing; we print the route in the TABLE_DUMP2 columns.
      const found = decodeBgp4mpEntry(r);
      if (found === null) {
        this.skip('BGP4MP_ENTRY of an unknown address family');
        return;
      }
      this.stats.bgp4mpEntries++;
      this.ribLine(w, 'BGP4MP_ENTRY|', r.timestamp, found.entry, false, found.nextHop);
      return;
    }
    if (s === Bgp4mpSubtype.StateChange || s === Bgp4mpSubtype.StateChangeAs4) {
      this.stateChange(r, w, et ? 'BGP4MP_ET|' : 'BGP4MP|', et);
      return;
    }
    if (s === Bgp4mpSubtype.Snapshot || s > Bgp4mpSubtype.MessageAs4LocalAddPath) {
      this.skip(`BGP4MP subtype ${s}`);
      return;
    }
    const m = this.header;
    try {
      readBgp4mpHeader(r.body, s, m);
    } catch (err) {
      // bgpdump warns and skips such records (unknown address family, short header); so do we.
      this.skip(`BGP4MP record: ${(err as Error).message}`);
      return;
    }
    // The BGP message is body[at..]; offsets below are into the body (no view per record).
    const body = r.body;
    const at = m.payloadAt;
    const declaredLength = bgpMessageLength(body, at);
    if (declaredLength < 0) {
      this.skip('BGP4MP message with a bad marker');
      return;
    }
    if (declaredLength === 0 || body[at + 18] !== MessageType.Update) return; // only UPDATEs make lines
    // A truncated record keeps what it has, as in bgpdump; it needs at least both section lengths.
    const length = Math.min(body.length - at, declaredLength);
    if (length < BGP_HEADER_LENGTH + 4) return;
    const opts = DECODE_OPTIONS[(m.fourOctetAs ? 2 : 0) + (m.addPath ? 1 : 0)]!;
    this.recordKind = et ? (m.local ? (m.addPath ? 'BGP4MP_ET_LOCAL_AP|' : 'BGP4MP_ET_LOCAL|') : m.addPath ? 'BGP4MP_ET_AP|' : 'BGP4MP_ET|')
      : m.local ? (m.addPath ? 'BGP4MP_LOCAL_AP|' : 'BGP4MP_LOCAL|') : m.addPath ? 'BGP4MP_AP|' : 'BGP4MP|';
    this.recordEt = et;
    this.record = r;
    this.aHeadAt = -1;
    this.wHeadAt = -1;
    const end = at + length;
    if (hasNonUnicastMp(body, at + BGP_HEADER_LENGTH, end)) {
      this.updateLikeBgpdump(w, body.subarray(at), length, opts);
      return;
    }
    const col = this.collector;
    col.reset();
    let res;
    try {
      res = decodeUpdate(body, at + BGP_HEADER_LENGTH, end, opts, col);
    } catch {
      // The codec refuses what bgpdump reads anyway (e.g. ADD-PATH NLRI in a non-ADDPATH record, as BIRD wrote).
      this.updateLikeBgpdump(w, body.subarray(at), length, opts);
      return;
    }
    // decodeUpdate reports withdrawals first; when the UPDATE is treat-as-withdraw (RFC 7606) its announcements
    // arrive as withdrawals too, but bgpdump prints them as announcements: the first res.withdrawn are real.
    const addPath = m.addPath;
    const nlriCount = res.announced > 0 ? countTrailingNlri(body, at + BGP_HEADER_LENGTH, end, addPath) : 0;
    const pa = res.attributes;
    // Where the shared tail of classic (IPv4 NLRI) and MP_REACH announcements was first written, and its length.
    let classicAt = -1;
    let classicLength = 0;
    let mpAt = -1;
    let mpLength = 0;
    let announced = 0;
    for (let i = 0; i < col.count; i++) {
      if (i < res.withdrawn) {
        this.head(w, KIND_W);
        writePrefix(w, col.afi[i]!, col.a[i]!, col.b[i]!, col.c[i]!, col.d[i]!, col.length[i]!);
        if (addPath) {
          w.byte(PIPE);
          w.uint(col.pathId[i]!);
        }
        w.byte(NEWLINE);
        continue;
      }
      if (pa === null) continue;
      this.head(w, KIND_A);
      writePrefix(w, col.afi[i]!, col.a[i]!, col.b[i]!, col.c[i]!, col.d[i]!, col.length[i]!);
      w.byte(PIPE);
      if (addPath) {
        w.uint(col.pathId[i]!);
        w.byte(PIPE);
      }
      if (announced++ < nlriCount) {
        if (classicAt >= 0) {
          w.repeat(classicAt, classicLength);
        } else {
          classicAt = w.pos;
          this.writeClassicTail(w, pa);
          classicLength = w.pos - classicAt;
        }
      } else if (mpAt >= 0) {
        w.repeat(mpAt, mpLength);
      } else {
        mpAt = w.pos;
        this.writeMpTail(w, pa, col.afi[i] === Afi.IPv6);
        mpLength = w.pos - mpAt;
      }
    }
    this.stats.lines += col.count;
  }

  /** After "prefix|[pathId|]" of an IPv4 NLRI announcement: path|origin|nexthop|localpref|med|tail. */
  private writeClassicTail(w: AsciiBuffer, pa: PathAttributes): void {
    writePathOrigin(w, pa);
    writeNextHop(w, pa);
    w.byte(PIPE);
    writeLocalPrefMed(w, pa, false);
    writeTail(w, pa);
  }

  /** The same for an MP_REACH_NLRI announcement, whose next hop comes from MP_REACH. */
  private writeMpTail(w: AsciiBuffer, pa: PathAttributes, v6: boolean): void {
    if (!v6) {
      writePathOrigin(w, pa);
      if (writeMpNextHop(w, pa.mpNextHop)) {
        w.byte(PIPE);
        // bgpdump prints these two with %d for IPv4 MP_REACH routes, so values over 2^31 come out negative.
        writeLocalPrefMed(w, pa, true);
      }
      writeTail(w, pa);
      return;
    }
    // For IPv6, bgpdump prints path and origin only together with a next hop of a length it knows.
    const nh = pa.mpNextHop;
    if (nh !== null && (nh.length === 4 || nh.length === 16 || nh.length === 32)) {
      writePathOrigin(w, pa);
      writeMpNextHop(w, nh);
      w.byte(PIPE);
      writeLocalPrefMed(w, pa, false);
    }
    writeTail(w, pa);
  }

  /**
   * The UPDATEs decodeUpdate does not report as bgpdump prints them: multicast MP_(UN)REACH (decodeUpdate gives
   * unicast only) and UPDATEs the codec rejects. Attributes still come from the codec (decodeAttributes); the
   * prefixes are read the way bgpdump reads them (see readPrefixesLikeBgpdump).
   */
  private updateLikeBgpdump(w: AsciiBuffer, msg: Buffer, end: number, opts: DecodeOptions): void {
    const wStart = BGP_HEADER_LENGTH + 2;
    const wEnd = Math.min(end, wStart + msg.readUInt16BE(BGP_HEADER_LENGTH));
    if (wEnd + 2 > end) {
      this.skip('UPDATE with a withdrawn routes length past its end');
      return;
    }
    const aStart = wEnd + 2;
    const aEnd = Math.min(end, aStart + msg.readUInt16BE(wEnd));
    let r: AttributesResult | null = null;
    for (const addPath of [opts.addPathIpv4, !opts.addPathIpv4]) {
      try {
        r = decodeAttributes(msg, aStart, aEnd, { ...opts, addPathIpv4: addPath, addPathIpv6: addPath }, 'update');
        break;
      } catch {
        r = null;
      }
    }
    if (r === null) {
      this.skip('UPDATE whose attributes the codec rejects');
      return;
    }
    const addPath = opts.addPathIpv4;
    const pa = r.attributes;
    let n = 0;
    const withdrawn = (list: BgpdumpPrefix[]): void => {
      for (const p of list) {
        this.head(w, KIND_W);
        w.text(p.text);
        if (addPath) {
          w.byte(PIPE);
          w.uint(p.pathId);
        }
        w.byte(NEWLINE);
        n++;
      }
    };
    const announced = (list: BgpdumpPrefix[], writeTail: () => void): void => {
      let tailAt = -1;
      let tailLength = 0;
      for (const p of list) {
        this.head(w, KIND_A);
        w.text(p.text);
        w.byte(PIPE);
        if (addPath) {
          w.uint(p.pathId);
          w.byte(PIPE);
        }
        if (tailAt >= 0) {
          w.repeat(tailAt, tailLength);
        } else {
          tailAt = w.pos;
          writeTail();
          tailLength = w.pos - tailAt;
        }
        n++;
      }
    };
    withdrawn(readPrefixesLikeBgpdump(msg, wStart, wEnd, Afi.IPv4, addPath));
    const mpFamily = (afi: number, safi: number): boolean => (afi === Afi.IPv4 || afi === Afi.IPv6) && safi >= 1 && safi <= 3;
    if (mpFamily(r.mpUnreachAfi, r.mpUnreachSafi)) {
      withdrawn(readPrefixesLikeBgpdump(msg, r.mpUnreachStart, r.mpUnreachEnd, r.mpUnreachAfi, addPath));
    }
    announced(readPrefixesLikeBgpdump(msg, aEnd, end, Afi.IPv4, addPath), () => this.writeClassicTail(w, pa));
    if (mpFamily(r.mpReachAfi, r.mpReachSafi)) {
      const v6 = r.mpReachAfi === Afi.IPv6;
      announced(readPrefixesLikeBgpdump(msg, r.mpReachStart, r.mpReachEnd, r.mpReachAfi, addPath), () => this.writeMpTail(w, pa, v6));
    }
    this.stats.lines += n;
  }

  private stateChange(r: MrtRecord, w: AsciiBuffer, kind: string, et: boolean): void {
    const b = r.body;
    const as4 = r.subtype === Bgp4mpSubtype.StateChangeAs4;
    const asLen = as4 ? 4 : 2;
    if (b.length < 2 * asLen + 4) {
      this.skip('short STATE_CHANGE');
      return;
    }
    const peerAs = as4 ? b.readUInt32BE(0) : b.readUInt16BE(0);
    let peerAt = -1;
    let peerLength = 0;
    let p: number;
    if (b.length === 8) {
      // Old Zebra wrote 8-byte state changes without addresses; bgpdump shows them as from 0.0.0.0.
      p = 4;
    } else {
      const afi = b.readUInt16BE(2 * asLen + 2);
      const expected = afi === Afi.IPv4 ? [20, 24] : afi === Afi.IPv6 ? [44, 48] : [];
      if (!expected.includes(b.length)) {
        this.skip('STATE_CHANGE with a bad length or address family');
        return;
      }
      peerLength = afi === Afi.IPv6 ? 16 : 4;
      peerAt = 2 * asLen + 4;
      p = peerAt + 2 * peerLength;
    }
    this.stats.lines++;
    w.text(kind);
    writeTime(w, r, et);
    w.text('|STATE|');
    if (peerAt < 0) w.text('0.0.0.0');
    else w.address(b, peerAt, peerLength);
    w.byte(PIPE);
    w.uint(peerAs);
    w.byte(PIPE);
    w.uint(b.readUInt16BE(p));
    w.byte(PIPE);
    w.uint(b.readUInt16BE(p + 2));
    w.byte(NEWLINE);
  }
}

/** Decode options by record subtype: index (4-octet AS ? 2 : 0) + (ADD-PATH ? 1 : 0). */
const DECODE_OPTIONS: readonly DecodeOptions[] = [0, 1, 2, 3].map((i) => ({
  fourOctetAs: i >= 2,
  addPathIpv4: (i & 1) === 1,
  addPathIpv6: (i & 1) === 1,
  extendedMessage: true,
}));

/** The time column: seconds, and for the _ET types ".microseconds" (at least 6 digits, like %06u). */
function writeTime(w: AsciiBuffer, r: MrtRecord, et: boolean): void {
  w.uint(r.timestamp);
  if (et) {
    w.byte(46);
    w.uintPadded(r.microseconds, 6);
  }
}

/**
 * Streams `bgpdump -m` text for a whole file to `write`, in chunks of about `chunkSize` bytes (ASCII). A chunk is
 * lent: `write` calls `release` once it no longer needs the bytes (e.g. from the stream's write callback), and the
 * buffer is reused; without a call it is simply not reused. `write` may return a promise (back-pressure);
 * returning true from `shouldStop` ends early (e.g. the reader went away). Throws MrtError on a truncated or
 * garbled file after writing the lines of every record before the fault.
 */
export async function dumpMrtFile(
  path: string,
  write: (chunk: Buffer, release: () => void) => void | Promise<void>,
  options: ReadMrtOptions & { chunkSize?: number; shouldStop?: () => boolean } = {},
): Promise<DumpStats> {
  const chunkSize = options.chunkSize ?? 1 << 18;
  // Room for a chunk plus the lines of the record that crosses chunkSize, mostly; bigger records grow it.
  const capacity = chunkSize + (1 << 16);
  const free: Buffer[] = [];
  const hand = (next: Buffer): Promise<void> | void => {
    const full = w.buf;
    const chunk = w.take(next);
    // A buffer that had to grow for a huge record is not kept for reuse.
    return write(chunk, () => {
      if (full.length === capacity && free.length < 4) free.push(full);
    });
  };
  const f = new BgpdumpFormatter();
  const w = new AsciiBuffer(capacity);
  try {
    for await (const batch of readMrtRecordBatches(path, options)) {
      for (const r of batch) {
        f.stats.records++;
        const mark = w.pos;
        try {
          f.writeRecord(r, w);
        } catch (err) {
          w.pos = mark;
          if (err instanceof MrtError) {
            throw mrtErrorAtRecord(err, path, f.stats.records);
          }
          throw err;
        }
        if (w.pos >= chunkSize) {
          await hand(free.pop() ?? Buffer.allocUnsafe(capacity));
          if (options.shouldStop?.()) return f.stats;
        }
      }
    }
  } finally {
    if (w.pos > 0 && !options.shouldStop?.()) await hand(Buffer.alloc(0));
  }
  return f.stats;
}
