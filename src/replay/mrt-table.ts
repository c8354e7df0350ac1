// Real routes for the router peer: one peer's table out of an MRT file (a TABLE_DUMP / TABLE_DUMP_V2 RIB dump as
// it stands, or a BGP4MP update file replayed in order), regrouped by attribute set so packTable can send it.
import { Afi, AsPathSegment, AsPathSegmentType, decodeUpdate, type DecodeOptions, type PathAttributes } from '../bgp/index.js';
import { decodeBgp4mp, isBgp4mpMessageOrState, readMrtRecords, readMrtRibEntries } from '../mrt/index.js';
import { createRib, RibUpdateSink, type RibReader, type RibWriter } from '../rib/index.js';
import { packTable, type PackedTable, type RouteGroup } from './packed-table.js';

/** One peer of an MRT file, and how much it holds: RIB entries, or UPDATE messages for an update file. */
export interface MrtPeerCount {
  address: string;
  as: number;
  count: number;
}

export interface MrtLoadOptions {
  /** Load only this peer's routes (address and AS as in the file). Default: every peer. */
  peer?: { address: string; as: number };
  /**
   * Decode a BGP4MP UPDATE that fails without ADD-PATH again with it: old BIRD dumps carry path identifiers in
   * plain BGP4MP_MESSAGE_AS4 records, without the RFC 8050 _ADDPATH subtypes.
   */
  addPathFallback?: boolean;
}

export interface MrtLoadResult {
  /** RIB neighbor ids by "address AS". */
  neighbors: Map<string, { id: number; address: string; as: number }>;
  /** RIB entries read (a table dump), and UPDATE messages decoded (an update file; read only when no entries). */
  entries: number;
  updates: number;
  /** RIB entries whose attributes the codec refused, and UPDATEs that did not decode. */
  errors: number;
}

const peerKey = (address: string, as: number): string => `${address} ${as}`;

/**
 * Loads an MRT file into a RIB, one RIB neighbor per peer: a table dump's entries as they are, or, when the file
 * holds no RIB entries, its BGP4MP UPDATEs decoded and applied in file order (announcements and withdrawals).
 * Messages a collector sent itself (the _LOCAL subtypes) are not routes it learned and are skipped.
 */
export async function loadMrtIntoRib(file: string, rib: RibWriter, options: MrtLoadOptions = {}): Promise<MrtLoadResult> {
  const result: MrtLoadResult = { neighbors: new Map(), entries: 0, updates: 0, errors: 0 };
  const loaded = new Map<string, { id: number; address: string; as: number; sink: RibUpdateSink }>();
  const wanted = options.peer ? peerKey(options.peer.address, options.peer.as) : null;
  const neighborOf = (address: string, as: number): { id: number; sink: RibUpdateSink } | null => {
    const key = peerKey(address, as);
    if (wanted !== null && key !== wanted) return null;
    let n = loaded.get(key);
    if (n === undefined) {
      const id = rib.addNeighbor({ address, remoteAs: as, localAs: 65535, routerId: 0 });
      n = { id, address, as, sink: new RibUpdateSink(rib, id) };
      loaded.set(key, n);
      result.neighbors.set(key, { id, address, as });
    }
    return n;
  };
  for await (const entry of readMrtRibEntries(file)) {
    result.entries++;
    const n = neighborOf(entry.peer.addressText, entry.peer.as);
    if (n === null) continue;
    if (entry.attributes === null) {
      result.errors++;
      continue;
    }
    const attrId = rib.intern(entry.attributes);
    rib.announce(n.id, entry.afi as Afi, entry.pathId, entry.a, entry.b, entry.c, entry.d, entry.length, attrId);
    rib.release(attrId);
  }
  if (result.entries > 0) return result;
  for await (const record of readMrtRecords(file)) {
    if (!isBgp4mpMessageOrState(record)) continue;
    const rec = decodeBgp4mp(record);
    const m = rec.message;
    if (m === undefined || m[18] !== 2 || rec.local) continue;
    const n = neighborOf(rec.peerAddress, rec.peerAs);
    if (n === null) continue;
    result.updates++;
    const opts: DecodeOptions = { fourOctetAs: rec.fourOctetAs, addPathIpv4: rec.addPath, addPathIpv6: rec.addPath, extendedMessage: true };
    try {
      decodeUpdate(m, 19, m.length, opts, n.sink);
    } catch {
      let recovered = false;
      if (options.addPathFallback && !rec.addPath) {
        try {
          decodeUpdate(m, 19, m.length, { ...opts, addPathIpv4: true, addPathIpv6: true }, n.sink);
          recovered = true;
        } catch {
          // counted below
        }
      }
      if (!recovered) result.errors++;
    } finally {
      n.sink.done();
    }
  }
  return result;
}

/**
 * The peers of an MRT file with how much each holds (RIB entries; UPDATE messages for an update file), most
 * first: one pass over the file that keeps no routes.
 */
export async function mrtPeers(file: string): Promise<MrtPeerCount[]> {
  const counts = new Map<string, MrtPeerCount>();
  const count = (address: string, as: number): void => {
    const key = peerKey(address, as);
    const c = counts.get(key);
    if (c) c.count++;
    else counts.set(key, { address, as, count: 1 });
  };
  for await (const entry of readMrtRibEntries(file)) count(entry.peer.addressText, entry.peer.as);
  if (counts.size === 0) {
    for await (const record of readMrtRecords(file)) {
      if (!isBgp4mpMessageOrState(record)) continue;
      const rec = decodeBgp4mp(record);
      if (rec.message !== undefined && rec.message[18] === 2 && !rec.local) count(rec.peerAddress, rec.peerAs);
    }
  }
  return [...counts.values()].sort((x, y) => y.count - x.count);
}

