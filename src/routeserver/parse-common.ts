// What the text and JSON parsers share: the error they raise, and readers for the pieces a console prints the same
// way in both (prefixes, addresses, AS numbers, AS paths, communities).

import { canonicalAddress, formatPrefix, parsePrefix } from '../rib/index.js';
import { RouteServerError, type ConsoleAsSegment } from './types.js';

export function garbled(message: string): RouteServerError {
  return new RouteServerError('garbled', message);
}

/** Runs a parse; any failure that is not a RouteServerError becomes a garbled one, so parsers throw nothing else. */
export function guarded<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof RouteServerError) throw e;
    throw garbled(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const UINT32_MAX = 0xffffffff;

/** A decimal uint32 ("0".."4294967295"); null for anything else. */
export function readUint32(text: string): number | null {
  if (!/^\d{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n <= UINT32_MAX ? n : null;
}

/**
 * An AS number as consoles print it: asplain ("4200000001"), or asdot ("1.10" = 65546; Cisco with
 * `bgp asnotation dot`, FRR 9.1+ with `bgp as-notation dot`) when `asdot` is allowed. Null when not an AS number.
 */
export function readAsNumber(text: string, asdot: boolean): number | null {
  const dot = text.indexOf('.');
  if (dot < 0) return readUint32(text);
  if (!asdot) return null;
  const high = readUint32(text.slice(0, dot));
  const low = readUint32(text.slice(dot + 1));
  if (high === null || low === null || high > 0xffff || low > 0xffff) return null;
  return high * 0x10000 + low;
}

/** An IP address in its one canonical spelling (RFC 5952 for IPv6); null when the text is not an address. */
export function readAddress(text: string): string | null {
  try {
    return canonicalAddress(text);
  } catch {
    return null;
  }
}

/** "addr/len" in canonical text; null when it is not a prefix or has host bits set. */
export function readPrefix(text: string): string | null {
  if (!text.includes('/')) return null;
  try {
    const p = parsePrefix(text);
    return formatPrefix(p.afi, p.a, p.b, p.c, p.d, p.length);
  } catch {
    return null;
  }
}

/**
 * An IPv4 network printed without a length, which Zebra, Quagga and Cisco do when the length is the classful one
 * (RFC 791 classes: A /8, B /16, C /24; 0.0.0.0 is the default route, /0). Null when the address has bits set
 * beyond its class's length, or is of class D or E (those are always printed with a length).
 */
export function readClassfulNetwork(text: string): string | null {
  const m = /^(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(text);
  if (!m) return null;
  if (text === '0.0.0.0') return '0.0.0.0/0';
  const first = Number(m[1]);
  const length = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 0;
  return length === 0 ? null : readPrefix(`${text}/${length}`);
}

const SEGMENT_BRACKETS: Record<string, { close: string; type: ConsoleAsSegment['type'] }> = {
  '{': { close: '}', type: 'set' },
  '(': { close: ')', type: 'confed-sequence' },
  '[': { close: ']', type: 'confed-set' },
};

/**
 * The AS path as consoles print it: "64754 64755 {64512,64513} (65001 65002) [65003,65004]" (sets in braces,
 * confederation sequences in parentheses, confederation sets in brackets; "Local" for an empty path). Adjacent
 * plain ASes form one sequence segment. Throws a garbled RouteServerError for anything else.
 */
export function parseAsPathText(text: string, asdot: boolean): ConsoleAsSegment[] {
  const trimmed = text.trim();
  if (trimmed === 'Local') return [];
  if (trimmed === '') throw garbled('empty AS path');
  const segments: ConsoleAsSegment[] = [];
  const asNumber = (token: string): number => {
    const as = readAsNumber(token, asdot);
    if (as === null) throw garbled(`bad AS number "${token}" in AS path "${trimmed}"`);
    return as;
  };
  // the sequence plain ASes are appended to; a bracketed segment ends it
  let sequence: number[] | null = null;
  let i = 0;
  while (i < trimmed.length) {
    const ch = trimmed[i]!;
    if (ch === ' ') {
      i++;
      continue;
    }
    const bracket = SEGMENT_BRACKETS[ch];
    if (bracket) {
      const end = trimmed.indexOf(bracket.close, i + 1);
      if (end < 0) throw garbled(`unclosed "${ch}" in AS path "${trimmed}"`);
      const tokens = trimmed.slice(i + 1, end).split(/[\s,]+/).filter((t) => t !== '');
      if (tokens.length === 0) throw garbled(`empty segment in AS path "${trimmed}"`);
      segments.push({ type: bracket.type, asns: tokens.map(asNumber) });
      sequence = null;
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < trimmed.length && !' {(['.includes(trimmed[end]!)) end++;
    const as = asNumber(trimmed.slice(i, end));
    if (sequence) sequence.push(as);
    else {
      sequence = [as];
      segments.push({ type: 'sequence', asns: sequence });
    }
    i = end;
  }
  return segments;
}

/**
 * Well-known communities by name, in the spellings of Zebra, Quagga, FRR (text and JSON list names) and Cisco,
 * keyed by the name lower-cased without '-' and '_' (RFC 1997, 3765, 7611, 7999, 8326, 8642, 9494).
 */
const WELL_KNOWN_COMMUNITIES: ReadonlyMap<string, number> = new Map([
  ['internet', 0],
  ['gracefulshutdown', 0xffff0000],
  ['gshut', 0xffff0000],
  ['acceptown', 0xffff0001],
  ['routefiltertranslatedv4', 0xffff0002],
  ['routefilterv4', 0xffff0003],
  ['routefiltertranslatedv6', 0xffff0004],
  ['routefilterv6', 0xffff0005],
  ['llgrstale', 0xffff0006],
  ['nollgr', 0xffff0007],
  ['acceptownnexthop', 0xffff0008],
  ['blackhole', 0xffff029a],
  ['noexport', 0xffffff01],
  ['noadvertise', 0xffffff02],
  ['localas', 0xffffff03],
  ['noexportsubconfed', 0xffffff03],
  ['nopeer', 0xffffff04],
]);

/** A word that is not a community value: an FRR community alias (`bgp community alias`). */
const ALIAS = /^[A-Za-z_][\w.-]*$/;

/**
 * A standard community token: "65000:1", an old-format decimal uint32 ("6553700", Cisco without
 * `ip bgp-community new-format`), or a well-known name. Returns null for an alias name, which stands for a value
 * only the console's configuration knows. Throws a garbled RouteServerError for anything else.
 */
export function readCommunity(token: string): number | null {
  const colon = token.indexOf(':');
  if (colon >= 0) {
    const high = readUint32(token.slice(0, colon));
    const low = readUint32(token.slice(colon + 1));
    if (high === null || low === null || high > 0xffff || low > 0xffff) throw garbled(`bad community "${token}"`);
    return high * 0x10000 + low;
  }
  const value = readUint32(token);
  if (value !== null) return value;
  const known = WELL_KNOWN_COMMUNITIES.get(token.toLowerCase().replace(/[-_]/g, ''));
  if (known !== undefined) return known;
  if (ALIAS.test(token)) return null;
  throw garbled(`bad community "${token}"`);
}

/** A large community token "global:local1:local2" (RFC 8092); null for an alias name; throws when garbled. */
export function readLargeCommunity(token: string): [number, number, number] | null {
  const parts = token.split(':');
  if (parts.length === 3) {
    const [a, b, c] = parts.map(readUint32);
    if (a !== null && a !== undefined && b !== null && b !== undefined && c !== null && c !== undefined) return [a, b, c];
  } else if (parts.length === 1 && ALIAS.test(token)) {
    return null;
  }
  throw garbled(`bad large community "${token}"`);
}

export function readCommunities(text: string): number[] {
  const out: number[] = [];
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    const c = readCommunity(token);
    if (c !== null) out.push(c);
  }
  return out;
}

export function readLargeCommunities(text: string): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const token of text.split(/\s+/)) {
    if (token === '') continue;
    const c = readLargeCommunity(token);
    if (c !== null) out.push(c);
  }
  return out;
}

/** Whether a path's source is the console itself: `from 0.0.0.0` / `from ::`, FRR's peerId of a local path. */
export function isSelfAddress(address: string | null): boolean {
  return address === '0.0.0.0' || address === '::';
}
