// The face of the RIB. Writers (the session layer, the MRT loader) go through RibWriter and RibUpdateSink, or a
// RibJournal in front of the RIB that also ships their calls to RibReplicas in other threads; every front end reads
// through RibReader: lookups that fill a caller-owned LookupResult (matched prefix, route, attribute set and ECS
// scope, computed on the same descent), per-view lookups, neighbors by configured address, change notifications and
// readers of an attribute set. The tables themselves stay inside.
// Numbers follow the codec's NlriSink convention (IPv4: a = address as uint32, b = c = d = 0; IPv6: a..d = the
// four 32-bit words, most significant first).

import { Rib, type RibOptions } from './rib.js';
import { RibReader } from './reader.js';
import type { RibWriter } from './writer.js';

export type { RibOptions, RoutesChangeListener, NeighborStateListener } from './rib.js';
export type { RibWriter } from './writer.js';
export { RibUpdateSink } from './update-sink.js';
export { RibJournal, RibReplica, RibJournalError, JOURNAL_CHUNK_BYTES } from './journal.js';
export type { RibJournalOptions, RibJournalErrorCode } from './journal.js';
export { RibReader, LookupResult, RibView } from './reader.js';
export { RouteWalk, WalkedPrefix } from './route-walk.js';
export type { ViewSpec, NeighborView, PathView, RouteRecord, RibMemory } from './reader.js';
export { pathJson, asPathJson, type RouteJson } from './route-json.js';
export { MAX_PREFIXES_PER_FAMILY } from './prefix-table.js';
export { parseAddress, readAddress, parsePrefix, formatPrefix, formatAddress, canonicalAddress } from './address.js';
export type { ParsedAddress, ParsedPrefix } from './address.js';

/** A new, empty RIB: the writer for the session layer (or a loader), the reader for the front ends. */
export function createRib(options: RibOptions = {}): { writer: RibWriter; reader: RibReader } {
  const rib = new Rib(options);
  return { writer: rib, reader: new RibReader(rib) };
}
