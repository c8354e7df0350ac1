// The few codec calls the session makes, in one place: framing a byte stream and building the small messages.
import {
  BGP_HEADER_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  MessageFramer,
  decodeNotification,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  type MessageType,
  summarizeNotification,
  type OpenInput,
} from '../bgp/index.js';


/** Calls back once per complete message with the body's bounds; returning false stops the chunk's delivery. */
export type MessageHandler = (type: MessageType, buf: Buffer, start: number, end: number) => boolean;

/** Cuts messages out of the TCP stream (the codec's MessageFramer) and delivers them one by one. */
export class MessageStream {
  private readonly framer = new MessageFramer(BGP_MAX_MESSAGE_LENGTH);

  set maxLength(n: number) {
    this.framer.maxLength = n;
  }

  /**
   * Delivers the chunk's complete messages and returns how many the chunk completed (0 when it only added to a
   * partial one). Throws the framer's BgpError (Message Header Error) on a bad header.
   */
  push(chunk: Buffer, handler: MessageHandler): number {
    const messages = this.framer.push(chunk);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (!handler(m.type, m.message, BGP_HEADER_LENGTH, m.message.length)) break;
    }
    return messages.length;
  }
}

export function encodeOpenMessage(open: OpenInput): Buffer {
  return encodeOpen(open);
}

let keepalive: Buffer | null = null;
/** One shared KEEPALIVE: socket.write does not modify it. */
export function encodeKeepaliveMessage(): Buffer {
  return (keepalive ??= encodeKeepalive());
}

/** A NOTIFICATION, inside a Cease/Hard Reset (RFC 8538) when `hardReset` is set. */
export function encodeNotificationMessage(code: number, subcode: number, data: Uint8Array, shutdownMessage?: string, hardReset = false): Buffer {
  return encodeNotification({ code, subcode, data, asHardReset: hardReset, ...(shutdownMessage !== undefined ? { shutdownMessage } : {}) });
}

export interface NotificationSummary {
  code: number;
  subcode: number;
  /** The shutdown communication (of the encapsulated NOTIFICATION, for a Hard Reset). */
  text: string | null;
  summary: string;
}

export function describeNotificationMessage(buf: Buffer, start: number, end: number): NotificationSummary {
  try {
    const n = decodeNotification(buf, start, end);
    return { code: n.code, subcode: n.subcode, text: (n.hardReset ?? n).shutdownMessage, summary: summarizeNotification(n) };
  } catch {
    return { code: 0, subcode: 0, text: null, summary: 'malformed NOTIFICATION' };
  }
}
