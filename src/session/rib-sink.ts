import { Afi, type NlriSink, type PathAttributes } from '../bgp/index.js';
import type { RibPort } from './types.js';

/** Numbers per buffered announcement: afi, pathId, a, b, c, d, length. */
const ROW = 7;

/**
 * Feeds decodeUpdate straight into the RIB. decodeUpdate hands over the UPDATE's attributes (the sink's optional
 * `attributes` hook) before the first announcement: they are interned once, and every prefix that follows is
 * installed under that one id. The UPDATE's announcements are buffered (a reused typed array) and installed
 * together in done(), through the RIB's announceRows when it has it: one UPDATE's prefixes go in as a batch,
 * which lets the RIB overlap their memory accesses. Withdrawals are applied at once (after any buffered
 * announcements, so the order of the UPDATE is kept). Hot path: no allocation per prefix.
 */
export class RibSink implements NlriSink {
  neighborId = -1;
  private attrId = -1;
  private rows = new Uint32Array(ROW * 512);
  private count = 0;
  /** Announcements per family since the session came up (for progress logs). */
  announcedIpv4 = 0;
  announcedIpv6 = 0;

  constructor(private readonly rib: RibPort) {}

  attributes(attrs: PathAttributes): void {
    this.flush();
    this.attrId = this.rib.intern(attrs);
  }

  announce(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    if (this.count * ROW === this.rows.length) {
      const bigger = new Uint32Array(this.rows.length * 2);
      bigger.set(this.rows);
      this.rows = bigger;
    }
    const o = this.count++ * ROW;
    const rows = this.rows;
    rows[o] = afi;
    rows[o + 1] = pathId;
    rows[o + 2] = a;
    rows[o + 3] = b;
    rows[o + 4] = c;
    rows[o + 5] = d;
    rows[o + 6] = length;
    if (afi === Afi.IPv4) this.announcedIpv4++;
    else this.announcedIpv6++;
  }

  withdraw(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.flush();
    this.rib.withdraw(this.neighborId, afi, pathId, a, b, c, d, length);
  }

  /**
   * After decodeUpdate returned (or threw): installs the buffered announcements, then gives back the reference
   * intern took; the routes hold their own. (When decodeUpdate throws, nothing reached the sink: codec contract.)
   */
  done(): void {
    this.flush();
    if (this.attrId >= 0) {
      this.rib.release(this.attrId);
      this.attrId = -1;
    }
  }

  resetCounters(): void {
    this.announcedIpv4 = 0;
    this.announcedIpv6 = 0;
  }

  private flush(): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    const rib = this.rib;
    if (rib.announceRows !== undefined) {
      rib.announceRows(this.neighborId, this.rows, n, this.attrId);
      return;
    }
    const rows = this.rows;
    for (let o = 0; o < n * ROW; o += ROW) {
      rib.announce(this.neighborId, rows[o]! as Afi, rows[o + 1]!, rows[o + 2]!, rows[o + 3]!, rows[o + 4]!, rows[o + 5]!, rows[o + 6]!, this.attrId);
    }
  }
}
