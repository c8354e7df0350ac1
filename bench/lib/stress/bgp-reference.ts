// A second, deliberately plain UPDATE decoder for the codec fuzz: written from RFC 4271 / 4760 / 6793 / 7606 / 7911
// and the codec's documented choices (listed below), sharing no code with src/bgp. For any input the fuzz compares
// it with decodeUpdate: the session-reset verdict (code/subcode), treat-as-withdraw, attribute discard, and the
// exact prefixes announced and withdrawn. It is slow and simple on purpose: byte offsets and small loops.
//
// The codec's choices it follows (each a defensible reading of the RFCs):
// - the checks run in wire order: section lengths, withdrawn routes, NLRI, then attributes one by one; the first
//   session-reset error wins;
// - an attribute overrunning the section: session reset 3/5 for MP_(UN)REACH_NLRI, else treat-as-withdraw and the
//   rest of the section is not read; a repeated MP attribute resets (3/1), other repeats are discarded;
// - an unrecognised attribute marked well-known withdraws (3/2) instead of resetting;
// - NEW speakers ignore AS4_PATH / AS4_AGGREGATOR whatever their form; on 2-octet sessions malformed ones are
//   discarded (RFC 6793 6);
// - MP families other than IPv4/IPv6 unicast/multicast are skipped whole; multicast NLRI are checked, not delivered;
// - NEXT_HOP 0/8 and 224/3 and up is invalid (treat-as-withdraw 3/8); LOCAL_PREF from eBGP is discarded.
import type { DecodeOptions } from '../../../src/bgp/index.js';
import { prefixHash } from './bgp-oracle.js';

export interface ReferenceVerdict {
  reset: boolean;
  code: number;
  subcode: number;
  treatAsWithdraw: boolean;
  discard: boolean;
  announces: number;
  withdraws: number;
  announceDigest: number;
  withdrawDigest: number;
  pathIdSum: number;
}

export function emptyVerdict(): ReferenceVerdict {
  return { reset: false, code: 0, subcode: 0, treatAsWithdraw: false, discard: false, announces: 0, withdraws: 0, announceDigest: 0, withdrawDigest: 0, pathIdSum: 0 };
}

const REQUIRED_FLAGS = new Map<number, number>([
  [1, 0x40], [2, 0x40], [3, 0x40], [4, 0x80], [5, 0x40], [6, 0x40], [7, 0xc0], [8, 0xc0], [9, 0x80], [10, 0x80],
  [14, 0x80], [15, 0x80], [16, 0xc0], [17, 0xc0], [18, 0xc0], [32, 0xc0],
]);

class Reset extends Error {
  constructor(readonly subcode: number) {
    super('reset');
  }
}

/** True when buf[start..end) is a well-formed list of prefixes of `afi`. */
function prefixesOk(buf: Uint8Array, start: number, end: number, afi: number, addPath: boolean): boolean {
  const max = afi === 2 ? 128 : 32;
  let p = start;
  while (p < end) {
    if (addPath) p += 4;
    if (p >= end) return false;
    const len = buf[p]!;
    if (len > max) return false;
    p += 1 + Math.ceil(len / 8);
  }
  return p === end;
}

const prefixBytes = new Uint8Array(16);

/** Feeds each prefix of a validated field to `visit` as (afi, pathId, four words with host bits cleared, length). */
function eachPrefix(buf: Uint8Array, start: number, end: number, afi: number, addPath: boolean, visit: (afi: number, pathId: number, a: number, b: number, c: number, d: number, len: number) => void): void {
  let p = start;
  while (p < end) {
    let pathId = 0;
    if (addPath) {
      pathId = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
      p += 4;
    }
    const len = buf[p++]!;
    const n = Math.ceil(len / 8);
    prefixBytes.fill(0);
    for (let i = 0; i < n; i++) prefixBytes[i] = buf[p + i]!;
    // Clear the bits past the prefix length.
    for (let bit = len; bit < 128; bit++) prefixBytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
    const word = (i: number): number => ((prefixBytes[i]! << 24) | (prefixBytes[i + 1]! << 16) | (prefixBytes[i + 2]! << 8) | prefixBytes[i + 3]!) >>> 0;
    visit(afi, pathId, word(0), afi === 2 ? word(4) : 0, afi === 2 ? word(8) : 0, afi === 2 ? word(12) : 0, len);
    p += n;
  }
}

