import { type Capabilities, type NlriSink, formatPrefix } from '../../../src/bgp/index.js';

/** Raw path attribute bytes: flags, type, length (extended when flags has 0x10), value. */
export function attr(flags: number, type: number, value: number[] | Uint8Array): Buffer {
  const v = Buffer.from(value);
  if (flags & 0x10) return Buffer.concat([Buffer.from([flags, type, v.length >> 8, v.length & 0xff]), v]);
  return Buffer.concat([Buffer.from([flags, type, v.length]), v]);
}

/** An UPDATE body: withdrawn routes length + field, total path attribute length + attributes, NLRI. */
export function updateBody(withdrawn: number[] | Buffer, attributes: Buffer[], nlri: number[] | Buffer): Buffer {
  const w = Buffer.from(withdrawn);
  const a = Buffer.concat(attributes);
  return Buffer.concat([Buffer.from([w.length >> 8, w.length & 0xff]), w, Buffer.from([a.length >> 8, a.length & 0xff]), a, Buffer.from(nlri)]);
}

/** The usual valid mandatory attributes of an IPv4 eBGP UPDATE on a 4-octet session. */
export function mandatory4(): Buffer[] {
  return [
    attr(0x40, 1, [0]),
    attr(0x40, 2, [2, 2, 0, 0, 0xfd, 0xe8, 0, 0, 0x0b, 0x62]), // AS_SEQUENCE 65000 2914
    attr(0x40, 3, [192, 0, 2, 1]),
  ];
}

/** A sink that records prefixes as text, e.g. "A 10.0.0.0/8" or "W 2001:db8::/32#7" (path id after #). */
export class RecordingSink implements NlriSink {
  readonly events: string[] = [];
  announce(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.events.push(`A ${formatPrefix(afi, a, b, c, d, length)}${pathId ? `#${pathId}` : ''}`);
  }
  withdraw(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    this.events.push(`W ${formatPrefix(afi, a, b, c, d, length)}${pathId ? `#${pathId}` : ''}`);
  }
}

/** Every capability we know, filled in, plus one unknown. */
export function everyCapability(): Capabilities {
  return {
    multiprotocol: [
      { afi: 1, safi: 1 },
      { afi: 2, safi: 1 },
    ],
    routeRefresh: true,
    enhancedRouteRefresh: true,
    fourOctetAs: 4200000000,
    gracefulRestart: {
      restarting: true,
      notification: true,
      restartTime: 120,
      families: [
        { afi: 1, safi: 1, forwardingPreserved: true },
        { afi: 2, safi: 1, forwardingPreserved: false },
      ],
    },
    addPath: [
      { afi: 1, safi: 1, send: true, receive: true },
      { afi: 2, safi: 1, send: false, receive: true },
    ],
    extendedMessage: true,
    unknown: [{ code: 73, value: Uint8Array.of(3, 0x66, 0x6f, 0x6f) }],
  };
}

