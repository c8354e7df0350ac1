import { BGP_HEADER_LENGTH, BGP_MAX_MESSAGE_LENGTH, CeaseSubcode, ErrorCode, MessageType, SHUTDOWN_COMMUNICATION_MAX_LENGTH } from './constants.js';
import { BgpError } from './errors.js';
import { encodeMessage } from './framing.js';

export interface NotificationMessage {
  code: number;
  subcode: number;
  /** The data field; when a shutdown communication was decoded, only the bytes after it (usually none). */
  data: Uint8Array;
  /**
   * RFC 9003 shutdown communication of a Cease/Administrative Shutdown or Reset; null when absent or not
   * well-formed (the data is still in `data`).
   */
  shutdownMessage: string | null;
}

export interface NotificationInput {
  code: number;
  subcode: number;
  data?: Uint8Array;
  /** For Cease subcodes 2 and 4: encoded as length byte + UTF-8, cut at 255 bytes on a character boundary. */
  shutdownMessage?: string | null;
}

function carriesShutdownMessage(code: number, subcode: number): boolean {
  return (
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset)
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a NOTIFICATION body (start..end after the header). */
export function decodeNotification(buf: Buffer, start: number, end: number): NotificationMessage {
  if (end - start < 2) {
    throw new BgpError(ErrorCode.MessageHeader, 2, 'NOTIFICATION shorter than 2 bytes');
  }
  const code = buf[start];
  const subcode = buf[start + 1];
  let data = Uint8Array.from(buf.subarray(start + 2, end));
  let shutdownMessage: string | null = null;
  if (carriesShutdownMessage(code, subcode) && data.length >= 1) {
    const n = data[0];
    // RFC 9003 3: a length running past the message, or invalid UTF-8, means no usable message.
    if (n <= data.length - 1) {
      try {
        shutdownMessage = utf8.decode(data.subarray(1, 1 + n));
        data = data.slice(1 + n);
      } catch {
        shutdownMessage = null;
      }
    }
  }
  return { code, subcode, data, shutdownMessage };
}

/** Truncates UTF-8 text to at most `max` bytes without splitting a character. */
export function truncateUtf8(text: string, max: number): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return bytes;
  let cut = max;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

/** Encodes a whole NOTIFICATION message. */
export function encodeNotification(n: NotificationInput): Buffer {
  let data = n.data ?? new Uint8Array(0);
  if (typeof n.shutdownMessage === 'string' && carriesShutdownMessage(n.code, n.subcode)) {
    const text = truncateUtf8(n.shutdownMessage, SHUTDOWN_COMMUNICATION_MAX_LENGTH);
    const withLength = new Uint8Array(1 + text.length + data.length);
    withLength[0] = text.length;
    withLength.set(text, 1);
    withLength.set(data, 1 + text.length);
    data = withLength;
  }
  // RFC 4271 4.5: the data is whatever the error calls for, but the message must stay within 4096 bytes for a
  // peer that may not support extended messages (RFC 8654 keeps NOTIFICATIONs sent before OPEN at 4096 too).
  const room = BGP_MAX_MESSAGE_LENGTH - BGP_HEADER_LENGTH - 2;
  if (data.length > room) data = data.subarray(0, room);
  const body = new Uint8Array(2 + data.length);
  body[0] = n.code;
  body[1] = n.subcode;
  body.set(data, 2);
  return encodeMessage(MessageType.Notification, body);
}

/** The NOTIFICATION a BgpError asks for (session reset). */
export function encodeNotificationForError(err: BgpError): Buffer {
  return encodeNotification({ code: err.code, subcode: err.subcode, data: err.data });
}

const CODE_NAMES: Record<number, string> = {
  1: 'Message Header Error',
  2: 'OPEN Message Error',
  3: 'UPDATE Message Error',
  4: 'Hold Timer Expired',
  5: 'Finite State Machine Error',
  6: 'Cease',
  7: 'ROUTE-REFRESH Message Error',
};

const SUBCODE_NAMES: Record<number, Record<number, string>> = {
  1: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  2: {
    1: 'Unsupported Version Number',
    2: 'Bad Peer AS',
    3: 'Bad BGP Identifier',
    4: 'Unsupported Optional Parameter',
    6: 'Unacceptable Hold Time',
    7: 'Unsupported Capability',
    11: 'Role Mismatch',
  },
  3: {
    1: 'Malformed Attribute List',
    2: 'Unrecognized Well-known Attribute',
    3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error',
    5: 'Attribute Length Error',
    6: 'Invalid ORIGIN Attribute',
    8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error',
    10: 'Invalid Network Field',
    11: 'Malformed AS_PATH',
  },
  5: {
    0: 'Unspecified Error',
    1: 'Receive Unexpected Message in OpenSent State',
    2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  },
  6: {
    1: 'Maximum Number of Prefixes Reached',
    2: 'Administrative Shutdown',
    3: 'Peer De-configured',
    4: 'Administrative Reset',
    5: 'Connection Rejected',
    6: 'Other Configuration Change',
    7: 'Connection Collision Resolution',
    8: 'Out of Resources',
    9: 'Hard Reset',
    10: 'BFD Down',
  },
  7: { 1: 'Invalid Message Length' },
};

/** Human text for a code/subcode pair, e.g. "Cease / Administrative Shutdown". */
export function describeNotification(code: number, subcode: number): string {
  const c = CODE_NAMES[code] ?? `code ${code}`;
  const s = SUBCODE_NAMES[code]?.[subcode] ?? `subcode ${subcode}`;
  return `${c} / ${s}`;
}
