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
import type { PathView } from './reader.js';

/** One path as `routes --json`, `explain --json` and the HTTP API print it. */
export interface RouteJson {
  prefix: string;
  /** AS_SEQUENCE members as numbers, each AS_SET as a nested array (confederation segments likewise). */
  asPath: (number | number[])[];
  nextHop: string | null;
  /** The neighbor's address the route came from. */
  neighbor: string;
  neighborAs: number | null;
  localPref: number | null;
  med: number | null;
  /** "AS:VALUE" each, well-known ones too (no names). */
  communities: string[];
  largeCommunities: string[];
  origin: 'igp' | 'egp' | 'incomplete' | null;
  atomicAggregate: boolean;
  aggregator: string | null;
  originatorId: string | null;
  clusterList: string[];
  pathId: number;
  stale: boolean;
}


/** A path decoded for people and programs (allocates). */
export function pathJson(view: PathView): RouteJson {
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
export function asPathJson(a: PathAttributes): (number | number[])[] {
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
