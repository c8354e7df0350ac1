import { Afi } from '../bgp/index.js';

/** An address as the RIB's numbers: IPv4 in `a` (b = c = d = 0), IPv6 as four words, most significant first. */
export interface ParsedAddress {
  afi: Afi;
  a: number;
  b: number;
  c: number;
  d: number;
}

export interface ParsedPrefix extends ParsedAddress {
  length: number;
}

/** Parses dotted IPv4 or RFC 4291 IPv6 text (with '::' and an embedded dotted quad). Throws on bad input. */
export function parseAddress(text: string): ParsedAddress {
  if (IPV4.test(text)) return { afi: Afi.IPv4, a: parseIpv4(text), b: 0, c: 0, d: 0 };
  const w = text.includes(':') ? parseIpv6(text) : null;
  if (w === null) throw new TypeError(`not an IP address: ${text}`);
  return { afi: Afi.IPv6, a: w[0]!, b: w[1]!, c: w[2]!, d: w[3]! };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses 'addr/len' (or a bare address, as a host prefix); host bits must be zero unless `strict` is false. */
export function parsePrefix(text: string, strict = true): ParsedPrefix {
  const slash = text.indexOf('/');
  const addr = parseAddress(slash < 0 ? text : text.slice(0, slash));
  const max = addr.afi === Afi.IPv4 ? 32 : 128;
  const length = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > max || (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1)))) {
    throw new TypeError(`bad prefix length in ${text}`);
  }
  const masked = maskWords(addr.a, addr.b, addr.c, addr.d, length);
  if (strict && (masked[0] !== addr.a || masked[1] !== addr.b || masked[2] !== addr.c || masked[3] !== addr.d)) {
    throw new TypeError(`host bits set in prefix ${text}`);
  }
  return { afi: addr.afi, a: masked[0]!, b: masked[1]!, c: masked[2]!, d: masked[3]!, length };
}

/** Text of a prefix: '192.0.2.0/24', '2001:db8::/32' (RFC 5952 compression). */
export function formatPrefix(afi: Afi, a: number, b: number, c: number, d: number, length: number): string {
  return `${formatAddress(afi, a, b, c, d)}/${length}`;
}

export function formatAddress(afi: Afi, a: number, b: number, c: number, d: number): string {
  if (afi === Afi.IPv4) return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  const groups = [a >>> 16, a & 0xffff, b >>> 16, b & 0xffff, c >>> 16, c & 0xffff, d >>> 16, d & 0xffff];
  // RFC 5952 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The four words with every bit past `length` cleared. */
export function maskWords(a: number, b: number, c: number, d: number, length: number): number[] {
  const words = [a, b, c, d];
  for (let i = 0; i < 4; i++) {
    const keep = length - 32 * i;
    if (keep <= 0) words[i] = 0;
    else if (keep < 32) words[i] = (words[i]! & (~0 << (32 - keep))) >>> 0;
  }
  return words;
}

function parseIpv4(text: string): number {
  const p = text.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

/** RFC 4291 2.2 text (with '::' and a trailing dotted quad) to four words; null when malformed. */
function parseIpv6(text: string): number[] | null {
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const toGroups = (part: string, last: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const g = pieces[i]!;
      if (last && i === pieces.length - 1 && IPV4.test(g)) {
        const v4 = parseIpv4(g);
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEX_GROUP.test(g)) out.push(parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const h = toGroups(dbl >= 0 ? text.slice(0, dbl) : text, dbl < 0);
  const t = dbl >= 0 ? toGroups(text.slice(dbl + 2), true) : [];
  if (h === null || t === null) return null;
  if (dbl >= 0 ? h.length + t.length > 7 : h.length !== 8) return null;
  const groups = dbl >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  return [0, 1, 2, 3].map((i) => ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0);
}
