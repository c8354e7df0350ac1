import {
  AS_TRANS,
  Afi,
  AsPathSegmentType,
  AttrFlag,
  AttrType,
  ErrorCode,
  Safi,
  UpdateSubcode,
} from './constants.js';
import { BgpError, type ErrorAction } from './errors.js';
import { AsPathSegment, PathAttributes, UnknownAttribute } from './path-attributes.js';
import { BufferWriter } from './buffer-writer.js';
import { BufferReader, readUint16, readUint32 } from './buffer-reader.js';
import type { DecodeOptions } from './options.js';
import { countPrefixes, type NlriPrefix, writePrefix } from './nlri.js';
import {
  formatAggregator,
  formatAsPath,
  formatCommunities,
  formatExtendedCommunities,
  formatIpv4,
  formatIpv6,
  formatLargeCommunities,
  formatOrigin,
} from './format.js';

/**
 * 'update': attributes of an UPDATE. 'mrt-rib': attributes of a TABLE_DUMP_V2 RIB entry, whose MP_REACH_NLRI may be
 * the abbreviated form of RFC 6396 4.3.4 (next-hop length + next hop only).
 */
export type AttributeDecodeMode = 'update' | 'mrt-rib';

/**
 * What decoding one attribute section produced. decodeUpdate reuses one instance (internal); decodeAttributes
 * returns a fresh one. MP_REACH/MP_UNREACH NLRI are left in the buffer: their offsets are here.
 */
export class AttributesResult {
  attributes = new PathAttributes();
  /** Every non-fatal problem found (attribute discard, treat-as-withdraw); null when none. */
  errors: BgpError[] | null = null;
  /** RFC 7606: some attribute was malformed so the UPDATE's routes must be withdrawn. */
  treatAsWithdraw = false;
  /** MP_REACH_NLRI: AFI (0 when absent), SAFI, NLRI field offsets in the buffer and prefix count. */
  mpReachAfi = 0;
  mpReachSafi = 0;
  mpReachStart = 0;
  mpReachEnd = 0;
  mpReachCount = 0;
  /** MP_UNREACH_NLRI: as above. */
  mpUnreachAfi = 0;
  mpUnreachSafi = 0;
  mpUnreachStart = 0;
  mpUnreachEnd = 0;
  mpUnreachCount = 0;
  /** Number of attributes in the section (duplicates included). */
  count = 0;

  // Scratch for the decoders (not part of the result).
  buf: Buffer = EMPTY_BUFFER;
  fourOctetAs = true;
  addPathIpv4 = false;
  addPathIpv6 = false;
  mrtRib = false;
  ebgp = false;
  attrStart = 0;
  attrEnd = 0;
  as4Path: AsPathSegment[] | null = null;
  as4AggregatorAs = -1;
  as4AggregatorAddress = 0;

