import { Afi, type NlriSink, type PathAttributes } from '../bgp/index.js';
import type { RibPort } from './types.js';

/**
 * Feeds decodeUpdate straight into the RIB. decodeUpdate hands over the UPDATE's attributes (the sink's optional
 * `attributes` hook) before the first announcement: they are interned once, and every prefix that follows is
 * installed under that one id. Hot path: no allocation per prefix.
 */
export class RibSink implements NlriSink {
  neighborId = -1;
  private attrId = -1;
  /** Announcements per family since the session came up (for progress logs). */
  announcedIpv4 = 0;
  announcedIpv6 = 0;

  constructor(private readonly rib: RibPort) {}

  attributes(attrs: PathAttributes): void {
    this.attrId = this.rib.intern(attrs);
  }

  announce(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.rib.announce(this.neighborId, afi, pathId, a, b, c, d, length, this.attrId);
    if (afi === Afi.IPv4) this.announcedIpv4++;
    else this.announcedIpv6++;
  }

  withdraw(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.rib.withdraw(this.neighborId, afi, pathId, a, b, c, d, length);
  }

  /** After decodeUpdate returned (or threw): gives back the reference intern took; the routes hold their own. */
  done(): void {
    if (this.attrId >= 0) {
      this.rib.release(this.attrId);
      this.attrId = -1;
    }
  }

  resetCounters(): void {
    this.announcedIpv4 = 0;
    this.announcedIpv6 = 0;
  }
}
