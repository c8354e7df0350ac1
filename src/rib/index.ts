// The face of the RIB: longest-prefix-match tables, Adj-RIB-In per neighbor, Loc-RIB best path, interned
// path attributes. Knows nothing of sockets or timers; numbers follow the codec's NlriSink convention
// (IPv4: a = address as uint32, b = c = d = 0; IPv6: a..d = the four 32-bit words, most significant first).

export { Rib } from './rib.js';
export type {
  RibOptions,
  NeighborConfig,
  NeighborInfo,
  PathRef,
  RouteView,
  RibChangeListener,
} from './rib.js';
export { RibUpdateSink } from './update-sink.js';
export { AttributeStore, AttrSetFlag } from './attribute-store.js';
export { PrefixTable } from './prefix-table.js';
export { parseAddress, parsePrefix, formatPrefix, formatAddress } from './address.js';
export type { ParsedAddress, ParsedPrefix } from './address.js';