  reset(buf: Buffer, opts: DecodeOptions, mode: AttributeDecodeMode): void {
    this.attributes = new PathAttributes();
    this.errors = null;
    this.treatAsWithdraw = false;
    this.mpReachAfi = 0;
    this.mpReachSafi = 0;
    this.mpReachStart = 0;
    this.mpReachEnd = 0;
    this.mpReachCount = 0;
    this.mpUnreachAfi = 0;
    this.mpUnreachSafi = 0;
    this.mpUnreachStart = 0;
    this.mpUnreachEnd = 0;
    this.mpUnreachCount = 0;
    this.count = 0;
    this.buf = buf;
    this.fourOctetAs = opts.fourOctetAs;
    this.addPathIpv4 = opts.addPathIpv4;
    this.addPathIpv6 = opts.addPathIpv6;
    this.mrtRib = mode === 'mrt-rib';
    this.ebgp = opts.ebgp === true;
    this.as4Path = null;
    this.as4AggregatorAs = -1;
    this.as4AggregatorAddress = 0;
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);

/** What the encoders need besides the attributes. */
export interface MpNlriInput {
  afi: number;
  safi: number;
  prefixes: NlriPrefix[];
}

interface EncodeContext {
  fourOctetAs: boolean;
  addPathIpv4: boolean;
  addPathIpv6: boolean;
  mrtRib: boolean;
  mpReach: MpNlriInput | null;
  mpUnreach: MpNlriInput | null;
}

type DecodeFn = (buf: Buffer, start: number, end: number, r: AttributesResult) => BgpError | null;
type EncodeFn = (pa: PathAttributes, w: BufferWriter, ctx: EncodeContext) => void;
type FormatFn = (pa: PathAttributes) => string | null;

/** One row of the attribute table (BIRD's bgp_attr_table): flags, RFC 7606 action, decode, encode, format. */
export class AttributeDescriptor {
  constructor(
    readonly type: number,
    readonly name: string,
    /** The Optional and Transitive bits the RFC fixes for this type. */
    readonly flags: number,
    /** RFC 7606 action when this attribute is malformed (length or value). */
    readonly action: ErrorAction,
    /**
     * RFC 7606 3.c action when its Optional/Transitive/Partial bits are wrong: treat-as-withdraw, except where
     * the NLRI would be lost (MP_REACH/MP_UNREACH: session reset).
     */
    readonly flagsAction: ErrorAction,
    readonly decode: DecodeFn,
    readonly encode: EncodeFn,
    readonly format: FormatFn,
  ) {}
}

const WELL_KNOWN = AttrFlag.Transitive;
const OPTIONAL = AttrFlag.Optional;
const OPTIONAL_TRANSITIVE = AttrFlag.Optional | AttrFlag.Transitive;

// ---- helpers -------------------------------------------------------------------------------------------------

/** The decoders' reader, pointed at each value in turn (decoding is synchronous: one user at a time). */
const reader = new BufferReader();

/** A plain Uint8Array copy of buf[start..end) (values we keep must not pin the message buffer). */
function copyBytes(buf: Buffer, start: number, end: number): Uint8Array {
  return reader.setBuffer(buf, start).bytes(end - start);
}

/** An error about the attribute being decoded, with the attribute (flags, type, length, value) as data (RFC 4271 6.3). */
function attributeError(r: AttributesResult, subcode: number, message: string, action: ErrorAction): BgpError {
  return new BgpError(ErrorCode.UpdateMessage, subcode, message, Uint8Array.from(r.buf.subarray(r.attrStart, r.attrEnd)), action);
}

function lengthError(r: AttributesResult, name: string, length: number, action: ErrorAction): BgpError {
  return attributeError(r, UpdateSubcode.AttributeLengthError, `${name} has bad length ${length}`, action);
}

/** Writes flags/type and a length, using the extended length only when the value needs it. */
function writeAttribute(w: BufferWriter, flags: number, type: number, value: Uint8Array): void {
  if (value.length > 255) w.u8(flags | AttrFlag.ExtendedLength).u8(type).u16(value.length);
  else w.u8(flags & ~AttrFlag.ExtendedLength).u8(type).u8(value.length);
  w.bytes(value);
}

function valueOf(fill: (v: BufferWriter) => void): Uint8Array {
  const v = new BufferWriter(64);
  fill(v);
  return v.toBuffer();
}

/**
 * Parses AS_PATH/AS4_PATH segments. Returns null when malformed (RFC 7606 7.2: bad segment type, zero length,
 * overrun or underrun).
 */
function parseAsPath(buf: Buffer, start: number, end: number, asSize: number): AsPathSegment[] | null {
  const segments: AsPathSegment[] = [];
  // A local offset rather than the shared reader: this runs for every UPDATE (bench:codec).
  let p = start;
  while (p < end) {
    if (end - p < 2) return null;
    const type = buf[p]!;
    const count = buf[p + 1]!;
    if (type < AsPathSegmentType.AsSet || type > AsPathSegmentType.ConfedSet || count === 0) return null;
    p += 2;
    if (p + count * asSize > end) return null;
    const asns = new Array<number>(count);
    if (asSize === 4) {
      for (let i = 0; i < count; i++, p += 4) asns[i] = readUint32(buf, p);
    } else {
      for (let i = 0; i < count; i++, p += 2) asns[i] = readUint16(buf, p);
    }
    segments.push(new AsPathSegment(type, asns));
  }
  return segments;
}

function writeAsPath(w: BufferWriter, segments: readonly AsPathSegment[], asSize: number, skipConfed: boolean): void {
  for (const s of segments) {
    if (skipConfed && (s.type === AsPathSegmentType.ConfedSequence || s.type === AsPathSegmentType.ConfedSet)) continue;
    for (let i = 0; i < s.asns.length; i += 255) {
      const part = s.asns.slice(i, i + 255);
      w.u8(s.type).u8(part.length);
      for (const as of part) {
        if (asSize === 4) w.u32(as);
        else w.u16(as > 0xffff ? AS_TRANS : as);
      }
    }
  }
}

function needsAs4(segments: readonly AsPathSegment[]): boolean {
  for (const s of segments) for (const as of s.asns) if (as > 0xffff) return true;
  return false;
}

/** RFC 4271 9.1.2.2 path length: a set counts 1, confederation segments 0. */
function pathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AsPathSegmentType.AsSequence) n += s.asns.length;
    else if (s.type === AsPathSegmentType.AsSet) n += 1;
  }
  return n;
}

/**
 * RFC 6793 4.2.3: the path of a 2-octet session is the leading part of AS_PATH that AS4_PATH does not cover,
 * followed by AS4_PATH. When AS_PATH is shorter, AS4_PATH is ignored.
 */
