import type { Afi, PathAttributes } from '../bgp/index.js';
import type { Rib } from './rib.js';

/**
 * Feeds one neighbor's decoded UPDATEs into the RIB. It has the codec's NlriSink shape, so a session can pass it
 * straight to decodeUpdate: withdrawals go to the RIB at once (the codec reports them first), announcements are
 * buffered in a typed array because the attribute set is only known when decodeUpdate returns; then
 * commit(result.attributes) interns the set once and applies them. If decodeUpdate throws, nothing reached the
 * sink (codec contract); call discard() anyway to be safe.
 *
 *   const res = decodeUpdate(buf, start, end, opts, sink);
 *   sink.commit(res.attributes);
 */
export class RibUpdateSink {
  private pending = new Uint32Array(7 * 256);
  private count = 0;

  constructor(
    private readonly rib: Rib,
    readonly neighborId: number,
  ) {}

  announce(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    if ((this.count + 1) * 7 > this.pending.length) {
      const bigger = new Uint32Array(this.pending.length * 2);
      bigger.set(this.pending);
      this.pending = bigger;
    }
    const o = this.count * 7;
    const p = this.pending;
    p[o] = afi;
    p[o + 1] = pathId;
    p[o + 2] = a;
    p[o + 3] = b;
    p[o + 4] = c;
    p[o + 5] = d;
    p[o + 6] = length;
    this.count++;
  }

  withdraw(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.rib.withdraw(this.neighborId, afi, pathId, a, b, c, d, length);
  }

  /** Applies the buffered announcements with their attribute set; returns how many were applied. */
  commit(attributes: PathAttributes | null): number {
    const n = this.count;
    this.count = 0;
    if (n === 0 || attributes === null) return 0;
    const attrId = this.rib.intern(attributes);
    this.rib.announceRows(this.neighborId, this.pending, n, attrId);
    this.rib.release(attrId);
    return n;
  }

  /** Drops buffered announcements (after a decode error). */
  discard(): void {
    this.count = 0;
  }
}
