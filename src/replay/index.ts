// The built-in router peer: a BGP speaker of our own that replays a table into a receiver (the demo, the ingest
// benchmark), and the tables it replays: synthetic, or one peer's real table out of an MRT file. Imports the codec,
// the MRT reader and the RIB, never the session or the daemon, so a benchmark can load it on its own.
export { BgpFeeder, type FeederOptions, type FeederState } from './router-peer.js';
export { packTable, syntheticRouteGroups, buildPackedTable, type PackedTable, type PackOptions, type RouteGroup } from './packed-table.js';
export { viewPrepends, viewRouteGroups, originAs, prependFirstAs, type TableView } from './views.js';
export * from './synthetic-table.js';
export {
  asEbgpExport,
  loadMrtIntoRib,
  mrtPeers,
  mrtPeerRouteGroups,
  neighborRouteGroups,
  packMrtPeerTable,
  pickMrtPeer,
  type MrtLoadOptions,
  type MrtLoadResult,
  type MrtPeerCount,
} from './mrt-table.js';
