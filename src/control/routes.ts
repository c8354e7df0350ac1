import { LookupResult, parseAddress, parsePrefix, pathJson, type RibReader, type RouteJson } from '../rib/index.js';

/**
 * The best route for `target`: longest match for an address, exact match for a prefix ("ADDR/LEN"); null when
 * nothing matches. Throws on text that is neither.
 */
export function findRoute(rib: RibReader, target: string): RouteJson | null {
  const result = new LookupResult();
  if (target.includes('/')) {
    const p = parsePrefix(target.trim(), false);
    rib.exact(p.afi, p.a, p.b, p.c, p.d, p.length, result);
  } else {
    const a = parseAddress(target.trim());
    rib.lookup(a.afi, a.a, a.b, a.c, a.d, result);
  }
  const path = rib.pathOf(result);
  return path === null ? null : pathJson(path);
}

