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
  /**
   * For a Cease/Hard Reset (RFC 8538 3) whose data holds at least a code and subcode: the NOTIFICATION it
   * encapsulates, decoded the same way (with its own shutdown communication). null otherwise.
   */
  hardReset: NotificationMessage | null;
}

export interface NotificationInput {
  code: number;
  subcode: number;
  data?: Uint8Array;
  /** For Cease subcodes 2 and 4: encoded as length byte + UTF-8, cut at 255 bytes on a character boundary. */
  shutdownMessage?: string | null;
  /**
   * Send this NOTIFICATION inside a Cease/Hard Reset (RFC 8538 3): code 6, subcode 9, and as data this one's
   * code, subcode and data. For sessions where both sides advertised the graceful restart N bit.
   */
  asHardReset?: boolean;
}

/**
 * RFC 8538 5: the Cease subcodes that must (or, for Administrative Reset, by default do) go out as a Hard Reset
 * when the N bit was exchanged, because the peer must drop the routes rather than keep them as stale.
 */
export function ceaseNeedsHardReset(code: number, subcode: number): boolean {
  return (
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.MaximumPrefixesReached ||
      subcode === CeaseSubcode.AdministrativeShutdown ||
      subcode === CeaseSubcode.PeerDeconfigured ||
      subcode === CeaseSubcode.AdministrativeReset)
  );
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
  return decodeNotificationFields(buf[start], buf[start + 1], Uint8Array.from(buf.subarray(start + 2, end)), true);
}

function decodeNotificationFields(code: number, subcode: number, data: Uint8Array, outer: boolean): NotificationMessage {
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
  // RFC 8538 3: the data of a Hard Reset is the encapsulated code, subcode and data. One level only: a Hard Reset
  // inside a Hard Reset means nothing more.
  const hardReset =
    outer && code === ErrorCode.Cease && subcode === CeaseSubcode.HardReset && data.length >= 2
      ? decodeNotificationFields(data[0], data[1], data.subarray(2), false)
      : null;
  return { code, subcode, data, shutdownMessage, hardReset };
}

/** Truncates UTF-8 text to at most `max` bytes without splitting a character. */
export function truncateUtf8(text: string, max: number): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return bytes;
  let cut = max;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

/** The data field of a NOTIFICATION: its data, after the RFC 9003 shutdown communication where there is one. */
function notificationData(n: NotificationInput): Uint8Array {
  const data = n.data ?? new Uint8Array(0);
  if (typeof n.shutdownMessage !== 'string' || !carriesShutdownMessage(n.code, n.subcode)) return data;
  const text = truncateUtf8(n.shutdownMessage, SHUTDOWN_COMMUNICATION_MAX_LENGTH);
  const withLength = new Uint8Array(1 + text.length + data.length);
  withLength[0] = text.length;
  withLength.set(text, 1);
  withLength.set(data, 1 + text.length);
  return withLength;
}

/** Encodes a whole NOTIFICATION message (wrapped in a Hard Reset when `asHardReset` is set). */
export function encodeNotification(n: NotificationInput): Buffer {
  let code = n.code;
  let subcode = n.subcode;
  let data = notificationData(n);
  if (n.asHardReset === true) {
    const inner = data;
    data = new Uint8Array(2 + inner.length);
    data[0] = code;
    data[1] = subcode;
    data.set(inner, 2);
    code = ErrorCode.Cease;
    subcode = CeaseSubcode.HardReset;
  }
  // RFC 4271 4.5: the data is whatever the error calls for, but the message must stay within 4096 bytes for a
  // peer that may not support extended messages (RFC 8654 keeps NOTIFICATIONs sent before OPEN at 4096 too).
  const room = BGP_MAX_MESSAGE_LENGTH - BGP_HEADER_LENGTH - 2;
  if (data.length > room) data = data.subarray(0, room);
  const body = new Uint8Array(2 + data.length);
  body[0] = code;
  body[1] = subcode;
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

/**
 * One line for a decoded NOTIFICATION: names, code/subcode, the shutdown communication, and for a Hard Reset
 * what it encapsulates, e.g. `Cease / Hard Reset (6/9) for Cease / Administrative Shutdown (6/2): "maintenance"`.
 */
export function summarizeNotification(n: NotificationMessage): string {
  const shown = n.hardReset ?? n;
  const text = shown.shutdownMessage !== null ? `: "${shown.shutdownMessage}"` : '';
  const names = `${describeNotification(n.code, n.subcode)} (${n.code}/${n.subcode})`;
  if (n.hardReset === null) return names + text;
  return `${names} for ${describeNotification(shown.code, shown.subcode)} (${shown.code}/${shown.subcode})${text}`;
}

/** Human text for a code/subcode pair, e.g. "Cease / Administrative Shutdown". */
export function describeNotification(code: number, subcode: number): string {
  const c = CODE_NAMES[code] ?? `code ${code}`;
  const s = SUBCODE_NAMES[code]?.[subcode] ?? `subcode ${subcode}`;
  return `${c} / ${s}`;
}
