import { ErrorCode, MessageType, RouteRefreshErrorSubcode, RouteRefreshSubtype } from './constants.js';
import { BgpError } from './errors.js';
import { encodeMessage } from './framing.js';

/** ROUTE-REFRESH (RFC 2918), with the RFC 7313 subtype in the once-reserved byte. */
export interface RouteRefreshMessage {
  afi: number;
  safi: number;
  subtype: RouteRefreshSubtype;
}

export function decodeRouteRefresh(buf: Buffer, start: number, end: number): RouteRefreshMessage {
  if (end - start !== 4) {
    throw new BgpError(
      ErrorCode.RouteRefreshMessage,
      RouteRefreshErrorSubcode.InvalidMessageLength,
      `ROUTE-REFRESH body of ${end - start} bytes (expected 4)`,
      Uint8Array.from(buf.subarray(Math.max(0, start - 19), end)),
    );
  }
  // RFC 7313 5: unknown subtypes (3..255) are ignored by the receiver; we report them and let the session decide.
  return { afi: buf.readUInt16BE(start), safi: buf[start + 3], subtype: buf[start + 2] as RouteRefreshSubtype };
}

export function encodeRouteRefresh(m: { afi: number; safi: number; subtype?: RouteRefreshSubtype }): Buffer {
  const body = new Uint8Array(4);
  body[0] = (m.afi >>> 8) & 0xff;
  body[1] = m.afi & 0xff;
  body[2] = m.subtype ?? RouteRefreshSubtype.Normal;
  body[3] = m.safi;
  return encodeMessage(MessageType.RouteRefresh, body);
}
