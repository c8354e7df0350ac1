// One table as several POP routers see it: the same prefixes, but AS paths whose lengths differ per router, so
// that each POP is closest (the multi-view rule: shortest path) for its own share of the address space. The demo's
// three routers replay one view each. Geography is not modelled: an origin AS's "home" POP is a hash of its number,
// which makes the split deterministic and even (about 1/count of the origins each), and the other routers prepend
// their own AS once per step away from that home.
import { AsPathSegment, AsPathSegmentType, type PathAttributes } from '../bgp/index.js';
import { mix32 } from '../proximity/index.js';
import type { RouteGroup } from './packed-table.js';

/** Router `index` (0-based) of `count` routers that carry the same table. */
export interface TableView {
  index: number;
  count: number;
}

/**
 * How many extra copies of its own AS the router of `view` puts in front of its path to `origin`: 0 at the origin's
 * home POP (mix32(origin) mod count), 1 at the next, ... count - 1. Every view thus ranks the POPs differently, with
 * no ties, and the ranking of a prefix is the same whatever its length.
 */
export function viewPrepends(origin: number, view: TableView): number {
  if (view.count <= 1) return 0;
  const home = (mix32(origin) >>> 0) % view.count;
  return (view.index - home + view.count) % view.count;
}

/** The origin AS of a path: its last AS (of an AS_SET, the last listed), 0 for an empty path. */
export function originAs(attributes: PathAttributes): number {
  const path = attributes.asPath ?? [];
  for (let i = path.length - 1; i >= 0; i--) {
    const asns = path[i]!.asns;
    if (asns.length > 0) return asns[asns.length - 1]!;
  }
  return 0;
}

/**
 * `asPath` with its first AS repeated `times` more in front (as a router prepends its own AS), as a new array: the
 * first AS_SEQUENCE is extended while it stays within 255 ASes, else a new one goes in front.
 */
export function prependFirstAs(asPath: readonly AsPathSegment[], times: number): AsPathSegment[] {
  const first = asPath[0];
  if (times === 0 || first === undefined || first.asns.length === 0) return [...asPath];
  const as = first.asns[0]!;
  const extra = new Array<number>(times).fill(as);
  if (first.type === AsPathSegmentType.AsSequence && first.asns.length + times <= 255) {
    return [new AsPathSegment(AsPathSegmentType.AsSequence, [...extra, ...first.asns]), ...asPath.slice(1)];
  }
  return [new AsPathSegment(AsPathSegmentType.AsSequence, extra), ...asPath];
}

/**
 * `groups` as the router of `view` sends them: the same prefixes (the arrays are shared, not copied), each group's
 * path prepended viewPrepends(its origin AS) times, and IPv4 NEXT_HOP `ipv4NextHop` when given (the router's own
 * address). Attributes that change are copied, never modified. Lazy: one group at a time.
 */
export function* viewRouteGroups(groups: Iterable<RouteGroup>, view: TableView, ipv4NextHop?: number): Generator<RouteGroup> {
  for (const g of groups) {
    const times = viewPrepends(originAs(g.attributes), view);
    const nextHop = ipv4NextHop !== undefined && g.attributes.nextHop >= 0 ? ipv4NextHop : g.attributes.nextHop;
    if (times === 0 && nextHop === g.attributes.nextHop) {
      yield g;
      continue;
    }
    // A spread copies a few times faster than Object.assign onto a new PathAttributes (a plain data class).
    const asPath = g.attributes.asPath === null ? null : prependFirstAs(g.attributes.asPath, times);
    const attributes: PathAttributes = { ...g.attributes, asPath, nextHop };
    yield { attributes, prefixes: g.prefixes };
  }
}