function asPathOk(buf: Uint8Array, start: number, end: number, asSize: number, noConfed: boolean): boolean {
  let p = start;
  while (p < end) {
    if (end - p < 2) return false;
    const type = buf[p]!;
    const count = buf[p + 1]!;
    if (type < 1 || type > 4 || count === 0) return false;
    if (noConfed && type > 2) return false;
    p += 2 + count * asSize;
  }
  return p === end;
}

/** Decodes body[0..length) the reference way into v. */
export function referenceDecode(body: Uint8Array, length: number, opts: DecodeOptions, v: ReferenceVerdict): void {
  Object.assign(v, emptyVerdict());
  try {
    decode(body, length, opts, v);
  } catch (e) {
    if (!(e instanceof Reset)) throw e;
    Object.assign(v, emptyVerdict());
    v.reset = true;
    v.code = 3;
    v.subcode = e.subcode;
  }
}

/** An MP_(UN)REACH_NLRI attribute's family and where its NLRI lie. */
interface MpField {
  afi: number;
  safi: number;
  start: number;
  end: number;
}

function decode(buf: Uint8Array, end: number, opts: DecodeOptions, v: ReferenceVerdict): void {
  const u16 = (p: number): number => (buf[p]! << 8) | buf[p + 1]!;
  if (end < 4) throw new Reset(1);
  const wl = u16(0);
  if (2 + wl + 2 > end) throw new Reset(1);
  const aStart = 4 + wl;
  const aEnd = aStart + u16(2 + wl);
  if (aEnd > end) throw new Reset(1);
  if (!prefixesOk(buf, 2, 2 + wl, 1, opts.addPathIpv4)) throw new Reset(10);
  if (!prefixesOk(buf, aEnd, end, 1, opts.addPathIpv4)) throw new Reset(10);
  const nlriPresent = aEnd < end;

  const asSize = opts.fourOctetAs ? 4 : 2;
  const ebgp = opts.ebgp === true;
  const seen = new Set<number>();
  let taw = false;
  let origin = false;
  let asPath = false;
  let nextHop = false;
  let reach: MpField | null = null;
  let unreach: MpField | null = null;

  let p = aStart;
  while (p < aEnd) {
    const flags = buf[p]!;
    const type = p + 1 < aEnd ? buf[p + 1]! : -1;
    const ext = (flags & 0x10) !== 0;
    const header = ext ? 4 : 3;
    const len = p + header <= aEnd ? (ext ? u16(p + 2) : buf[p + 2]!) : 0;
    const vs = p + header;
    const ve = vs + len;
    if (ve > aEnd) {
      if (type === 14 || type === 15) throw new Reset(5);
      taw = true;
      break;
    }
    p = ve;
    if (seen.has(type)) {
      if (type === 14 || type === 15) throw new Reset(1);
      v.discard = true;
      continue;
    }
    seen.add(type);
    if (opts.fourOctetAs && (type === 17 || type === 18)) continue;
    const required = REQUIRED_FLAGS.get(type);
    if (required === undefined) {
      if ((flags & 0x80) === 0) taw = true;
      continue;
    }
    if ((flags & 0xc0) !== required || ((flags & 0x20) !== 0 && required !== 0xc0)) {
      if (type === 14 || type === 15) throw new Reset(4);
      taw = true;
      continue;
    }
    switch (type) {
      case 1:
        if (len !== 1 || buf[vs]! > 2) taw = true;
        else origin = true;
        break;
      case 2:
        if (!asPathOk(buf, vs, ve, asSize, ebgp)) taw = true;
        else asPath = true;
        break;
      case 3:
        if (len !== 4 || buf[vs] === 0 || buf[vs]! >= 224) taw = true;
        else nextHop = true;
        break;
      case 4:
      case 9:
        if (len !== 4) taw = true;
        break;
      case 5:
        if (len !== 4) taw = true;
        else if (ebgp) v.discard = true;
        break;
      case 6:
        if (len !== 0) v.discard = true;
        break;
      case 7:
        if (len !== asSize + 4) v.discard = true;
        break;
      case 8:
      case 10:
        if (len === 0 || len % 4 !== 0) taw = true;
        break;
      case 16:
        if (len === 0 || len % 8 !== 0) taw = true;
        break;
      case 32:
        if (len === 0 || len % 12 !== 0) taw = true;
        break;
      case 17:
        if (!asPathOk(buf, vs, ve, 4, true)) v.discard = true;
        break;
      case 18:
        if (len !== 8) v.discard = true;
        break;
      case 14: {
        if (len < 5) throw new Reset(9);
        const afi = u16(vs);
        const safi = buf[vs + 2]!;
        const nh = buf[vs + 3]!;
        const ns = vs + 4 + nh + 1;
        if (ns > ve) throw new Reset(9);
        reach = { afi, safi, start: ns, end: ve };
        if ((afi === 1 || afi === 2) && (safi === 1 || safi === 2)) {
          const nhOk = afi === 2 ? nh === 16 || nh === 32 : nh === 4 || nh === 16 || nh === 32;
          if (!nhOk) throw new Reset(9);
          if (!prefixesOk(buf, ns, ve, afi, afi === 1 ? opts.addPathIpv4 : opts.addPathIpv6)) throw new Reset(10);
        }
        break;
      }
      case 15: {
        if (len < 3) throw new Reset(9);
        const afi = u16(vs);
        const safi = buf[vs + 2]!;
        unreach = { afi, safi, start: vs + 3, end: ve };
        if ((afi === 1 || afi === 2) && (safi === 1 || safi === 2) && !prefixesOk(buf, vs + 3, ve, afi, afi === 1 ? opts.addPathIpv4 : opts.addPathIpv6)) throw new Reset(10);
        break;
      }
    }
  }
  // RFC 7606 3.d: well-known mandatory attributes missing (NEXT_HOP only for the NLRI field).
  if (nlriPresent || (reach !== null && reach.afi !== 0)) {
    if (!origin || !asPath || (nlriPresent && !nextHop)) taw = true;
  }
  v.treatAsWithdraw = taw;

  const announce = (afi: number, pathId: number, a: number, b: number, c: number, d: number, len: number): void => {
    if (taw) {
      withdraw(afi, pathId, a, b, c, d, len);
      return;
    }
    v.announces++;
    v.announceDigest = (v.announceDigest + prefixHash(afi, a, b, c, d, len)) | 0;
    v.pathIdSum = (v.pathIdSum + pathId) | 0;
  };
  const withdraw = (afi: number, pathId: number, a: number, b: number, c: number, d: number, len: number): void => {
    v.withdraws++;
    v.withdrawDigest = (v.withdrawDigest + prefixHash(afi, a, b, c, d, len)) | 0;
    v.pathIdSum = (v.pathIdSum + pathId) | 0;
  };
  const unicast = (f: MpField | null): f is MpField => f !== null && f.safi === 1 && (f.afi === 1 || f.afi === 2);
  eachPrefix(buf, 2, 2 + wl, 1, opts.addPathIpv4, withdraw);
  if (unicast(unreach)) eachPrefix(buf, unreach.start, unreach.end, unreach.afi, unreach.afi === 1 ? opts.addPathIpv4 : opts.addPathIpv6, withdraw);
  eachPrefix(buf, aEnd, end, 1, opts.addPathIpv4, announce);
  if (unicast(reach)) eachPrefix(buf, reach.start, reach.end, reach.afi, reach.afi === 1 ? opts.addPathIpv4 : opts.addPathIpv6, announce);
}
