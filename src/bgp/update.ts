import {
  Afi,
  AttrType,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  ErrorCode,
  MessageType,
  Safi,
  UpdateSubcode,
} from './constants.js';
import { BgpError } from './errors.js';
import { PathAttributes } from './path-attributes.js';
import { BufferWriter } from './buffer-writer.js';
import { readUint16 } from './buffer-reader.js';
import { beginMessage, finishMessage } from './framing.js';
import type { DecodeOptions } from './options.js';
import { AttributesResult, decodeAttributesInto, encodeAttributes, type MpNlriInput } from './attributes.js';
import { countPrefixes, emitIpv4, emitIpv6, type NlriPrefix, type NlriSink, prefixWireLength, writePrefix } from './nlri.js';

export type { NlriSink } from './nlri.js';

export interface UpdateResult {
  /** The UPDATE's attributes; null when it carried none (pure withdrawal, End-of-RIB). */
  attributes: PathAttributes | null;
  /** RFC 7606: the announced prefixes were passed to sink.withdraw instead. */
  treatAsWithdraw: boolean;
  /** Every non-fatal problem found (treat-as-withdraw, attribute discard). */
  errors: BgpError[];
  /** Afi.IPv4 / Afi.IPv6 when this UPDATE is an End-of-RIB marker (RFC 4724 2), else 0. */
  endOfRib: Afi | 0;
  /** Prefixes announced (IPv4 NLRI + MP_REACH unicast), counted even when treated as withdrawn. */
  announced: number;
  /** Prefixes withdrawn (withdrawn routes + MP_UNREACH unicast). */
  withdrawn: number;
}

/** Reused by decodeUpdate: decodeAttributesInto fills it and nothing below calls back into the decoder. */
const scratch = new AttributesResult();

function updateError(subcode: number, message: string): BgpError {
  return new BgpError(ErrorCode.UpdateMessage, subcode, message);
}

/**
 * Hot path (bench:codec): decodes an UPDATE body buf[start..end) (after the 19-byte header), feeding prefixes to `sink` as
 * numbers (no allocation per prefix; one PathAttributes per UPDATE). Everything is validated before the sink sees
 * anything: a session-reset error (RFC 7606) throws BgpError and reaches no sink method. Withdrawals come first
 * (withdrawn routes, then MP_UNREACH), then announcements (NLRI, then MP_REACH), which become withdrawals when the
 * UPDATE is treat-as-withdraw.
 */
