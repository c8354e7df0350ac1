// The built-in router peer: a BGP speaker of our own that replays a table into a receiver (the demo, the ingest
// benchmark), and the tables it replays. Imports only the codec, so a benchmark can load it without the daemon.
export { BgpFeeder, type FeederOptions, type FeederState } from './router-peer.js';
export { packTable, syntheticRouteGroups, buildPackedTable, type PackedTable, type RouteGroup } from './packed-table.js';
export * from './synthetic-table.js';
