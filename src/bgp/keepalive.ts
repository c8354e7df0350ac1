import { MessageType } from './constants.js';
import { encodeMessage } from './framing.js';

/** A KEEPALIVE is the bare 19-byte header (RFC 4271 4.4); a fresh buffer each call so callers may keep it. */
export function encodeKeepalive(): Buffer {
  return encodeMessage(MessageType.Keepalive, new Uint8Array(0));
}
