// Who the client of a redirect is: the socket's peer, or, when that peer is a trusted proxy, what the proxies say in
// X-Forwarded-For, read from the right and trusted only as far as the chain of trusted proxies reaches.
import { Afi } from '../bgp/index.js';
import { formatAddress, parsePrefix, readAddress, type ParsedAddress } from '../rib/index.js';
import { unmapIpv4 } from '../proximity/index.js';

interface Range {
  afi: Afi;
  /** The prefix's address words (host bits clear) and the masks of its length. */
  words: [number, number, number, number];
  masks: [number, number, number, number];
}

function maskWord(length: number, word: number): number {
  const bits = Math.max(0, Math.min(32, length - word * 32));
  return bits === 0 ? 0 : bits === 32 ? -1 : ~(-1 >>> bits);
}

/** A set of prefixes (`http.trusted-proxies`) that an address can be tested against. */
export class TrustedProxies {
  private readonly ranges: Range[];
  private readonly scratch: ParsedAddress = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };

  constructor(prefixes: readonly string[]) {
    this.ranges = prefixes.map((text) => {
      const p = parsePrefix(text, false);
      // Addresses are compared unmapped (::ffff:10.0.0.1 as 10.0.0.1, as a proxy on a dual-stack socket shows
      // up), so an IPv4-mapped range must be its IPv4 one, or it would never match.
      if (p.afi === Afi.IPv6 && p.length >= 96 && p.a === 0 && p.b === 0 && p.c === 0xffff) {
        p.afi = Afi.IPv4;
        p.a = p.d;
        p.b = p.c = p.d = 0;
        p.length -= 96;
      }
      const masks: Range['masks'] = [maskWord(p.length, 0), maskWord(p.length, 1), maskWord(p.length, 2), maskWord(p.length, 3)];
      return { afi: p.afi, words: [p.a & masks[0], p.b & masks[1], p.c & masks[2], p.d & masks[3]], masks };
    });
  }

  /** Whether a parsed address (IPv4-mapped already unmapped) lies in one of the prefixes. */
  private containsParsed(a: ParsedAddress): boolean {
    for (const r of this.ranges) {
      if (r.afi !== a.afi) continue;
      const [m0, m1, m2, m3] = r.masks;
      const [w0, w1, w2, w3] = r.words;
      if ((a.a & m0) === w0 && (a.b & m1) === w1 && (a.c & m2) === w2 && (a.d & m3) === w3) return true;
    }
    return false;
  }

  /** Whether an address text lies in one of the prefixes (an IPv4-mapped IPv6 address counts as its IPv4 one). */
  contains(address: string): boolean {
    const a = this.scratch;
    return readAddress(address, a) && this.containsParsed(unmapIpv4(a));
  }

  /**
   * The client of a request that came from `peer` (the socket's address) with these X-Forwarded-For values: the peer
   * itself unless it is trusted; else the right-most forwarded address that is not itself a trusted proxy. An entry
   * that is no address ends the walk: the hop that added it (the last trusted one) is the client. Null when the
   * peer is no address at all. Returned in canonical form, IPv4-mapped addresses as IPv4.
   */
  clientOf(peer: string | undefined, forwardedFor: string | string[] | undefined): string | null {
    const a = this.scratch;
    if (peer === undefined || !readAddress(peer, a)) return null;
    unmapIpv4(a);
    let client = formatAddress(a.afi, a.a, a.b, a.c, a.d);
    if (forwardedFor === undefined || !this.containsParsed(a)) return client;
    const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = entries.length - 1; i >= 0; i--) {
      const text = stripPort(entries[i]!.trim());
      if (!readAddress(text, a)) break;
      unmapIpv4(a);
      client = formatAddress(a.afi, a.a, a.b, a.c, a.d);
      if (!this.containsParsed(a)) break;
    }
    return client;
  }
}

/** "[2001:db8::1]:443" and "192.0.2.1:80" as some proxies write them; a bare IPv6 address stays whole. */
function stripPort(text: string): string {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    return end > 0 ? text.slice(1, end) : text;
  }
  const colon = text.indexOf(':');
  return colon > 0 && text.indexOf(':', colon + 1) < 0 ? text.slice(0, colon) : text;
}