/**
 * The routes one RIB neighbor holds, grouped by attribute set in prefix order, one path per prefix (its best
 * from that neighbor): what a router would send to share that table. `ipv4NextHop` stands in for a missing
 * IPv4 NEXT_HOP (a table dump may keep it only in MP_REACH_NLRI).
 */
export function neighborRouteGroups(rib: RibReader, neighbor: string, ipv4NextHop: number): RouteGroup[] {
  const groups = new Map<number, RouteGroup>();
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    let lastPrefix = '';
    rib.forEachRoute(
      afi,
      (route) => {
        // One path per prefix: the first of the neighbor's paths there (ADD-PATH may give several).
        const key = `${route.a} ${route.b} ${route.c} ${route.d} ${route.length}`;
        if (key === lastPrefix) return;
        lastPrefix = key;
        // A group holds one family (an UPDATE carries IPv4 NLRI or one MP_REACH_NLRI family).
        const groupKey = route.attributes * 2 + (afi === Afi.IPv6 ? 1 : 0);
        let group = groups.get(groupKey);
        if (group === undefined) {
          const attributes = rib.attributesOf(route.attributes);
          if (afi === Afi.IPv4 && attributes.nextHop < 0) attributes.nextHop = ipv4NextHop;
          group = { attributes, prefixes: [] };
          groups.set(groupKey, group);
        }
        group.prefixes.push({ afi, pathId: 0, a: route.a, b: route.b, c: route.c, d: route.d, length: route.length });
      },
      neighbor,
    );
  }
  return [...groups.values()];
}

/**
 * The peer of an MRT file whose table to replay: the one at `address`, or the one with the most routes (never
 * AS 0, which marks the dumping router's own routes: BIRD writes them with peer ::, AS 0, and no router sends
 * those). Also returns how many peers the file has.
 */
export async function pickMrtPeer(file: string, address?: string): Promise<{ peer: MrtPeerCount; peers: number }> {
  const peers = await mrtPeers(file);
  const peer = address === undefined ? peers.find((p) => p.as !== 0) : peers.find((p) => p.address === address);
  if (peer === undefined) {
    throw new Error(
      address === undefined
        ? `${file} holds no routes (no RIB entries, no UPDATEs)`
        : `${file} has no peer ${address}; its peers: ${peers.slice(0, 10).map((p) => p.address).join(', ')}${peers.length > 10 ? ', ...' : ''}`,
    );
  }
  if (peer.as === 0) throw new Error(`peer ${peer.address} has AS 0: the dumping router's own routes, which no BGP neighbor sends`);
  return { peer, peers: peers.length };
}

/**
 * One peer's table out of an MRT file as that peer would send it to an eBGP neighbor (asEbgpExport), packed into
 * UPDATEs for the router peer. `ipv4NextHop` stands in for a missing IPv4 NEXT_HOP (see neighborRouteGroups).
 */
export async function packMrtPeerTable(
  file: string,
  peer: { address: string; as: number },
  ipv4NextHop: number,
): Promise<{ packed: PackedTable; loaded: MrtLoadResult }> {
  const { groups, loaded, distinct } = await mrtPeerRouteGroups(file, peer, ipv4NextHop);
  return { packed: packTable(groups, { distinct }), loaded };
}

/**
 * One peer's table out of an MRT file as that peer would send it to an eBGP neighbor (asEbgpExport), by attribute
 * set, with its prefix count per family (one path per prefix: no prefix twice).
 */
export async function mrtPeerRouteGroups(
  file: string,
  peer: { address: string; as: number },
  ipv4NextHop: number,
): Promise<{ groups: RouteGroup[]; loaded: MrtLoadResult; distinct: { ipv4: number; ipv6: number } }> {
  const rib = createRib({ sizing: 'small' });
  const loaded = await loadMrtIntoRib(file, rib.writer, { peer });
  const neighbor = loaded.neighbors.values().next().value;
  if (neighbor === undefined) throw new Error(`no routes of peer ${peer.address} in ${file}`);
  const groups = neighborRouteGroups(rib.reader, neighbor.address, ipv4NextHop);
  const distinct = { ipv4: 0, ipv6: 0 };
  for (const g of groups) {
    asEbgpExport(g.attributes, peer.as);
    for (const p of g.prefixes) {
      if (p.afi === Afi.IPv4) distinct.ipv4++;
      else distinct.ipv6++;
    }
  }
  return { groups, loaded, distinct };
}

/**
 * What a router in `as` sends an eBGP neighbor (RFC 4271 5.1.2, 5.1.5; RFC 4456 8) for a route it may have
 * learned over iBGP, as a collector's peer often did: its AS first in the AS_PATH, no LOCAL_PREF, ORIGINATOR_ID
 * or CLUSTER_LIST.
 */
export function asEbgpExport(attributes: PathAttributes, as: number): void {
  const path = attributes.asPath ?? [];
  const first = path[0];
  if (first === undefined || first.type !== AsPathSegmentType.AsSequence || first.asns[0] !== as) {
    attributes.asPath =
      first !== undefined && first.type === AsPathSegmentType.AsSequence && first.asns.length < 255
        ? [new AsPathSegment(AsPathSegmentType.AsSequence, [as, ...first.asns]), ...path.slice(1)]
        : [new AsPathSegment(AsPathSegmentType.AsSequence, [as]), ...path];
  }
  attributes.localPref = -1;
  attributes.originatorId = -1;
  attributes.clusterList = null;
}
