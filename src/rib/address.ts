import { Afi, formatIpv4, formatIpv6Words, formatPrefix as formatPrefixText, parseIpv4, parseIpv6, parsePrefix as parsePrefixText } from '../bgp/index.js';

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
  try {
    if (!text.includes(':')) return { afi: Afi.IPv4, a: parseIpv4(text), b: 0, c: 0, d: 0 };
    const w = new DataView(parseIpv6(text).buffer);
    return { afi: Afi.IPv6, a: w.getUint32(0), b: w.getUint32(4), c: w.getUint32(8), d: w.getUint32(12) };
  } catch {
    throw new TypeError(`not an IP address: ${text}`);
  }
}

/**
 * Reads an address's text into `out` without throwing: false when the text is not an address. IPv4 is read
 * character by character and allocates nothing (batch and control-socket queries read one address a line);
 * IPv6 goes through the full parser.
 */
export function readAddress(text: string, out: ParsedAddress): boolean {
  const n = text.length;
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  let v4 = true;
  for (let i = 0; i < n && v4; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      // No leading zeros (they read as octal elsewhere) and at most 3 digits a part.
      if (digits > 0 && part === 0) v4 = false;
      part = part * 10 + (ch - 48);
      if (++digits > 3 || part > 255) v4 = false;
    } else if (ch === 46) {
      if (digits === 0 || parts === 3) v4 = false;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else v4 = false;
  }
  if (v4 && parts === 3 && digits > 0) {
    out.afi = Afi.IPv4;
    out.a = (value * 256 + part) >>> 0;
    out.b = out.c = out.d = 0;
    return true;
  }
  if (text.indexOf(':') < 0) return false;
  try {
    const w = new DataView(parseIpv6(text).buffer);
    out.afi = Afi.IPv6;
    out.a = w.getUint32(0);
    out.b = w.getUint32(4);
    out.c = w.getUint32(8);
    out.d = w.getUint32(12);
    return true;
  } catch {
    return false;
  }
}

/** Parses 'addr/len' (or a bare address, as a host prefix); host bits must be zero unless `strict` is false. */
export function parsePrefix(text: string, strict = true): ParsedPrefix {
  const slash = text.indexOf('/');
  const addr = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (slash < 0) return { ...addr, length: addr.afi === Afi.IPv4 ? 32 : 128 };
  if (!/^\d+$/.test(text.slice(slash + 1))) throw new TypeError(`bad prefix length in ${text}`);
  let p;
  try {
    p = parsePrefixText(text);
  } catch {
    throw new TypeError(`bad prefix length in ${text}`);
  }
  if (strict && (p.a !== addr.a || p.b !== addr.b || p.c !== addr.c || p.d !== addr.d)) {
    throw new TypeError(`host bits set in prefix ${text}`);
  }
  return { afi: p.afi as Afi, a: p.a, b: p.b, c: p.c, d: p.d, length: p.length };
}

/** Text of a prefix: '192.0.2.0/24', '2001:db8::/32' (RFC 5952 compression). */
export function formatPrefix(afi: Afi, a: number, b: number, c: number, d: number, length: number): string {
  return formatPrefixText(afi, a, b, c, d, length);
}

export function formatAddress(afi: Afi, a: number, b: number, c: number, d: number): string {
  return afi === Afi.IPv4 ? formatIpv4(a) : formatIpv6Words(a, b, c, d);
}

/** The one text of an address (RFC 5952 for IPv6), whatever its spelling: the key neighbors are found by. */
export function canonicalAddress(text: string): string {
  const a = parseAddress(text.trim());
  return formatAddress(a.afi, a.a, a.b, a.c, a.d);
}
