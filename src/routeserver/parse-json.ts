// Parsers for FRR's JSON: `show bgp ipv4|ipv6 unicast ADDR json` (one route, bgp_route.c route_vty_out_detail's
// fields) and `show bgp ipv4|ipv6 unicast P/L longer-prefixes json` (a table: `routes` keyed by prefix).
// FRR 7 and 8 differ in a few names (7: `localpref` and `med` beside `metric`; 8: `locPrf`, `metric`); both are read.

import {
  garbled,
  guarded,
  isSelfAddress,
  parseAsPathText,
  readAddress,
  readAsNumber,
  readCommunities,
  readCommunity,
  readLargeCommunities,
  readLargeCommunity,
  readPrefix,
} from './parse-common.js';
import type { ConsoleAsSegment, ConsolePath, ConsoleRoute } from './types.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonObject(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw garbled(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(value)) throw garbled('JSON output is not an object');
  return value;
}

const SEGMENT_TYPES: Record<string, ConsoleAsSegment['type']> = {
  'as-sequence': 'sequence',
  'as-set': 'set',
  'as-confed-sequence': 'confed-sequence',
  'as-confed-set': 'confed-set',
};

function readUint32Field(value: unknown, what: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw garbled(`bad ${what} ${JSON.stringify(value)}`);
  }
  return value;
}

/** `aspath`: { string, segments: [{ type, list }] } (FRR 3+); a bare string in older output. */
function readAsPath(value: unknown): ConsoleAsSegment[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return parseAsPathText(value === '' ? 'Local' : value, true);
  if (!isObject(value)) throw garbled('bad aspath');
  if (!Array.isArray(value['segments'])) {
    if (typeof value['string'] === 'string') return readAsPath(value['string']);
    throw garbled('aspath without segments');
  }
  return value['segments'].map((segment: unknown): ConsoleAsSegment => {
    if (!isObject(segment) || typeof segment['type'] !== 'string' || !Array.isArray(segment['list'])) {
      throw garbled('bad aspath segment');
    }
    const type = SEGMENT_TYPES[segment['type']];
    if (!type) throw garbled(`unknown aspath segment type "${segment['type']}"`);
    const asns = segment['list'].map((as: unknown) => {
      // FRR 9.1+ with `bgp as-notation dot` lists asdot strings
      const n = typeof as === 'number' ? readAsNumber(String(as), false) : typeof as === 'string' ? readAsNumber(as, true) : null;
      if (n === null) throw garbled(`bad AS number ${JSON.stringify(as)} in aspath`);
      return n;
    });
    if (asns.length === 0) throw garbled('empty aspath segment');
    return { type, asns };
  });
}

function readOrigin(value: unknown): ConsolePath['origin'] {
  if (value === undefined) return null;
  const origin = typeof value === 'string' ? value.toLowerCase() : '';
  if (origin === 'igp' || origin === 'egp' || origin === 'incomplete') return origin;
  throw garbled(`bad origin ${JSON.stringify(value)}`);
}

/** `community` / `largeCommunity`: { string, list }; the string is the text the CLI prints. */
function readCommunityField<T>(
  value: unknown,
  fromString: (text: string) => T[],
  fromToken: (token: string) => T | null,
): T[] {
  if (value === undefined) return [];
  if (!isObject(value)) throw garbled('bad community');
  if (typeof value['string'] === 'string') return fromString(value['string']);
  if (Array.isArray(value['list'])) {
    return value['list'].flatMap((token: unknown) => {
      if (typeof token !== 'string') throw garbled('bad community list');
      const c = fromToken(token);
      return c === null ? [] : [c];
    });
  }
  throw garbled('community without string or list');
}

function readPath(value: unknown): ConsolePath {
  if (!isObject(value)) throw garbled('a path is not an object');
  const peer = value['peer'];
  if (peer !== undefined && !isObject(peer)) throw garbled('bad peer');
  const peerId = peer && typeof peer['peerId'] === 'string' ? readAddress(peer['peerId']) : null;
  // an unnumbered session has no address; FRR names its interface
  const peerInterface = peer && typeof peer['interface'] === 'string' ? peer['interface'] : null;
  const nexthops = value['nexthops'];
  if (nexthops !== undefined && !Array.isArray(nexthops)) throw garbled('bad nexthops');
  // the first next hop is the global one; a link-local one may follow
  const first: unknown = nexthops?.[0];
  const nextHop = isObject(first) && typeof first['ip'] === 'string' ? readAddress(first['ip']) : null;
  if (isObject(first) && first['ip'] !== undefined && nextHop === null) throw garbled(`bad next hop ${JSON.stringify(first['ip'])}`);
  const bestpath = value['bestpath'];
  const local = value['sourced'] === true || value['local'] === true || isSelfAddress(peerId);
  const type = peer?.['type'];
  return {
    asPath: readAsPath(value['aspath']),
    nextHop,
    from: local ? null : (peerId ?? peerInterface),
    origin: readOrigin(value['origin']),
    med: readUint32Field(value['metric'] ?? value['med'], 'metric'),
    localPref: readUint32Field(value['locPrf'] ?? value['localpref'], 'local preference'),
    communities: readCommunityField(value['community'], readCommunities, readCommunity),
    largeCommunities: readCommunityField(value['largeCommunity'], readLargeCommunities, readLargeCommunity),
    best: bestpath === true || (isObject(bestpath) && bestpath['overall'] === true),
    valid: value['valid'] === true,
    local,
    internal: type === 'internal' || type === 'confed-internal',
  };
}

/**
 * Parses FRR's `show bgp ipv4 unicast ADDR json` / `show bgp ipv6 unicast ADDR json`. Returns null when the route
 * is not in the table (`{}`, or an object with only a `warning`). Throws a garbled RouteServerError for invalid
 * JSON or a shape it cannot read; nothing else.
 */
export function parseShowBgpJson(text: string): ConsoleRoute | null {
  return guarded('show bgp JSON', () => {
    const obj = parseJsonObject(text);
    if (!('prefix' in obj) && !('paths' in obj)) {
      if (Object.keys(obj).every((k) => k === 'warning')) return null;
      throw garbled(`JSON without prefix and paths (keys: ${Object.keys(obj).slice(0, 5).join(', ')})`);
    }
    const prefix = typeof obj['prefix'] === 'string' ? readPrefix(obj['prefix']) : null;
    if (prefix === null) throw garbled(`bad prefix ${JSON.stringify(obj['prefix'])}`);
    if (!Array.isArray(obj['paths'])) throw garbled('paths is not a list');
    const paths = obj['paths'].map(readPath);
    const best = paths.findIndex((p) => p.best);
    paths.forEach((p, i) => {
      p.best = i === best;
    });
    return { prefix, paths, best };
  });
}

/**
 * Parses FRR's `show bgp ipv4|ipv6 unicast P/L longer-prefixes json`: the keys of its `routes` object, canonical,
 * in order. `{}` or `"routes": {}` is []. Throws a garbled RouteServerError for anything else.
 */
export function parseLongerPrefixesJson(text: string): string[] {
  return guarded('longer-prefixes JSON', () => {
    const obj = parseJsonObject(text);
    const routes = obj['routes'];
    if (routes === undefined) {
      if (Object.keys(obj).every((k) => k === 'warning')) return [];
      throw garbled('JSON without routes');
    }
    if (!isObject(routes)) throw garbled('routes is not an object');
    const out = new Set<string>();
    for (const key of Object.keys(routes)) {
      const prefix = readPrefix(key);
      if (prefix === null) throw garbled(`bad prefix "${key}" in routes`);
      out.add(prefix);
    }
    return [...out];
  });
}
