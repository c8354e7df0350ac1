import { AttrSetFlag, type AttributeStore } from './attribute-store.js';
import { ROUTE_NEIGHBOR_MASK } from './route-row.js';

/**
 * What the decision process reads of the routes it compares and of their neighbors: the Rib's rows. Arrays are
 * read through this object on every call because the Rib replaces them when they grow.
 */
export interface DecisionInputs {
  readonly attributes: AttributeStore;
  readonly routeAttr: Int32Array;
  readonly routeNeighbor: Uint16Array;
  readonly neighborIbgp: Uint8Array;
  readonly neighborRouterId: Uint32Array;
  /** The neighbor's address as a string whose order is address order (the last tie-break). */
  neighborAddressKey(neighborId: number): string;
  /** The route's ADD-PATH path identifier (0 without ADD-PATH). */
  pathIdOf(routeId: number): number;
}

export interface DecisionOptions {
  /** RFC 4271 9.1.2.2 (c) normally compares MED only between routes from the same neighbouring AS. */
  alwaysCompareMed?: boolean;
  /** Degree of preference of routes without LOCAL_PREF and of all eBGP routes (RFC 4271 5.1.5). Default 100. */
  defaultLocalPref?: number;
}

/** The steps of the comparison that keep the routes with the lowest value (see DecisionProcess.best). */
const enum Step {
  /** (a) degree of preference, negated so that the highest wins */
  Preference,
  /** (a) AS_PATH length, an AS_SET counting as one, confederation segments as none */
  PathLength,
  /** (c) ORIGIN */
  Origin,
  /** (d) iBGP (1) after eBGP (0) */
  Ibgp,
  /** (f) BGP Identifier, or ORIGINATOR_ID where present (RFC 4456 9) */
  Identifier,
  /** RFC 4456 9: CLUSTER_LIST length */
  ClusterList,
}

/**
 * The BGP decision process (RFC 4271 9.1.2.2, with RFC 4456 9 and RFC 5065 5.3) as a comparison over any set of
 * routes: the Loc-RIB runs it over the paths of one prefix, and a decision between views (one route per view,
 * possibly of different prefixes) runs the very same tie-breaks.
 */
export class DecisionProcess {
  readonly alwaysCompareMed: boolean;
  readonly defaultLocalPref: number;

  constructor(
    private readonly rib: DecisionInputs,
    options: DecisionOptions = {},
  ) {
    this.alwaysCompareMed = options.alwaysCompareMed ?? false;
    this.defaultLocalPref = options.defaultLocalPref ?? 100;
  }

  /**
   * The best of routes cand[0..n), as successive eliminations (so the MED rule, which only compares routes from
   * the same neighbouring AS, applies to the whole set as the RFC says, not pairwise): highest degree of
   * preference (LOCAL_PREF for iBGP routes, the default for eBGP ones), shortest AS_PATH, lowest ORIGIN, lowest MED
   * per neighbouring AS (or across all with always-compare-med; a missing MED counts as 0), eBGP over iBGP, (no
   * IGP cost here), lowest BGP Identifier or ORIGINATOR_ID, shortest CLUSTER_LIST, lowest peer address, then the
   * lowest ADD-PATH path id so that the choice is deterministic. Leaves the survivors of the last step at the front
   * of `cand`. Hot path (every change of a prefix with several paths; test/rib/reader's allocation test): no allocation.
   */
  best(cand: Int32Array, n: number): number {
    if (n === 1) return cand[0]!;
    n = this.keepLowest(cand, n, Step.Preference);
    if (n > 1) n = this.keepLowest(cand, n, Step.PathLength);
    if (n > 1) n = this.keepLowest(cand, n, Step.Origin);
    if (n > 1) n = this.keepLowestMed(cand, n);
    if (n > 1) n = this.keepLowest(cand, n, Step.Ibgp);
    if (n > 1) n = this.keepLowest(cand, n, Step.Identifier);
    if (n > 1) n = this.keepLowest(cand, n, Step.ClusterList);
    if (n === 1) return cand[0]!;
    // (g) lowest peer address, then lowest path id
    const rib = this.rib;
    let winner = cand[0]!;
    let winnerKey = rib.neighborAddressKey(rib.routeNeighbor[winner]! & ROUTE_NEIGHBOR_MASK);
    for (let i = 1; i < n; i++) {
      const r = cand[i]!;
      const key = rib.neighborAddressKey(rib.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK);
      if (key < winnerKey || (key === winnerKey && rib.pathIdOf(r) < rib.pathIdOf(winner))) {
        winner = r;
        winnerKey = key;
      }
    }
    return winner;
  }

