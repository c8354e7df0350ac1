import { Afi, type NlriSink, type PathAttributes } from '../bgp/index.js';
import type { RibWriter } from './writer.js';

/** Numbers per buffered announcement: afi, pathId, a, b, c, d, length. */
const ROW = 7;

/**
 * Feeds decodeUpdate straight into the RIB for one neighbor. decodeUpdate hands over the UPDATE's attributes (the
 * sink's `attributes` hook) before the first announcement: they are interned once, and every prefix that follows
 * is installed under that one id. Announcements are buffered in a reused typed array and installed together
 * (announceRows lets the RIB overlap their memory accesses); withdrawals are applied at once, after any buffered
 * announcements, so the order of the UPDATEs is kept. Call done() after each decodeUpdate, returned or thrown.
 * Hot path (bench:ingest, bench:rib's RIS load): no allocation per prefix.
 *
 *   decodeUpdate(buf, start, end, opts, sink);
 *   sink.done();
 */
export class RibUpdateSink implements NlriSink {
  private attrId = -1;
  /** Int32 (the words' bits): read back as small integers, they reach the RIB without boxing. */
  private rows = new Int32Array(ROW * 512);
  private count = 0;
  /** Announcements per family since resetCounters() (progress logs). */
  announcedIpv4 = 0;
  announcedIpv6 = 0;
  /** Bit `1 << afi` set for each family accepted (acceptFamilies). */
  private acceptedFamilies = (1 << Afi.IPv4) | (1 << Afi.IPv6);
  /** Prefixes of families not negotiated, ignored since resetCounters(). */
  ignoredPrefixes = 0;

  constructor(
    private readonly rib: RibWriter,
    /** The RIB's id of the neighbor the UPDATEs come from; may change between sessions. */
    public neighborId = -1,
  ) {}

  /**
   * The families the session negotiated (RFC 4760 6): NLRI of any other family are ignored and counted in
   * ignoredPrefixes, as BIRD and FRR do, so a peer cannot put routes in a table it never opened.
   */
  acceptFamilies(families: readonly Afi[]): void {
    let mask = 0;
    for (const afi of families) mask |= 1 << afi;
    this.acceptedFamilies = mask;
  }

  attributes(attrs: PathAttributes): void {
    this.flush();
    this.attrId = this.rib.intern(attrs);
  }

  announce(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    if (((this.acceptedFamilies >> afi) & 1) === 0) {
      this.ignoredPrefixes++;
      return;
    }
    if (this.count * ROW === this.rows.length) {
      const bigger = new Int32Array(this.rows.length * 2);
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
    if (afi === 1) this.announcedIpv4++;
    else this.announcedIpv6++;
  }

  withdraw(afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    if (((this.acceptedFamilies >> afi) & 1) === 0) {
      this.ignoredPrefixes++;
      return;
    }
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
    this.ignoredPrefixes = 0;
  }

  private flush(): void {
    const n = this.count;
    if (n === 0) return;
    this.count = 0;
    this.rib.announceRows(this.neighborId, this.rows, n, this.attrId);
  }
}