export function decodeUpdate(buf: Buffer, start: number, end: number, opts: DecodeOptions, sink: NlriSink): UpdateResult {
  if (end - start < 4) throw updateError(UpdateSubcode.MalformedAttributeList, 'UPDATE shorter than 4 bytes');
  const withdrawnLength = readUint16(buf, start);
  const withdrawnStart = start + 2;
  const withdrawnEnd = withdrawnStart + withdrawnLength;
  // RFC 7606 4: section lengths inconsistent with the message length reset the session.
  if (withdrawnEnd + 2 > end) throw updateError(UpdateSubcode.MalformedAttributeList, 'withdrawn routes length overruns the UPDATE');
  const attrLength = readUint16(buf, withdrawnEnd);
  const attrStart = withdrawnEnd + 2;
  const attrEnd = attrStart + attrLength;
  if (attrEnd > end) throw updateError(UpdateSubcode.MalformedAttributeList, 'total path attribute length overruns the UPDATE');

  const addPath4 = opts.addPathIpv4;
  const withdrawnCount = withdrawnLength === 0 ? 0 : countPrefixes(buf, withdrawnStart, withdrawnEnd, Afi.IPv4, addPath4);
  const nlriCount = attrEnd === end ? 0 : countPrefixes(buf, attrEnd, end, Afi.IPv4, addPath4);

  let attributes: PathAttributes | null = null;
  let treatAsWithdraw = false;
  let errors: BgpError[] | null = null;
  let reachAfi = 0;
  let reachStart = 0;
  let reachEnd = 0;
  let reachCount = 0;
  let unreachAfi = 0;
  let unreachStart = 0;
  let unreachEnd = 0;
  let unreachCount = 0;
  let endOfRib: Afi | 0 = 0;
  if (attrLength > 0) {
    const r = scratch;
    decodeAttributesInto(buf, attrStart, attrEnd, opts, 'update', r);
    attributes = r.attributes;
    treatAsWithdraw = r.treatAsWithdraw;
    errors = r.errors;
    if (r.mpReachSafi === Safi.Unicast) {
      reachAfi = r.mpReachAfi;
      reachStart = r.mpReachStart;
      reachEnd = r.mpReachEnd;
      reachCount = r.mpReachCount;
    }
    if (r.mpUnreachSafi === Safi.Unicast) {
      unreachAfi = r.mpUnreachAfi;
      unreachStart = r.mpUnreachStart;
      unreachEnd = r.mpUnreachEnd;
      unreachCount = r.mpUnreachCount;
    }
    const pa = r.attributes;
    // RFC 7606 3.d: missing well-known mandatory attributes withdraw what the UPDATE announces.
    if (nlriCount > 0 || r.mpReachAfi !== 0) {
      if (pa.origin < 0 && !hasError(errors, AttrType.Origin)) {
        errors = missing(errors, AttrType.Origin, 'ORIGIN');
        treatAsWithdraw = true;
      }
      if (pa.asPath === null && !hasError(errors, AttrType.AsPath)) {
        errors = missing(errors, AttrType.AsPath, 'AS_PATH');
        treatAsWithdraw = true;
      }
      if (nlriCount > 0 && pa.nextHop < 0 && !hasError(errors, AttrType.NextHop)) {
        errors = missing(errors, AttrType.NextHop, 'NEXT_HOP');
        treatAsWithdraw = true;
      }
    }
    // RFC 4724 2: an UPDATE with only an empty MP_UNREACH_NLRI is the End-of-RIB of that family.
    if (
      r.count === 1 &&
      r.mpUnreachAfi !== 0 &&
      r.mpUnreachStart === r.mpUnreachEnd &&
      withdrawnLength === 0 &&
      nlriCount === 0 &&
      r.mpUnreachSafi === Safi.Unicast &&
      (r.mpUnreachAfi === Afi.IPv4 || r.mpUnreachAfi === Afi.IPv6)
    ) {
      endOfRib = r.mpUnreachAfi as Afi;
    }
  } else if (withdrawnLength === 0 && nlriCount === 0) {
    endOfRib = Afi.IPv4;
  } else if (nlriCount > 0) {
    errors = missing(errors, AttrType.Origin, 'ORIGIN');
    treatAsWithdraw = true;
  }

  // Validation is complete: from here on nothing throws and the sink sees every prefix.
  if (withdrawnCount > 0) emitIpv4(buf, withdrawnStart, withdrawnEnd, addPath4, sink, false);
  if (unreachCount > 0) emitFamily(buf, unreachStart, unreachEnd, unreachAfi, opts, sink, false);
  const announce = !treatAsWithdraw;
  if (announce && attributes !== null && (nlriCount > 0 || reachCount > 0) && sink.attributes !== undefined) {
    sink.attributes(attributes);
  }
  if (nlriCount > 0) emitIpv4(buf, attrEnd, end, addPath4, sink, announce);
  if (reachCount > 0) emitFamily(buf, reachStart, reachEnd, reachAfi, opts, sink, announce);

  return {
    attributes,
    treatAsWithdraw,
    errors: errors === null ? [] : errors,
    endOfRib,
    announced: nlriCount + reachCount,
    withdrawn: withdrawnCount + unreachCount,
  };
}

function emitFamily(buf: Buffer, start: number, end: number, afi: number, opts: DecodeOptions, sink: NlriSink, announce: boolean): void {
  if (afi === Afi.IPv6) emitIpv6(buf, start, end, opts.addPathIpv6, sink, announce);
  else emitIpv4(buf, start, end, opts.addPathIpv4, sink, announce);
}

function hasError(errors: BgpError[] | null, type: number): boolean {
  if (errors === null) return false;
  for (const e of errors) if (e.data.length >= 2 && e.data[1] === type) return true;
  return false;
}

function missing(errors: BgpError[] | null, type: number, name: string): BgpError[] {
  const list = errors === null ? [] : errors;
  list.push(
    new BgpError(ErrorCode.UpdateMessage, UpdateSubcode.MissingWellKnownAttribute, `missing ${name}`, Uint8Array.of(type), 'treat-as-withdraw'),
  );
  return list;
}

// ---- encoding ------------------------------------------------------------------------------------------------

export interface UpdateInput {
  /** Withdrawn prefixes: IPv4 in the withdrawn routes field, IPv6 in MP_UNREACH_NLRI. */
  withdrawn?: NlriPrefix[];
  /** Attributes of the announced prefixes (IPv6 next hop from mpNextHop/mpNextHopLinkLocal). */
  attributes?: PathAttributes | null;
  /** Announced prefixes: IPv4 in the NLRI field, IPv6 in MP_REACH_NLRI. */
  announced?: NlriPrefix[];
  /** Put IPv4 announcements/withdrawals in MP_(UN)REACH_NLRI too (RFC 4760 style); default false. */
  ipv4InMp?: boolean;
}