  /**
   * Keeps, at the front of cand[0..n), the routes that tie for best on the steps that say something about the
   * path itself: degree of preference, AS_PATH length, ORIGIN, MED (per neighbouring AS) and eBGP over iBGP;
   * returns their count. The steps after those (router id, cluster list, peer address) only make a choice
   * deterministic; a decision between POPs breaks such ties by its own rules instead (preference, then a hash
   * that spreads clients evenly). Allocation-free.
   */
  preferred(cand: Int32Array, n: number): number {
    if (n > 1) n = this.keepLowest(cand, n, Step.Preference);
    if (n > 1) n = this.keepLowest(cand, n, Step.PathLength);
    if (n > 1) n = this.keepLowest(cand, n, Step.Origin);
    if (n > 1) n = this.keepLowestMed(cand, n);
    if (n > 1) n = this.keepLowest(cand, n, Step.Ibgp);
    return n;
  }

  /** Whether the route came from an iBGP neighbor. */
  isIbgp(routeId: number): boolean {
    return this.rib.neighborIbgp[this.rib.routeNeighbor[routeId]! & ROUTE_NEIGHBOR_MASK] === 1;
  }

  /** The degree of preference of a route (RFC 4271 9.1.1): LOCAL_PREF of an iBGP route, else the default. */
  preferenceOf(routeId: number): number {
    const rib = this.rib;
    const attrId = rib.routeAttr[routeId]!;
    if (rib.neighborIbgp[rib.routeNeighbor[routeId]! & ROUTE_NEIGHBOR_MASK] === 1 && (rib.attributes.flags[attrId]! & AttrSetFlag.LocalPref) !== 0) {
      return rib.attributes.localPref[attrId]!;
    }
    return this.defaultLocalPref;
  }

  private valueOf(step: Step, r: number): number {
    const rib = this.rib;
    const set = rib.attributes;
    const attrId = rib.routeAttr[r]!;
    switch (step) {
      case Step.Preference:
        return -this.preferenceOf(r);
      case Step.PathLength:
        return set.pathLength[attrId]!;
      case Step.Origin:
        return set.origin[attrId]!;
      case Step.Ibgp:
        return rib.neighborIbgp[rib.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK]!;
      case Step.Identifier:
        return (set.flags[attrId]! & AttrSetFlag.OriginatorId) !== 0
          ? set.originatorId[attrId]!
          : rib.neighborRouterId[rib.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK]!;
      case Step.ClusterList:
        return set.clusterListLength[attrId]!;
    }
  }

  /** Keeps (in order, at the front) the candidates whose value for `step` is the lowest; returns their count. */
  private keepLowest(cand: Int32Array, n: number, step: Step): number {
    let lowest = Infinity;
    for (let i = 0; i < n; i++) lowest = Math.min(lowest, this.valueOf(step, cand[i]!));
    let m = 0;
    for (let i = 0; i < n; i++) {
      const r = cand[i]!;
      if (this.valueOf(step, r) === lowest) cand[m++] = r;
    }
    return m;
  }

  /**
   * (c) drops a route when another from the same neighbouring AS (or any, with always-compare-med) has a lower
   * MED. Compacting in place while comparing is safe: the lowest MED of each AS is never dropped, and a survivor
   * is only ever copied to an earlier slot, so every route that beats another is still in cand[0..n).
   */
  private keepLowestMed(cand: Int32Array, n: number): number {
    const rib = this.rib;
    const set = rib.attributes;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const ri = cand[i]!;
      const ai = rib.routeAttr[ri]!;
      let beaten = false;
      for (let j = 0; j < n && !beaten; j++) {
        const aj = rib.routeAttr[cand[j]!]!;
        if (j !== i && (this.alwaysCompareMed || set.neighborAs[aj] === set.neighborAs[ai]) && set.med[aj]! < set.med[ai]!) {
          beaten = true;
        }
      }
      if (!beaten) cand[m++] = ri;
    }
    return m;
  }
}