export function mergeAs4Path(asPath: AsPathSegment[], as4Path: AsPathSegment[]): AsPathSegment[] {
  let needed = pathLength(asPath) - pathLength(as4Path);
  if (needed < 0) return asPath;
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === AsPathSegmentType.ConfedSequence || s.type === AsPathSegmentType.ConfedSet) {
      out.push(s);
      continue;
    }
    if (needed === 0) break;
    if (s.type === AsPathSegmentType.AsSet) {
      out.push(s);
      needed -= 1;
    } else {
      const take = Math.min(needed, s.asns.length);
      out.push(take === s.asns.length ? s : new AsPathSegment(s.type, s.asns.slice(0, take)));
      needed -= take;
    }
  }
  for (const s of as4Path) {
    const last = out.length > 0 ? out[out.length - 1] : null;
    if (
      last !== null &&
      last.type === AsPathSegmentType.AsSequence &&
      s.type === AsPathSegmentType.AsSequence &&
      last.asns.length + s.asns.length <= 255
    ) {
      out[out.length - 1] = new AsPathSegment(AsPathSegmentType.AsSequence, last.asns.concat(s.asns));
    } else {
      out.push(s);
    }
  }
  return out;
}

// ---- the table -----------------------------------------------------------------------------------------------

const ORIGIN = new AttributeDescriptor(
  AttrType.Origin,
  'ORIGIN',
  WELL_KNOWN,
  'treat-as-withdraw',
  'treat-as-withdraw',
  (buf, start, end, r) => {
    if (end - start !== 1) return lengthError(r, 'ORIGIN', end - start, 'treat-as-withdraw');
    const v = buf[start];
    if (v > 2) return attributeError(r, UpdateSubcode.InvalidOriginAttribute, `undefined ORIGIN ${v}`, 'treat-as-withdraw');
    r.attributes.origin = v;
    return null;
  },
  (pa, w) => {
    if (pa.origin >= 0) writeAttribute(w, WELL_KNOWN, AttrType.Origin, Uint8Array.of(pa.origin));
  },
  (pa) => (pa.origin >= 0 ? formatOrigin(pa.origin) : null),
);

const AS_PATH = new AttributeDescriptor(
  AttrType.AsPath,
  'AS_PATH',
  WELL_KNOWN,
  'treat-as-withdraw',
  'treat-as-withdraw',
  (buf, start, end, r) => {
    const segments = parseAsPath(buf, start, end, r.fourOctetAs ? 4 : 2);
    if (segments === null) return attributeError(r, UpdateSubcode.MalformedAsPath, 'malformed AS_PATH', 'treat-as-withdraw');
    if (r.ebgp) {
      for (const s of segments) {
        if (s.type === AsPathSegmentType.ConfedSequence || s.type === AsPathSegmentType.ConfedSet) {
          return attributeError(r, UpdateSubcode.MalformedAsPath, 'confederation segment in AS_PATH from an external peer', 'treat-as-withdraw');
        }
      }
    }
    r.attributes.asPath = segments;
    return null;
  },
  (pa, w, ctx) => {
    if (pa.asPath === null) return;
    const path = pa.asPath;
    writeAttribute(w, WELL_KNOWN, AttrType.AsPath, valueOf((v) => writeAsPath(v, path, ctx.fourOctetAs ? 4 : 2, false)));
  },
  (pa) => (pa.asPath === null ? null : formatAsPath(pa.asPath)),
);

/**
 * RFC 4271 6.3: a NEXT_HOP that cannot be a host address (0/8, multicast, class E and so broadcast) is ignored with
 * its routes. Loopback (127/8) is allowed: we never forward, and lab and demo peers on loopback announce such next hops.
 */
function badNextHop(a: number): boolean {
  const top = a >>> 24;
  return top === 0 || top >= 224;
}

const NEXT_HOP = new AttributeDescriptor(
  AttrType.NextHop,
  'NEXT_HOP',
  WELL_KNOWN,
  'treat-as-withdraw',
  'treat-as-withdraw',
  (buf, start, end, r) => {
    if (end - start !== 4) return lengthError(r, 'NEXT_HOP', end - start, 'treat-as-withdraw');
    const a = readUint32(buf, start);
    if (!r.mrtRib && badNextHop(a)) {
      return attributeError(r, UpdateSubcode.InvalidNextHopAttribute, `invalid NEXT_HOP ${formatIpv4(a)}`, 'treat-as-withdraw');
    }
    r.attributes.nextHop = a;
    return null;
  },
  (pa, w) => {
    if (pa.nextHop >= 0) writeAttribute(w, WELL_KNOWN, AttrType.NextHop, valueOf((v) => v.u32(pa.nextHop)));
  },
  (pa) => (pa.nextHop >= 0 ? formatIpv4(pa.nextHop) : null),
);

