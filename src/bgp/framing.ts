import {
  BGP_HEADER_LENGTH,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  ErrorCode,
  MessageHeaderSubcode,
  MessageType,
  RouteRefreshErrorSubcode,
} from './constants.js';
import { BgpError } from './errors.js';
import { BufferWriter } from './buffer-writer.js';

/** One complete message cut out of a byte stream. The body is message[19..message.length). */
export interface FramedMessage {
  type: MessageType;
  /** The whole message, header included (its own copy or a view of the pushed chunk; do not mutate). */
  message: Buffer;
}

const MARKER = Buffer.alloc(16, 0xff);

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

/** Smallest legal total length per message type (RFC 4271 4.x, RFC 2918). */
function minimumLength(type: number): number {
  switch (type) {
    case MessageType.Open:
      return 29;
    case MessageType.Update:
      return 23;
    case MessageType.Notification:
      return 21;
    case MessageType.Keepalive:
      return 19;
    case MessageType.RouteRefresh:
      return 23;
    default:
      return 19;
  }
}

/**
 * Checks the 19-byte header at `offset` (RFC 4271 4.1, 6.1) and returns the message length.
 * `maxLength` is 4096, or 65535 once extended messages are negotiated (RFC 8654; OPEN and KEEPALIVE stay at 4096).
 */
export function checkHeader(buf: Buffer, offset: number, maxLength: number): number {
  for (let i = 0; i < 16; i++) {
    if (buf[offset + i] !== 0xff) {
      throw new BgpError(
        ErrorCode.MessageHeader,
        MessageHeaderSubcode.ConnectionNotSynchronized,
        'message header marker is not all ones',
      );
    }
  }
  const length = buf.readUInt16BE(offset + 16);
  const type = buf[offset + 18];
  if (type < MessageType.Open || type > MessageType.RouteRefresh) {
    throw new BgpError(ErrorCode.MessageHeader, MessageHeaderSubcode.BadMessageType, `bad message type ${type}`, Uint8Array.of(type));
  }
  const typeMax = type === MessageType.Open || type === MessageType.Keepalive ? Math.min(maxLength, BGP_MAX_MESSAGE_LENGTH) : maxLength;
  const tooLong = length > typeMax || (type === MessageType.Keepalive && length !== BGP_HEADER_LENGTH);
  if (length < minimumLength(type) || tooLong) {
    throw new BgpError(
      ErrorCode.MessageHeader,
      MessageHeaderSubcode.BadMessageLength,
      `bad message length ${length} for type ${type}`,
      u16(length),
    );
  }
  if (type === MessageType.RouteRefresh && length !== 23 && buf.length - offset >= length) {
    // RFC 7313 5: a ROUTE-REFRESH of the wrong length gets its own error code, with the whole message as data:
    // thrown once the whole message is there (the framer checks the header again as more bytes arrive).
    throw new BgpError(
      ErrorCode.RouteRefreshMessage,
      RouteRefreshErrorSubcode.InvalidMessageLength,
      `bad ROUTE-REFRESH length ${length}`,
      Uint8Array.from(buf.subarray(offset, offset + length)),
    );
  }
  return length;
}

/**
 * Cuts BGP messages out of a TCP byte stream (pg-protocol's parser shape): push chunks, get complete messages,
 * partial bytes wait for the next chunk. Throws BgpError (RFC 4271 6.1 codes and data) on a bad header.
 * A partial message waits in a buffer of its own final size, filled as bytes come: the work stays linear in the
 * bytes received however the peer cuts them (a peer sending one byte per segment must not cost us a copy of
 * everything held so far on each one).
 */
export class MessageFramer {
  /** The incomplete message: 19 bytes while its header is incomplete, then exactly its length. */
  private pending: Buffer | null = null;
  private pendingUsed = 0;

  constructor(public maxLength: number = BGP_MAX_MESSAGE_LENGTH) {}

  /** Raises the limit to 65535 once both sides advertised Extended Message (RFC 8654). */
  setExtendedMessage(enabled: boolean): void {
    this.maxLength = enabled ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
  }

  /** Bytes held from an incomplete message. */
  get buffered(): number {
    return this.pendingUsed;
  }

  push(chunk: Buffer): FramedMessage[] {
    const out: FramedMessage[] = [];
    let offset = 0;
    if (this.pending !== null) {
      offset = this.fill(chunk, out);
      if (this.pending !== null) return out;
    }
    while (chunk.length - offset >= BGP_HEADER_LENGTH) {
      const length = checkHeader(chunk, offset, this.maxLength);
      if (chunk.length - offset < length) {
        // Copy so the leftover does not pin the (possibly large) chunk it came from.
        this.pending = Buffer.allocUnsafe(length);
        this.pendingUsed = chunk.copy(this.pending, 0, offset);
        return out;
      }
      out.push({ type: chunk[offset + 18] as MessageType, message: chunk.subarray(offset, offset + length) });
      offset += length;
    }
    if (offset < chunk.length) {
      this.pending = Buffer.allocUnsafe(BGP_HEADER_LENGTH);
      this.pendingUsed = chunk.copy(this.pending, 0, offset);
    }
    return out;
  }

  /** Moves bytes of chunk into the pending message; returns how many it took. Completes it into out when whole. */
  private fill(chunk: Buffer, out: FramedMessage[]): number {
    let p = this.pending!;
    let used = this.pendingUsed;
    let at = 0;
    if (used < BGP_HEADER_LENGTH) {
      at = chunk.copy(p, used, 0, Math.min(chunk.length, BGP_HEADER_LENGTH - used));
      used += at;
      this.pendingUsed = used;
      if (used < BGP_HEADER_LENGTH) return at;
      const length = checkHeader(p, 0, this.maxLength);
      if (length > BGP_HEADER_LENGTH) {
        const whole = Buffer.allocUnsafe(length);
        p.copy(whole, 0, 0, BGP_HEADER_LENGTH);
        p = whole;
        this.pending = p;
      }
    }
    const n = chunk.copy(p, used, at, at + Math.min(p.length - used, chunk.length - at));
    used += n;
    at += n;
    this.pendingUsed = used;
    if (used < p.length) return at;
    this.pending = null;
    this.pendingUsed = 0;
    // Checked again whole: the limit may have changed meanwhile, and some checks need the whole message.
    checkHeader(p, 0, this.maxLength);
    out.push({ type: p[18] as MessageType, message: p });
    return at;
  }
}

/** Wraps a message body in the 19-byte header. */
export function encodeMessage(type: MessageType, body: Uint8Array): Buffer {
  const w = new BufferWriter(BGP_HEADER_LENGTH + body.length);
  w.bytes(MARKER).u16(BGP_HEADER_LENGTH + body.length).u8(type).bytes(body);
  return w.toBuffer();
}

/** Writes a header with a length placeholder; finish with finishMessage. */
export function beginMessage(w: BufferWriter, type: MessageType): void {
  w.bytes(MARKER).u16(0).u8(type);
}

/** Patches the length of a message begun at offset 0 and checks it against maxLength. */
export function finishMessage(w: BufferWriter, maxLength: number = BGP_MAX_MESSAGE_LENGTH): Buffer {
  if (w.length > maxLength) {
    throw new RangeError(`message of ${w.length} bytes exceeds the maximum ${maxLength}`);
  }
  w.setU16(16, w.length);
  return w.toBuffer();
}
