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
  if (type === MessageType.RouteRefresh && length !== 23) {
    // RFC 7313 5: a ROUTE-REFRESH of the wrong length gets its own error code, with the whole message as data.
    throw new BgpError(
      ErrorCode.RouteRefreshMessage,
      RouteRefreshErrorSubcode.InvalidMessageLength,
      `bad ROUTE-REFRESH length ${length}`,
      Uint8Array.from(buf.subarray(offset, offset + Math.min(length, buf.length - offset))),
    );
  }
  return length;
}

/**
 * Cuts BGP messages out of a TCP byte stream (pg-protocol's parser shape): push chunks, get complete messages,
 * partial bytes wait for the next chunk. Throws BgpError (RFC 4271 6.1 codes and data) on a bad header.
 */
export class MessageFramer {
  private pending: Buffer | null = null;

  constructor(public maxLength: number = BGP_MAX_MESSAGE_LENGTH) {}

  /** Raises the limit to 65535 once both sides advertised Extended Message (RFC 8654). */
  setExtendedMessage(enabled: boolean): void {
    this.maxLength = enabled ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
  }

  /** Bytes held from an incomplete message. */
  get buffered(): number {
    return this.pending === null ? 0 : this.pending.length;
  }

  push(chunk: Buffer): FramedMessage[] {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    const out: FramedMessage[] = [];
    let offset = 0;
    while (buf.length - offset >= BGP_HEADER_LENGTH) {
      const length = checkHeader(buf, offset, this.maxLength);
      if (buf.length - offset < length) break;
      out.push({ type: buf[offset + 18] as MessageType, message: buf.subarray(offset, offset + length) });
      offset += length;
    }
    if (offset < buf.length) {
      // Copy so the leftover does not pin the (possibly large) chunk it came from.
      this.pending = Buffer.from(buf.subarray(offset));
    }
    return out;
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