/** Encodes one whole UPDATE. Throws RangeError when it does not fit the (negotiated) maximum length. */
export function encodeUpdate(u: UpdateInput, opts: DecodeOptions): Buffer {
  const withdrawn = u.withdrawn ?? [];
  const announced = u.announced ?? [];
  const ipv4InMp = u.ipv4InMp === true;
  const inField = (p: NlriPrefix): boolean => p.afi === Afi.IPv4 && !ipv4InMp;
  const w4 = withdrawn.filter(inField);
  const wMp = withdrawn.filter((p) => !inField(p));
  const a4 = announced.filter(inField);
  const aMp = announced.filter((p) => !inField(p));
  const mpFamily = (list: NlriPrefix[]): MpNlriInput | null => (list.length === 0 ? null : { afi: list[0].afi, safi: Safi.Unicast, prefixes: list });
  if (new Set(wMp.map((p) => p.afi)).size > 1 || new Set(aMp.map((p) => p.afi)).size > 1) {
    throw new RangeError('one UPDATE carries MP_(UN)REACH_NLRI for one address family only');
  }
  const w = new BufferWriter(512);
  beginMessage(w, MessageType.Update);
  const wStart = w.length;
  w.u16(0);
  for (const p of w4) writePrefix(w, p, opts.addPathIpv4);
  w.setU16(wStart, w.length - wStart - 2);
  const pa = u.attributes ?? (aMp.length > 0 || a4.length > 0 || wMp.length > 0 ? new PathAttributes() : null);
  const attrs = pa === null ? Buffer.alloc(0) : encodeAttributes(pa, opts, { reach: mpFamily(aMp), unreach: mpFamily(wMp) });
  w.u16(attrs.length).bytes(attrs);
  for (const p of a4) writePrefix(w, p, opts.addPathIpv4);
  return finishMessage(w, opts.extendedMessage ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH);
}

/** The End-of-RIB marker of a family (RFC 4724 2): an empty UPDATE for IPv4, an empty MP_UNREACH_NLRI otherwise. */
export function encodeEndOfRib(afi: Afi, safi: number = Safi.Unicast): Buffer {
  const w = new BufferWriter(32);
  beginMessage(w, MessageType.Update);
  if (afi === Afi.IPv4 && safi === Safi.Unicast) {
    w.u16(0).u16(0);
  } else {
    w.u16(0).u16(6).u8(0x80).u8(AttrType.MpUnreachNlri).u8(3).u16(afi).u8(safi);
  }
  return finishMessage(w);
}

/**
 * Packs many prefixes sharing one attribute set into as few UPDATEs as the maximum message length allows
 * (for test peers and benchmarks).
 */
export class UpdatePacker {
  readonly maxLength: number;

  constructor(readonly opts: DecodeOptions) {
    this.maxLength = opts.extendedMessage ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
  }

  /** UPDATEs announcing `prefixes` (one family) with `attributes`. */
  announce(attributes: PathAttributes, prefixes: NlriPrefix[]): Buffer[] {
    return this.pack(prefixes, (chunk) => encodeUpdate({ attributes, announced: chunk }, this.opts));
  }

  /** UPDATEs withdrawing `prefixes` (one family). */
  withdraw(prefixes: NlriPrefix[]): Buffer[] {
    return this.pack(prefixes, (chunk) => encodeUpdate({ withdrawn: chunk }, this.opts));
  }

  private pack(prefixes: NlriPrefix[], encode: (chunk: NlriPrefix[]) => Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (prefixes.length === 0) return out;
    // Size of the message without prefixes, then fill each message up to the limit.
    const overhead = encode([prefixes[0]]).length - prefixWireLength(prefixes[0], this.addPath(prefixes[0].afi));
    let chunk: NlriPrefix[] = [];
    let size = overhead;
    for (const p of prefixes) {
      const n = prefixWireLength(p, this.addPath(p.afi));
      // MP attributes switch to a 2-byte length past 255 bytes; keep a byte in reserve for that.
      if (chunk.length > 0 && size + n + 1 > this.maxLength) {
        out.push(encode(chunk));
        chunk = [];
        size = overhead;
      }
      chunk.push(p);
      size += n;
    }
    if (chunk.length > 0) out.push(encode(chunk));
    return out;
  }

  private addPath(afi: number): boolean {
    return afi === Afi.IPv6 ? this.opts.addPathIpv6 : this.opts.addPathIpv4;
  }
}