/** A 4-byte unsigned attribute stored in one PathAttributes field. */
function uint32Attribute(type: number, name: string, flags: number, field: 'med' | 'localPref' | 'originatorId'): AttributeDescriptor {
  return new AttributeDescriptor(
    type,
    name,
    flags,
    'treat-as-withdraw',
    'treat-as-withdraw',
    (buf, start, end, r) => {
      if (end - start !== 4) return lengthError(r, name, end - start, 'treat-as-withdraw');
      const v = readUint32(buf, start);
      // Named stores (not pa[field]) keep each store site monomorphic.
      if (field === 'med') {
        r.attributes.med = v;
      } else if (field === 'localPref') {
        if (r.ebgp) return attributeError(r, 0, 'LOCAL_PREF from an external peer', 'attribute-discard');
        r.attributes.localPref = v;
      } else {
        r.attributes.originatorId = v;
      }
      return null;
    },
    (pa, w) => {
      if (pa[field] >= 0) writeAttribute(w, flags, type, valueOf((v) => v.u32(pa[field])));
    },
    (pa) => (pa[field] >= 0 ? (field === 'originatorId' ? formatIpv4(pa[field]) : String(pa[field])) : null),
  );
}

const ATOMIC_AGGREGATE = new AttributeDescriptor(
  AttrType.AtomicAggregate,
  'ATOMIC_AGGREGATE',
  WELL_KNOWN,
  'attribute-discard',
  'treat-as-withdraw',
  (_buf, start, end, r) => {
    if (end !== start) return lengthError(r, 'ATOMIC_AGGREGATE', end - start, 'attribute-discard');
    r.attributes.atomicAggregate = true;
    return null;
  },
  (pa, w) => {
    if (pa.atomicAggregate) writeAttribute(w, WELL_KNOWN, AttrType.AtomicAggregate, new Uint8Array(0));
  },
  (pa) => (pa.atomicAggregate ? 'yes' : null),
);

const AGGREGATOR = new AttributeDescriptor(
  AttrType.Aggregator,
  'AGGREGATOR',
  OPTIONAL_TRANSITIVE,
  'attribute-discard',
  'treat-as-withdraw',
  (buf, start, end, r) => {
    // RFC 7606 7.7: length 8 on a 4-octet session, 6 otherwise; anything else is discarded.
    const asSize = r.fourOctetAs ? 4 : 2;
    if (end - start !== asSize + 4) return lengthError(r, 'AGGREGATOR', end - start, 'attribute-discard');
    const value = reader.setBuffer(buf, start);
    r.attributes.aggregatorAs = asSize === 4 ? value.uint32() : value.uint16();
    r.attributes.aggregatorAddress = value.ipv4();
    return null;
  },
  (pa, w, ctx) => {
    if (pa.aggregatorAs < 0) return;
    const value = valueOf((v) => {
      if (ctx.fourOctetAs) v.u32(pa.aggregatorAs);
      else v.u16(pa.aggregatorAs > 0xffff ? AS_TRANS : pa.aggregatorAs);
      v.u32(pa.aggregatorAddress);
    });
    writeAttribute(w, OPTIONAL_TRANSITIVE, AttrType.Aggregator, value);
  },
  (pa) => (pa.aggregatorAs >= 0 ? formatAggregator(pa.aggregatorAs, pa.aggregatorAddress) : null),
);

/**
 * A list of uint32 (COMMUNITIES, CLUSTER_LIST, LARGE_COMMUNITY) stored in one PathAttributes field. Its length must
 * be a non-zero multiple of `unit` bytes (4, or 12 for a large community).
 */
function uint32ListAttribute(
  type: number,
  name: string,
  flags: number,
  unit: number,
  field: 'communities' | 'clusterList' | 'largeCommunities',
  format: (list: Uint32Array) => string,
): AttributeDescriptor {
  return new AttributeDescriptor(
    type,
    name,
    flags,
    'treat-as-withdraw',
    'treat-as-withdraw',
    (buf, start, end, r) => {
      const len = end - start;
      if (len === 0 || len % unit !== 0) return lengthError(r, name, len, 'treat-as-withdraw');
      const list = reader.setBuffer(buf, start).uint32List(len >> 2);
      if (field === 'communities') r.attributes.communities = list;
      else if (field === 'largeCommunities') r.attributes.largeCommunities = list;
      else r.attributes.clusterList = list;
      return null;
    },
    (pa, w) => {
      const list = pa[field];
      if (list === null) return;
      writeAttribute(w, flags, type, valueOf((v) => list.forEach((x) => v.u32(x))));
    },
    (pa) => {
      const list = pa[field];
      return list === null ? null : format(list);
    },
  );
}

const EXTENDED_COMMUNITIES = new AttributeDescriptor(
  AttrType.ExtendedCommunities,
  'EXTENDED_COMMUNITIES',
  OPTIONAL_TRANSITIVE,
  'treat-as-withdraw',
  'treat-as-withdraw',
  (buf, start, end, r) => {
    const len = end - start;
    if (len === 0 || len % 8 !== 0) return lengthError(r, 'EXTENDED_COMMUNITIES', len, 'treat-as-withdraw');
    r.attributes.extendedCommunities = copyBytes(buf, start, end);
    return null;
  },
  (pa, w) => {
    if (pa.extendedCommunities !== null) writeAttribute(w, OPTIONAL_TRANSITIVE, AttrType.ExtendedCommunities, pa.extendedCommunities);
  },
  (pa) => (pa.extendedCommunities === null ? null : formatExtendedCommunities(pa.extendedCommunities)),
);

