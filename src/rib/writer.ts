import type { Afi, PathAttributes } from '../bgp/index.js';

/**
 * The RIB as its writers use it: the session layer (one neighbor per BGP session), the update sink that feeds
 * decodeUpdate into it, and the MRT loader. Numbers follow the codec's NlriSink convention (IPv4: a = address,
 * b = c = d = 0; IPv6: four words, most significant first), as uint32 or int32 (the same bits: the update sink
 * hands them over as int32, which never needs a boxed double). Neighbor ids are the RIB's own, handed out by
 * addNeighbor and valid until removeNeighbor; front ends never see them (they read through RibReader, by address).
 */
export interface RibWriter {
  /** Registers the neighbor of a session (at Established); its session counts as down until setSessionUp. */
  addNeighbor(info: { address: string; remoteAs: number; localAs: number; routerId: number; ibgp?: boolean }): number;
  /** Removes all its routes and forgets it (its session is down). */
  removeNeighbor(id: number): unknown;
  /** The neighbor's session went up (Established) or down; its routes stay until withdrawn or removed. */
  setSessionUp(id: number, up: boolean): void;
  /** Interns an attribute set and takes one reference for the caller (give it back with release). */
  intern(attrs: PathAttributes): number;
  /** Takes one more reference on an interned set, as interning the same attributes again would (give it back with release). */
  retain(attrId: number): void;
  /** Gives back one reference taken by intern or retain (the routes hold their own). */
  release(attrId: number): void;
  announce(id: number, afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number, attrId: number): void;
  withdraw(id: number, afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): unknown;
  /** `count` rows of 7 numbers (afi, pathId, a, b, c, d, length) under one attribute set: announce() per row. */
  announceRows(id: number, rows: Int32Array, count: number, attrId: number): void;
  /** Marks the neighbor's routes (one family, or both) stale: graceful restart, enhanced route refresh. */
  markStale(id: number, afi?: Afi): unknown;
  /** Removes the neighbor's routes still stale. */
  sweepStale(id: number, afi?: Afi): unknown;
  /** Routes (paths) held from the neighbor in one family. */
  prefixCount(id: number, afi: Afi): number;
}
