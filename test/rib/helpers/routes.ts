// Building routes for RIB tests: attribute sets and announcements by prefix text, through the writer contract.
import { AsPathSegment, AsPathSegmentType, PathAttributes } from '../../../src/bgp/index.js';
import { parsePrefix, type RibWriter } from '../../../src/rib/index.js';

/** ORIGIN IGP, NEXT_HOP 192.0.2.1, an AS_SEQUENCE of `path` (then an AS_SET of `set` if given), and `extra`. */
export function attrs(path: number[], extra: Partial<PathAttributes> = {}, set?: number[]): PathAttributes {
  const a = new PathAttributes();
  a.origin = 0;
  a.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, path)];
  if (set) a.asPath.push(new AsPathSegment(AsPathSegmentType.AsSet, set));
  a.nextHop = 0xc0000201;
  Object.assign(a, extra);
  return a;
}

export function announce(rib: RibWriter, neighbor: number, prefix: string, a: PathAttributes, pathId = 0): void {
  const p = parsePrefix(prefix);
  const id = rib.intern(a);
  rib.announce(neighbor, p.afi, pathId, p.a, p.b, p.c, p.d, p.length, id);
  rib.release(id);
}

/** Whether a route was withdrawn (false: there was none). */
export function withdraw(rib: RibWriter, neighbor: number, prefix: string, pathId = 0): boolean {
  const p = parsePrefix(prefix);
  return rib.withdraw(neighbor, p.afi, pathId, p.a, p.b, p.c, p.d, p.length) === true;
}
