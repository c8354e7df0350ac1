import { Afi, AsPathSegmentType, formatIpv4, formatIpv6, type PathAttributes } from '../bgp/index.js';
import { LookupResult, parseAddress, parsePrefix, type PathView, type RibReader } from '../rib/index.js';
import type { RouteJson } from './protocol.js';

/**
 * The best route for `target`: longest match for an address, exact match for a prefix ("ADDR/LEN"); null when
 * nothing matches. Throws on text that is neither.
 */
export function findRoute(rib: RibReader, target: string): RouteJson | null {
  const result = new LookupResult();
  if (target.includes('/')) {
    const p = parsePrefix(target.trim(), false);
    rib.exact(p.afi, p.a, p.b, p.c, p.d, p.length, result);
  } else {
    const a = parseAddress(target.trim());
    rib.lookup(a.afi, a.a, a.b, a.c, a.d, result);
  }
  const path = rib.pathOf(result);
  return path === null ? null : routeJson(path);
}

export function routeJson(view: PathView): RouteJson {
  const a = view.attributes;
  return {
    prefix: view.prefix,
    asPath: asPathJson(a),
    nextHop: nextHopText(view.afi, a),
    neighbor: view.neighbor,
    neighborAs: view.neighborAs,
    localPref: a.localPref >= 0 ? a.localPref : null,
    med: a.med >= 0 ? a.med : null,
    communities: a.communities ? Array.from(a.communities, (c) => `${c >>> 16}:${c & 0xffff}`) : [],
    largeCommunities: largeCommunitiesJson(a.largeCommunities),
    origin: a.origin === 0 ? 'igp' : a.origin === 1 ? 'egp' : a.origin === 2 ? 'incomplete' : null,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregatorAs >= 0 ? `${a.aggregatorAs} ${formatIpv4(a.aggregatorAddress)}` : null,
    originatorId: a.originatorId >= 0 ? formatIpv4(a.originatorId) : null,
    clusterList: a.clusterList ? Array.from(a.clusterList, formatIpv4) : [],
    pathId: view.pathId,
    stale: view.stale,
  };
}

/** AS_SEQUENCE (and confederation sequence) members flat, sets as nested arrays. */
function asPathJson(a: PathAttributes): (number | number[])[] {
  const out: (number | number[])[] = [];
  for (const seg of a.asPath ?? []) {
    if (seg.type === AsPathSegmentType.AsSet || seg.type === AsPathSegmentType.ConfedSet) out.push([...seg.asns]);
    else out.push(...seg.asns);
  }
  return out;
}

function nextHopText(afi: Afi, a: PathAttributes): string | null {
  if (afi === Afi.IPv4 && a.nextHop >= 0) return formatIpv4(a.nextHop);
  const mp = a.mpNextHop;
  if (mp === null) return a.nextHop >= 0 ? formatIpv4(a.nextHop) : null;
  if (mp.length === 4) return formatIpv4(((mp[0]! << 24) | (mp[1]! << 16) | (mp[2]! << 8) | mp[3]!) >>> 0);
  return formatIpv6(mp);
}

function largeCommunitiesJson(list: Uint32Array | null): string[] {
  const out: string[] = [];
  if (list) for (let i = 0; i + 2 < list.length; i += 3) out.push(`${list[i]}:${list[i + 1]}:${list[i + 2]}`);
  return out;
}
