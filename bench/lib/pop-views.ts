// The routes each POP's router sends the DNS benchmark's daemon: one table per POP, each replayed by its own
// built-in router peer, so that the multi-view rule has three different views to decide between.
//   synthetic  (default) the full-size table generated from @ip-location-db/asn (real address ranges and origin
//              ASes) with a different seed per POP: the same prefixes everywhere, but each POP's AS paths drawn
//              apart, so that path lengths differ per POP and client (and tie often enough for the hash to act);
//   mrt:FILE   one real peer's table per POP out of a multi-peer MRT file (a RIB dump as it stands, or an update
//              file replayed): the peers with the most routes, one per AS, each sent as that peer would send it.
import { generateSyntheticTable, mrtPeers, packMrtPeerTable, packTable, syntheticRouteGroups, type PackedTable } from '../../src/replay/index.js';

export interface PopView {
  pop: string;
  /** The AS the POP's router speaks as (first in every AS_PATH it sends). */
  as: number;
  table: PackedTable;
  /** Where the routes come from, for the report. */
  source: string;
}

export function syntheticViews(pops: Array<{ pop: string; as: number; seed: number }>, nextHop: (pop: string) => number): PopView[] {
  return pops.map(({ pop, as, seed }) => {
    const synthetic = generateSyntheticTable({ seed, peerAs: as, nextHop: nextHop(pop) });
    return { pop, as, table: packTable(syntheticRouteGroups(synthetic)), source: `synthetic full table, seed ${seed}, AS${as} first` };
  });
}

/**
 * The `names.length` peers of `file` with the most routes (distinct ASes, never AS 0), one per POP, in that order.
 */
export async function mrtViews(file: string, names: string[], nextHop: (pop: string) => number): Promise<PopView[]> {
  const seen = new Set<number>();
  const peers = (await mrtPeers(file)).filter((p) => {
    if (p.as === 0 || seen.has(p.as)) return false;
    seen.add(p.as);
    return true;
  });
  if (peers.length < names.length) throw new Error(`${file} has ${peers.length} peers of distinct ASes; ${names.length} POPs need as many`);
  const views: PopView[] = [];
  for (let i = 0; i < names.length; i++) {
    const peer = peers[i]!;
    const { packed } = await packMrtPeerTable(file, peer, nextHop(names[i]!));
    views.push({ pop: names[i]!, as: peer.as, table: packed, source: `RIS peer ${peer.address} AS${peer.as}` });
  }
  return views;
}