function mpError(r: AttributesResult, message: string): BgpError {
  // RFC 7606 7.11 / 5.3: the NLRI cannot be located reliably; session reset.
  return attributeError(r, UpdateSubcode.OptionalAttributeError, message, 'session-reset');
}

/** Stores an MP_REACH next hop (4, 16 or 32 bytes) into the attributes; false when its length does not fit the AFI. */
function storeMpNextHop(buf: Buffer, p: number, nhLen: number, afi: number, pa: PathAttributes): boolean {
  const ok = afi === Afi.IPv6 ? nhLen === 16 || nhLen === 32 : nhLen === 4 || nhLen === 16 || nhLen === 32;
  if (!ok) return false;
  if (nhLen === 4) {
    pa.mpNextHop = copyBytes(buf, p, p + 4);
  } else {
    pa.mpNextHop = copyBytes(buf, p, p + 16);
    if (nhLen === 32) pa.mpNextHopLinkLocal = copyBytes(buf, p + 16, p + 32);
  }
  return true;
}

/** IPv4/IPv6 unicast or multicast: the NLRI formats this codec reads (multicast is validated, never delivered). */
function isUnicastFamily(afi: number, safi: number): boolean {
  return (afi === Afi.IPv4 || afi === Afi.IPv6) && (safi === Safi.Unicast || safi === Safi.Multicast);
}

const MP_REACH_NLRI = new AttributeDescriptor(
  AttrType.MpReachNlri,
  'MP_REACH_NLRI',
  OPTIONAL,
  'session-reset',
  'session-reset',
  (buf, start, end, r) => {
    const len = end - start;
    if (r.mrtRib && len >= 1 && buf[start] + 1 === len) {
      // RFC 6396 4.3.4: only the next hop is kept in RIB entries.
      const nhLen = buf[start];
      const afi = nhLen === 4 ? Afi.IPv4 : Afi.IPv6;
      if (!storeMpNextHop(buf, start + 1, nhLen, afi, r.attributes)) return mpError(r, `MP_REACH_NLRI next hop length ${nhLen}`);
      return null;
    }
    if (len < 5) return mpError(r, `MP_REACH_NLRI too short (${len})`);
    const header = reader.setBuffer(buf, start);
    const afi = header.uint16();
    const safi = header.uint8();
    const nhLen = header.uint8();
    const nlriStart = start + 4 + nhLen + 1;
    if (nlriStart > end) return mpError(r, 'MP_REACH_NLRI next hop overruns the attribute');
    r.mpReachAfi = afi;
    r.mpReachSafi = safi;
    r.mpReachStart = nlriStart;
    r.mpReachEnd = end;
    // Only the families we speak are checked and read; NLRI of other SAFIs (VPN, flowspec, ...) were never
    // negotiated and are skipped whole (RFC 4760 7), their next-hop formats are theirs.
    if (isUnicastFamily(afi, safi)) {
      if (!storeMpNextHop(buf, start + 4, nhLen, afi, r.attributes)) {
        return mpError(r, `MP_REACH_NLRI next hop length ${nhLen} for AFI ${afi}`);
      }
      // Multicast NLRI have the unicast format; validate them too, but only unicast reaches the sink.
      const n = countPrefixes(buf, nlriStart, end, afi, afi === Afi.IPv4 ? r.addPathIpv4 : r.addPathIpv6);
      r.mpReachCount = safi === Safi.Unicast ? n : 0;
    }
    return null;
  },
  (pa, w, ctx) => {
    if (ctx.mrtRib) {
      if (pa.mpNextHop === null) return;
      const nh = pa.mpNextHop;
      const ll = pa.mpNextHopLinkLocal;
      writeAttribute(w, OPTIONAL, AttrType.MpReachNlri, valueOf((v) => v.u8(nh.length + (ll ? ll.length : 0)).bytes(nh).bytes(ll ?? new Uint8Array(0))));
      return;
    }
    const mp = ctx.mpReach;
    if (mp === null) return;
    const addPath = mp.afi === Afi.IPv6 ? ctx.addPathIpv6 : ctx.addPathIpv4;
    const value = valueOf((v) => {
      const nh = pa.mpNextHop ?? new Uint8Array(mp.afi === Afi.IPv6 ? 16 : 4);
      const ll = pa.mpNextHopLinkLocal;
      v.u16(mp.afi).u8(mp.safi).u8(nh.length + (ll !== null ? ll.length : 0)).bytes(nh);
      if (ll !== null) v.bytes(ll);
      v.u8(0);
      for (const p of mp.prefixes) writePrefix(v, p, addPath);
    });
    writeAttribute(w, OPTIONAL, AttrType.MpReachNlri, value);
  },
  (pa) => {
    if (pa.mpNextHop === null) return null;
    const nh = pa.mpNextHop.length === 4 ? formatIpv4(readUint32(pa.mpNextHop, 0)) : formatIpv6(pa.mpNextHop);
    return pa.mpNextHopLinkLocal === null ? nh : `${nh} ${formatIpv6(pa.mpNextHopLinkLocal)}`;
  },
);

