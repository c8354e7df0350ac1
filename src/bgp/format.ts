import { Afi, AsPathSegmentType } from './constants.js';
import type { AsPathSegment } from './path-attributes.js';
import type { NlriPrefix } from './nlri.js';
import { readUint16, readUint32 } from './buffer-reader.js';

/** uint32 -> "a.b.c.d". */
export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 0xff}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/**
 * Four 32-bit words (most significant first) -> RFC 5952 text. Like inet_ntop (and so bgpdump), IPv4-mapped
 * (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses keep their dotted tail.
 */
export function formatIpv6Words(a: number, b: number, c: number, d: number): string {
  const g = [a >>> 16, a & 0xffff, b >>> 16, b & 0xffff, c >>> 16, c & 0xffff, d >>> 16, d & 0xffff];
  const run = firstLongestZeroRun(g);
  // RFC 5952 4.2.2: a single zero group is not compressed.
  const bestLen = run & 15;
  const bestStart = bestLen < 2 ? -1 : run >>> 4;
  const dotted = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff));
  const last = dotted ? 6 : 8;
  let out = '';
  for (let i = 0; i < last; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += g[i].toString(16);
  }
  if (dotted) out += (out.endsWith(':') ? '' : ':') + formatIpv4(d >>> 0);
  return out;
}

/**
 * The first longest run of zero groups among eight IPv6 groups, as `start << 4 | length` (length 0: none).
 * A number, not an object, so that per-address writers allocate nothing.
 */
export function firstLongestZeroRun(g: ArrayLike<number>): number {
  let best = 0;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  return (best << 4) | bestLen;
}

/** 16 bytes -> RFC 5952 text. */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  return formatIpv6Words(readUint32(bytes, offset), readUint32(bytes, offset + 4), readUint32(bytes, offset + 8), readUint32(bytes, offset + 12));
}

export function formatPrefix(afi: number, a: number, b: number, c: number, d: number, length: number): string {
  return afi === Afi.IPv6 ? `${formatIpv6Words(a, b, c, d)}/${length}` : `${formatIpv4(a)}/${length}`;
}

/** "a.b.c.d" -> uint32; throws on anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${text}`);
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

/** IPv6 text (with :: and an optional dotted tail) -> 16 bytes; throws on anything else. */
export function parseIpv6(text: string): Uint8Array {
  let head = text;
  const words: number[] = [];
  let tail: number[] = [];
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.', lastColon)) {
    const v4 = parseIpv4(head.slice(lastColon + 1));
    tail = [v4 >>> 16, v4 & 0xffff];
    // Keep a "::" that ends right before the dotted part; drop a single separating ':'.
    head = head[lastColon - 1] === ':' ? head.slice(0, lastColon + 1) : head.slice(0, lastColon);
  }
  const bad = (): Error => new Error(`not an IPv6 address: ${text}`);
  const parseGroups = (s: string): number[] =>
    s === ''
      ? []
      : s.split(':').map((x) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(x)) throw bad();
          return parseInt(x, 16);
        });
  const dbl = head.indexOf('::');
  if (dbl >= 0) {
    if (head.indexOf('::', dbl + 1) >= 0) throw bad();
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2)).concat(tail);
    const fill = 8 - left.length - right.length;
    if (fill < 1) throw bad();
    words.push(...left, ...new Array<number>(fill).fill(0), ...right);
  } else {
    words.push(...parseGroups(head), ...tail);
  }
  if (words.length !== 8) throw bad();
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >>> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return out;
}

/** "10.0.0.0/8" or "2001:db8::/32" -> prefix words (host bits cleared). */
export function parsePrefix(text: string, pathId = 0): NlriPrefix {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`not a prefix: ${text}`);
  const addr = text.slice(0, slash);
  const length = Number(text.slice(slash + 1));
  if (addr.includes(':')) {
    if (!Number.isInteger(length) || length < 0 || length > 128) throw new Error(`bad prefix length: ${text}`);
    const b = parseIpv6(addr);
    const w = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      let word = readUint32(b, 4 * i);
      const bits = length - 32 * i;
      if (bits <= 0) word = 0;
      else if (bits < 32) word = (word & (0xffffffff << (32 - bits))) >>> 0;
      w[i] = word;
    }
    return { afi: Afi.IPv6, pathId, a: w[0], b: w[1], c: w[2], d: w[3], length };
  }
  if (!Number.isInteger(length) || length < 0 || length > 32) throw new Error(`bad prefix length: ${text}`);
  const a = parseIpv4(addr);
  return { afi: Afi.IPv4, pathId, a: length === 0 ? 0 : (a & (0xffffffff << (32 - length))) >>> 0, b: 0, c: 0, d: 0, length };
}

