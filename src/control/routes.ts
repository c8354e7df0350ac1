import {
  Afi,
  AsPathSegmentType,
  communityList,
  formatAggregator,
  formatIpv4,
  formatIpv6,
  largeCommunityList,
  originKeyword,
  readUint32,
  type PathAttributes,
} from '../bgp/index.js';
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
    communities: a.communities ? communityList(a.communities) : [],
    largeCommunities: a.largeCommunities ? largeCommunityList(a.largeCommunities) : [],
    origin: originKeyword(a.origin),
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregatorAs >= 0 ? formatAggregator(a.aggregatorAs, a.aggregatorAddress) : null,
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
  if (mp.length === 4) return formatIpv4(readUint32(mp, 0));
  return formatIpv6(mp);
}