const MP_UNREACH_NLRI = new AttributeDescriptor(
  AttrType.MpUnreachNlri,
  'MP_UNREACH_NLRI',
  OPTIONAL,
  'session-reset',
  'session-reset',
  (buf, start, end, r) => {
    if (end - start < 3) return mpError(r, `MP_UNREACH_NLRI too short (${end - start})`);
    const afi = readUint16(buf, start);
    const safi = buf[start + 2];
    r.mpUnreachAfi = afi;
    r.mpUnreachSafi = safi;
    r.mpUnreachStart = start + 3;
    r.mpUnreachEnd = end;
    if (isUnicastFamily(afi, safi)) {
      const n = countPrefixes(buf, start + 3, end, afi, afi === Afi.IPv4 ? r.addPathIpv4 : r.addPathIpv6);
      r.mpUnreachCount = safi === Safi.Unicast ? n : 0;
    }
    return null;
  },
  (_pa, w, ctx) => {
    const mp = ctx.mpUnreach;
    if (mp === null || ctx.mrtRib) return;
    const addPath = mp.afi === Afi.IPv6 ? ctx.addPathIpv6 : ctx.addPathIpv4;
    writeAttribute(
      w,
      OPTIONAL,
      AttrType.MpUnreachNlri,
      valueOf((v) => {
        v.u16(mp.afi).u8(mp.safi);
        for (const p of mp.prefixes) writePrefix(v, p, addPath);
      }),
    );
  },
  () => null,
);

const AS4_PATH = new AttributeDescriptor(
  AttrType.As4Path,
  'AS4_PATH',
  OPTIONAL_TRANSITIVE,
  'attribute-discard',
  'treat-as-withdraw',
  (buf, start, end, r) => {
    // RFC 6793 4.1: a NEW speaker ignores AS4_PATH from another NEW speaker.
    if (r.fourOctetAs) return null;
    const segments = parseAsPath(buf, start, end, 4);
    if (segments === null) return attributeError(r, UpdateSubcode.OptionalAttributeError, 'malformed AS4_PATH', 'attribute-discard');
    for (const s of segments) {
      if (s.type === AsPathSegmentType.ConfedSequence || s.type === AsPathSegmentType.ConfedSet) {
        return attributeError(r, UpdateSubcode.OptionalAttributeError, 'AS4_PATH carries confederation segments', 'attribute-discard');
      }
    }
    r.as4Path = segments;
    return null;
  },
  (pa, w, ctx) => {
    // Sent to OLD (2-octet) peers only, and only when some AS does not fit in 2 octets (RFC 6793 4.2.2).
    if (ctx.fourOctetAs || pa.asPath === null || !needsAs4(pa.asPath)) return;
    const path = pa.asPath;
    writeAttribute(w, OPTIONAL_TRANSITIVE, AttrType.As4Path, valueOf((v) => writeAsPath(v, path, 4, true)));
  },
  () => null,
);

const AS4_AGGREGATOR = new AttributeDescriptor(
  AttrType.As4Aggregator,
  'AS4_AGGREGATOR',
  OPTIONAL_TRANSITIVE,
  'attribute-discard',
  'treat-as-withdraw',
  (buf, start, end, r) => {
    if (r.fourOctetAs) return null;
    if (end - start !== 8) return lengthError(r, 'AS4_AGGREGATOR', end - start, 'attribute-discard');
    const value = reader.setBuffer(buf, start);
    r.as4AggregatorAs = value.uint32();
    r.as4AggregatorAddress = value.ipv4();
    return null;
  },
  (pa, w, ctx) => {
    if (ctx.fourOctetAs || pa.aggregatorAs <= 0xffff) return;
    writeAttribute(w, OPTIONAL_TRANSITIVE, AttrType.As4Aggregator, valueOf((v) => v.u32(pa.aggregatorAs).u32(pa.aggregatorAddress)));
  },
  () => null,
);