/** AS path text as bgpdump and most CLIs print it: sequences space separated, sets in {a,b}, confeds in (..)/[..]. */
export function formatAsPath(segments: readonly AsPathSegment[]): string {
  const parts: string[] = [];
  for (const s of segments) {
    switch (s.type) {
      case AsPathSegmentType.AsSequence:
        parts.push(s.asns.join(' '));
        break;
      case AsPathSegmentType.AsSet:
        parts.push(`{${s.asns.join(',')}}`);
        break;
      case AsPathSegmentType.ConfedSequence:
        parts.push(`(${s.asns.join(' ')})`);
        break;
      case AsPathSegmentType.ConfedSet:
        parts.push(`[${s.asns.join(',')}]`);
        break;
      default:
        parts.push(`?${s.asns.join(' ')}`);
    }
  }
  return parts.join(' ');
}

const WELL_KNOWN_COMMUNITIES: Record<number, string> = {
  0xffffff01: 'no-export',
  0xffffff02: 'no-advertise',
  0xffffff03: 'no-export-subconfed',
  0xffffff04: 'nopeer',
};

/** A community as "AS:value" (well-known ones by name when `names` is set). */
export function formatCommunity(c: number, names = false): string {
  if (names) {
    const n = WELL_KNOWN_COMMUNITIES[c >>> 0];
    if (n !== undefined) return n;
  }
  return `${c >>> 16}:${c & 0xffff}`;
}

/** Each community as formatCommunity writes it (for JSON lists). */
export function communityList(list: Uint32Array, names = false): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) out.push(formatCommunity(list[i], names));
  return out;
}

export function formatCommunities(list: Uint32Array, names = false): string {
  return communityList(list, names).join(' ');
}

/** Each large community (3 words) in the RFC 8092 text form "global:local1:local2" (for JSON lists). */
export function largeCommunityList(list: Uint32Array): string[] {
  const out: string[] = [];
  for (let i = 0; i + 2 < list.length; i += 3) out.push(`${list[i]}:${list[i + 1]}:${list[i + 2]}`);
  return out;
}

/** RFC 8092 text form "global:local1:local2", space separated. */
export function formatLargeCommunities(list: Uint32Array): string {
  return largeCommunityList(list).join(' ');
}

/** Extended communities: route target / origin for the common 2-octet-AS, IPv4 and 4-octet-AS types, hex otherwise. */
export function formatExtendedCommunities(bytes: Uint8Array): string {
  const out: string[] = [];
  for (let p = 0; p + 8 <= bytes.length; p += 8) {
    const type = bytes[p];
    const sub = bytes[p + 1];
    const name = sub === 2 ? 'rt' : sub === 3 ? 'ro' : null;
    if (name !== null && (type & 0x3f) === 0) out.push(`${name} ${readUint16(bytes, p + 2)}:${readUint32(bytes, p + 4)}`);
    else if (name !== null && (type & 0x3f) === 1) out.push(`${name} ${formatIpv4(readUint32(bytes, p + 2))}:${readUint16(bytes, p + 6)}`);
    else if (name !== null && (type & 0x3f) === 2) out.push(`${name} ${readUint32(bytes, p + 2)}:${readUint16(bytes, p + 6)}`);
    else out.push(`0x${Buffer.from(bytes.subarray(p, p + 8)).toString('hex')}`);
  }
  return out.join(' ');
}

const ORIGIN_KEYWORDS = ['igp', 'egp', 'incomplete'] as const;
export type OriginKeyword = (typeof ORIGIN_KEYWORDS)[number];

/** ORIGIN as a lower-case keyword ("igp", "egp", "incomplete"), as JSON shows it; null when absent or undefined. */
export function originKeyword(origin: number): OriginKeyword | null {
  return origin >= 0 && origin <= 2 ? ORIGIN_KEYWORDS[origin]! : null;
}

/** ORIGIN as text: "IGP", "EGP", "INCOMPLETE"; "" when absent, "?N" for an undefined value. */
export function formatOrigin(origin: number): string {
  const k = originKeyword(origin);
  return k !== null ? k.toUpperCase() : origin < 0 ? '' : `?${origin}`;
}

/** AGGREGATOR as "AS address". */
export function formatAggregator(as: number, address: number): string {
  return `${as} ${formatIpv4(address)}`;
}