/** Indexed by type code; undefined rows take the generic unknown-attribute path. */
export const ATTRIBUTE_TABLE: readonly (AttributeDescriptor | undefined)[] = (() => {
  const table = new Array<AttributeDescriptor | undefined>(256).fill(undefined);
  const rows = [
    ORIGIN,
    AS_PATH,
    NEXT_HOP,
    uint32Attribute(AttrType.MultiExitDisc, 'MULTI_EXIT_DISC', OPTIONAL, 'med'),
    uint32Attribute(AttrType.LocalPref, 'LOCAL_PREF', WELL_KNOWN, 'localPref'),
    ATOMIC_AGGREGATE,
    AGGREGATOR,
    uint32ListAttribute(AttrType.Communities, 'COMMUNITIES', OPTIONAL_TRANSITIVE, 4, 'communities', (l) => formatCommunities(l)),
    uint32Attribute(AttrType.OriginatorId, 'ORIGINATOR_ID', OPTIONAL, 'originatorId'),
    uint32ListAttribute(AttrType.ClusterList, 'CLUSTER_LIST', OPTIONAL, 4, 'clusterList', (l) => Array.from(l, formatIpv4).join(' ')),
    MP_REACH_NLRI,
    MP_UNREACH_NLRI,
    EXTENDED_COMMUNITIES,
    AS4_PATH,
    AS4_AGGREGATOR,
    uint32ListAttribute(AttrType.LargeCommunity, 'LARGE_COMMUNITY', OPTIONAL_TRANSITIVE, 12, 'largeCommunities', formatLargeCommunities),
  ];
  for (const row of rows) table[row.type] = row;
  return table;
})();

// ---- the generic loop ----------------------------------------------------------------------------------------

/** Generation stamps per type code, to find duplicates without clearing a table per UPDATE. */
const seenStamp = new Uint32Array(256);
let generation = 0;

function record(r: AttributesResult, err: BgpError): void {
  if (r.errors === null) r.errors = [];
  r.errors.push(err);
  if (err.action === 'treat-as-withdraw') {
    r.treatAsWithdraw = true;
  } else if (err.action === 'attribute-discard') {
    const pa = r.attributes;
    if (pa.discarded === null) pa.discarded = [];
    pa.discarded.push(err);
  }
}

function decodeUnknown(buf: Buffer, flags: number, type: number, start: number, end: number, r: AttributesResult): BgpError | null {
  if ((flags & AttrFlag.Optional) === 0) {
    // Like BIRD: an unrecognised well-known attribute withdraws the routes rather than resetting the session.
    return attributeError(r, UpdateSubcode.UnrecognizedWellKnownAttribute, `unrecognised well-known attribute ${type}`, 'treat-as-withdraw');
  }
  const pa = r.attributes;
  if (pa.unknown === null) pa.unknown = [];
  pa.unknown.push(new UnknownAttribute(flags & ~AttrFlag.ExtendedLength, type, copyBytes(buf, start, end)));
  return null;
}

function flagsError(d: AttributeDescriptor, flags: number, r: AttributesResult): BgpError {
  return attributeError(r, UpdateSubcode.AttributeFlagsError, `${d.name} has bad flags 0x${flags.toString(16)}`, d.flagsAction);
}

/**
 * Hot path (bench:codec): decodes the attribute section buf[start..end) into r (reset first). Throws BgpError when RFC 7606
 * says session reset; records everything else in r. One descriptor call per attribute, no try/catch, no slicing
 * except where a value must be kept.
 */
export function decodeAttributesInto(
  buf: Buffer,
  start: number,
  end: number,
  opts: DecodeOptions,
  mode: AttributeDecodeMode,
  r: AttributesResult,
): void {
  r.reset(buf, opts, mode);
  generation = (generation + 1) >>> 0;
  if (generation === 0) {
    seenStamp.fill(0);
    generation = 1;
  }
  const gen = generation;
  let p = start;
  while (p < end) {
    const attrStart = p;
    const flags = buf[p];
    const type = p + 1 < end ? buf[p + 1] : -1;
    let vStart: number;
    let len: number;
    if ((flags & AttrFlag.ExtendedLength) !== 0) {
      vStart = p + 4;
      len = vStart <= end ? readUint16(buf, p + 2) : 0;
    } else {
      vStart = p + 3;
      len = vStart <= end ? buf[p + 2] : 0;
    }
    const vEnd = vStart + len;
    if (vEnd > end) {
      r.attrStart = attrStart;
      r.attrEnd = end;
      if (type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri) {
        throw attributeError(r, UpdateSubcode.AttributeLengthError, 'MP_(UN)REACH_NLRI overruns the attribute section', 'session-reset');
      }
      // RFC 7606 4: an attribute overrunning the section (or a truncated header) withdraws; the NLRI stay findable.
      record(r, attributeError(r, UpdateSubcode.MalformedAttributeList, `attribute ${type} overruns the attribute section`, 'treat-as-withdraw'));
      break;
    }
    r.attrStart = attrStart;
    r.attrEnd = vEnd;
    r.count++;
    if (seenStamp[type] === gen) {
      // RFC 7606 3.g: repeated MP_(UN)REACH_NLRI reset the session; other repeats are dropped.
      if (type === AttrType.MpReachNlri || type === AttrType.MpUnreachNlri) {
        throw attributeError(r, UpdateSubcode.MalformedAttributeList, `attribute ${type} appears twice`, 'session-reset');
      }
      record(r, attributeError(r, UpdateSubcode.MalformedAttributeList, `attribute ${type} appears twice`, 'attribute-discard'));
      p = vEnd;
      continue;
    }
    seenStamp[type] = gen;
    if (r.fourOctetAs && (type === AttrType.As4Path || type === AttrType.As4Aggregator)) {
      // RFC 6793 4.1: between NEW speakers AS4_PATH/AS4_AGGREGATOR mean nothing; ignore them whatever their form.
      p = vEnd;
      continue;
    }
    const d = ATTRIBUTE_TABLE[type];
    let err: BgpError | null;
    if (d === undefined) {
      err = decodeUnknown(buf, flags, type, vStart, vEnd, r);
    } else if ((flags & OPTIONAL_TRANSITIVE) !== d.flags || ((flags & AttrFlag.Partial) !== 0 && d.flags !== OPTIONAL_TRANSITIVE)) {
      // RFC 4271 5: the Partial bit is only for optional transitive attributes.
      err = flagsError(d, flags, r);
    } else {
      err = d.decode(buf, vStart, vEnd, r);
    }
    if (err !== null) {
      if (err.action === 'session-reset') throw err;
      record(r, err);
    }
    p = vEnd;
  }
  if (!r.fourOctetAs) mergeAs4(r);
}

/** RFC 6793 4.2.3: rebuild the real AGGREGATOR and AS path of a 2-octet session from the AS4_* attributes. */
function mergeAs4(r: AttributesResult): void {
  const pa = r.attributes;
  if (r.as4AggregatorAs >= 0) {
    if (pa.aggregatorAs >= 0 && pa.aggregatorAs !== AS_TRANS) {
      // AGGREGATOR from an OLD speaker that aggregated after the NEW one: AS4_* describe a stale path.
      return;
    }
    if (pa.aggregatorAs === AS_TRANS) {
      pa.aggregatorAs = r.as4AggregatorAs;
      pa.aggregatorAddress = r.as4AggregatorAddress;
    }
  }
  if (r.as4Path !== null && pa.asPath !== null) pa.asPath = mergeAs4Path(pa.asPath, r.as4Path);
}

/** Decodes an attribute section on its own (MRT RIB entries, tests). Throws BgpError on session-reset errors. */
export function decodeAttributes(
  buf: Buffer,
  start: number,
  end: number,
  opts: DecodeOptions,
  mode: AttributeDecodeMode = 'update',
): AttributesResult {
  const r = new AttributesResult();
  decodeAttributesInto(buf, start, end, opts, mode, r);
  return r;
}

/**
 * Encodes the attributes (type code order, unknown ones kept with their flags). MP_REACH/MP_UNREACH are written
 * when `mp` gives their NLRI (mode 'update') or, in 'mrt-rib' mode, as the abbreviated next-hop-only form.
 * On a 2-octet session AS numbers above 65535 become AS_TRANS plus AS4_PATH/AS4_AGGREGATOR (RFC 6793).
 */
export function encodeAttributes(
  pa: PathAttributes,
  opts: DecodeOptions,
  mp: { reach?: MpNlriInput | null; unreach?: MpNlriInput | null } = {},
  mode: AttributeDecodeMode = 'update',
): Buffer {
  const ctx: EncodeContext = {
    fourOctetAs: opts.fourOctetAs,
    addPathIpv4: opts.addPathIpv4,
    addPathIpv6: opts.addPathIpv6,
    mrtRib: mode === 'mrt-rib',
    mpReach: mp.reach ?? null,
    mpUnreach: mp.unreach ?? null,
  };
  const w = new BufferWriter(256);
  // RFC 7606 5.1: MP_REACH_NLRI / MP_UNREACH_NLRI first, so a receiver can always find the NLRI.
  ATTRIBUTE_TABLE[AttrType.MpReachNlri]!.encode(pa, w, ctx);
  ATTRIBUTE_TABLE[AttrType.MpUnreachNlri]!.encode(pa, w, ctx);
  for (let type = 0; type < 256; type++) {
    const d = ATTRIBUTE_TABLE[type];
    if (d !== undefined && type !== AttrType.MpReachNlri && type !== AttrType.MpUnreachNlri) d.encode(pa, w, ctx);
    if (pa.unknown !== null) {
      for (const u of pa.unknown) if (u.type === type) writeAttribute(w, u.flags, u.type, u.value);
    }
  }
  return w.toBuffer();
}

/** One "NAME: value" line per attribute present, in type code order (for logs and explain output). */
export function formatAttributes(pa: PathAttributes): string[] {
  const out: string[] = [];
  for (let type = 0; type < 256; type++) {
    const d = ATTRIBUTE_TABLE[type];
    if (d !== undefined) {
      const s = d.format(pa);
      if (s !== null) out.push(`${d.name}: ${s}`);
    }
    if (pa.unknown !== null) {
      for (const u of pa.unknown) {
        if (u.type === type) out.push(`attribute ${u.type} (flags 0x${u.flags.toString(16)}): ${Buffer.from(u.value).toString('hex')}`);
      }
    }
  }
  return out;
}
